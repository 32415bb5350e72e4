import { datasourceVariable, queryVariable, type TemplateVariable } from './grafana.js';

/** datasource, globaldatabase and region: the variables of every database dashboard. */
export function databaseVariables(): TemplateVariable[] {
  return [
    datasourceVariable(),
    queryVariable({
      name: 'globaldatabase',
      label: 'Global database',
      query: 'label_values(borealis_epoch, globaldatabase)',
      description: 'The GlobalDatabase (scrape target label globaldatabase)',
      multi: false,
    }),
    queryVariable({
      name: 'region',
      label: 'Region',
      query: 'label_values(borealis_region_role{globaldatabase="$globaldatabase"}, region)',
      description: 'Regions of the global database',
      multi: true,
      // `.+`, not `.*`: "All" must not match series without a region (control plane, operator).
      allValue: '.+',
    }),
  ];
}
