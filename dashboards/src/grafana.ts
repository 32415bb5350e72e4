/**
 * A small typed builder for the Grafana dashboard JSON model (schemaVersion 39). It exists so that
 * every panel is built the same way: a Prometheus target on the `${datasource}` variable, a unit, a
 * description, and a place on a 24-column grid — invariants the schema test then checks on the JSON.
 */

export const DATASOURCE = { type: 'prometheus', uid: '${datasource}' } as const;

export type Unit =
  | 's'
  | 'ms'
  | 'short'
  | 'none'
  | 'ops'
  | 'Bps'
  | 'bytes'
  | 'percentunit'
  | 'dateTimeAsIso'
  | 'locale';

export interface Target {
  refId: string;
  expr: string;
  legendFormat: string;
  datasource: typeof DATASOURCE;
  instant?: boolean;
  range?: boolean;
  format?: 'time_series' | 'table' | 'heatmap';
  interval?: string;
}

export interface GridPos {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface ValueMapping {
  type: 'value';
  options: Record<string, { text: string; color: string; index: number }>;
}

export interface Threshold {
  color: string;
  value: number | null;
}

export interface Panel {
  id: number;
  type: 'stat' | 'timeseries' | 'heatmap' | 'table' | 'state-timeline' | 'bargauge' | 'row';
  title: string;
  description?: string;
  gridPos: GridPos;
  datasource?: typeof DATASOURCE;
  targets?: Target[];
  fieldConfig?: {
    defaults: {
      unit: Unit;
      decimals?: number;
      min?: number;
      max?: number;
      mappings: ValueMapping[];
      thresholds: { mode: 'absolute'; steps: Threshold[] };
      color?: { mode: string };
      custom?: Record<string, unknown>;
    };
    overrides: unknown[];
  };
  options?: Record<string, unknown>;
  transformations?: { id: string; options: Record<string, unknown> }[];
  collapsed?: boolean;
  panels?: Panel[];
}

export interface TemplateVariable {
  name: string;
  label: string;
  type: 'datasource' | 'query' | 'custom';
  query: unknown;
  definition?: string;
  datasource?: typeof DATASOURCE;
  current: Record<string, unknown>;
  hide: 0 | 1 | 2;
  includeAll: boolean;
  multi: boolean;
  allValue?: string;
  refresh?: 1 | 2;
  regex: string;
  sort?: number;
  options: unknown[];
  description: string;
}

export interface Dashboard {
  uid: string;
  title: string;
  description: string;
  tags: string[];
  timezone: 'browser';
  schemaVersion: 39;
  version: 1;
  editable: true;
  graphTooltip: 1;
  refresh: string;
  time: { from: string; to: string };
  fiscalYearStartMonth: 0;
  liveNow: false;
  weekStart: '';
  links: unknown[];
  annotations: { list: unknown[] };
  templating: { list: TemplateVariable[] };
  panels: Panel[];
}

export function target(expr: string, legendFormat = '__auto', extra: Partial<Target> = {}): Omit<Target, 'refId'> {
  return { expr, legendFormat, datasource: DATASOURCE, ...extra };
}

export interface PanelSpec {
  type: Exclude<Panel['type'], 'row'>;
  title: string;
  description: string;
  unit: Unit;
  targets: Omit<Target, 'refId'>[];
  w: number;
  h: number;
  decimals?: number;
  min?: number;
  max?: number;
  mappings?: ValueMapping['options'];
  thresholds?: Threshold[];
  options?: Record<string, unknown>;
  custom?: Record<string, unknown>;
  transformations?: Panel['transformations'];
  colorMode?: string;
  overrides?: unknown[];
}

/** Lays panels out left to right on Grafana's 24-column grid, wrapping rows, and numbers them. */
export class Layout {
  private nextId = 1;
  private x = 0;
  private y = 0;
  private rowHeight = 0;
  readonly panels: Panel[] = [];

  row(title: string): this {
    this.newLine();
    this.panels.push({ id: this.nextId++, type: 'row', title, gridPos: { x: 0, y: this.y, w: 24, h: 1 }, collapsed: false, panels: [] });
    this.y += 1;
    return this;
  }

  add(spec: PanelSpec): this {
    if (spec.w < 1 || spec.w > 24) throw new RangeError(`panel "${spec.title}": width ${spec.w} is not within 1..24`);
    if (this.x + spec.w > 24) this.newLine();
    const refIds = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
    const panel: Panel = {
      id: this.nextId++,
      type: spec.type,
      title: spec.title,
      description: spec.description,
      gridPos: { x: this.x, y: this.y, w: spec.w, h: spec.h },
      datasource: DATASOURCE,
      targets: spec.targets.map((t, i) => ({ refId: refIds.charAt(i), ...t })),
      fieldConfig: {
        defaults: {
          unit: spec.unit,
          ...(spec.decimals !== undefined ? { decimals: spec.decimals } : {}),
          ...(spec.min !== undefined ? { min: spec.min } : {}),
          ...(spec.max !== undefined ? { max: spec.max } : {}),
          mappings: spec.mappings ? [{ type: 'value', options: spec.mappings }] : [],
          thresholds: { mode: 'absolute', steps: spec.thresholds ?? [{ color: 'green', value: null }] },
          ...(spec.colorMode ? { color: { mode: spec.colorMode } } : {}),
          ...(spec.custom ? { custom: spec.custom } : {}),
        },
        overrides: spec.overrides ?? [],
      },
      options: spec.options ?? defaultOptions(spec.type),
      ...(spec.transformations ? { transformations: spec.transformations } : {}),
    };
    this.panels.push(panel);
    this.x += spec.w;
    this.rowHeight = Math.max(this.rowHeight, spec.h);
    return this;
  }

  private newLine(): void {
    if (this.x > 0) {
      this.y += this.rowHeight;
      this.x = 0;
      this.rowHeight = 0;
    }
  }
}

function defaultOptions(type: PanelSpec['type']): Record<string, unknown> {
  switch (type) {
    case 'stat':
      return {
        reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
        colorMode: 'value',
        graphMode: 'none',
        justifyMode: 'auto',
        textMode: 'auto',
        orientation: 'auto',
      };
    case 'timeseries':
      return {
        legend: { displayMode: 'table', placement: 'bottom', showLegend: true, calcs: ['lastNotNull', 'max'] },
        tooltip: { mode: 'multi', sort: 'desc' },
      };
    case 'heatmap':
      return {
        calculate: false,
        yAxis: { axisPlacement: 'left', unit: 's' },
        color: { mode: 'scheme', scheme: 'Oranges', fill: 'dark-orange', scale: 'exponential', exponent: 0.5, steps: 64 },
        cellGap: 1,
        tooltip: { show: true, yHistogram: true },
        legend: { show: true },
        rowsFrame: { layout: 'auto' },
      };
    case 'state-timeline':
      return { showValue: 'auto', mergeValues: true, rowHeight: 0.9, alignValue: 'left', legend: { showLegend: true, displayMode: 'list', placement: 'bottom' } };
    case 'bargauge':
      return { displayMode: 'gradient', orientation: 'horizontal', reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, showUnfilled: true };
    case 'table':
      return { showHeader: true, cellHeight: 'sm', footer: { show: false, reducer: ['sum'], fields: '' } };
  }
}

export function datasourceVariable(): TemplateVariable {
  return {
    name: 'datasource',
    label: 'Data source',
    type: 'datasource',
    query: 'prometheus',
    current: {},
    hide: 0,
    includeAll: false,
    multi: false,
    refresh: 1,
    regex: '',
    options: [],
    description: 'The Prometheus that scrapes the Borealis agents, control plane and operator',
  };
}

export function queryVariable(opts: {
  name: string;
  label: string;
  query: string;
  description: string;
  multi: boolean;
  allValue?: string;
}): TemplateVariable {
  return {
    name: opts.name,
    label: opts.label,
    type: 'query',
    datasource: DATASOURCE,
    query: { query: opts.query, refId: 'PrometheusVariableQueryEditor-VariableQuery', qryType: 1 },
    definition: opts.query,
    current: {},
    hide: 0,
    includeAll: opts.multi,
    multi: opts.multi,
    ...(opts.allValue !== undefined ? { allValue: opts.allValue } : {}),
    refresh: 2,
    regex: '',
    sort: 1,
    options: [],
    description: opts.description,
  };
}

export function dashboard(opts: {
  uid: string;
  title: string;
  description: string;
  variables: TemplateVariable[];
  panels: Panel[];
  annotations?: unknown[];
}): Dashboard {
  return {
    uid: opts.uid,
    title: opts.title,
    description: opts.description,
    tags: ['borealis'],
    timezone: 'browser',
    schemaVersion: 39,
    version: 1,
    editable: true,
    graphTooltip: 1,
    refresh: '10s',
    time: { from: 'now-1h', to: 'now' },
    fiscalYearStartMonth: 0,
    liveNow: false,
    weekStart: '',
    links: [{ type: 'dashboards', tags: ['borealis'], asDropdown: true, title: 'Borealis', includeVars: true, keepTime: true, icon: 'external link', tooltip: '', url: '', targetBlank: false }],
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: 'grafana', uid: '-- Grafana --' },
          enable: true,
          hide: true,
          iconColor: 'rgba(0, 211, 255, 1)',
          name: 'Annotations & Alerts',
          type: 'dashboard',
        },
        ...(opts.annotations ?? []),
      ],
    },
    templating: { list: opts.variables },
    panels: opts.panels,
  };
}
