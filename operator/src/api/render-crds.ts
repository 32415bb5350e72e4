import { stringify } from 'yaml';
import { allCrds, crdFileName, type CustomResourceDefinition } from './crds.js';

export const GENERATED_HEADER =
  '# Generated from operator/src/api/crds.ts by `npm run gen:crds` — do not edit by hand.\n';

export function renderCrdYaml(c: CustomResourceDefinition): string {
  return GENERATED_HEADER + stringify(c, { lineWidth: 0, aliasDuplicateObjects: false });
}

/** file name → YAML text of every CRD, as checked into charts/borealis/crds/. */
export function renderCrdFiles(): Map<string, string> {
  return new Map(allCrds().map((c) => [crdFileName(c), renderCrdYaml(c)]));
}
