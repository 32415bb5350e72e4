// Settings every scenario reads from the environment (`npm run load` fills them from the running topology).

export interface RegionInfo {
  name: string;
  role: 'primary' | 'secondary';
  /** Base URL of the region agent's HTTP port (Data API under /v1/). */
  http: string;
}

/** BOREALIS_REGIONS: JSON list of {name, role, http} (the `regions` of `borealis up --json`). */
export function regions(): RegionInfo[] {
  const raw = __ENV.BOREALIS_REGIONS;
  if (!raw) throw new Error('BOREALIS_REGIONS is not set: start the scenario with `npm run load -- <scenario>` against a running topology');
  const list = JSON.parse(raw) as RegionInfo[];
  if (!Array.isArray(list) || list.length === 0) throw new Error('BOREALIS_REGIONS lists no region');
  return list;
}

export function token(): string {
  const t = __ENV.BOREALIS_DATA_API_TOKEN;
  if (!t) throw new Error('BOREALIS_DATA_API_TOKEN is not set (`borealis up --json` prints dataApiToken)');
  return t;
}

/** A numeric setting: environment variable `name`, else `fallback`. */
export function num(name: string, fallback: number): number {
  const v = __ENV[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`${name}=${v} is not a number`);
  return n;
}

export function str(name: string, fallback: string): string {
  const v = __ENV[name];
  return v === undefined || v === '' ? fallback : v;
}

export function primaryOf(list: RegionInfo[]): RegionInfo {
  const p = list.find((r) => r.role === 'primary');
  if (!p) throw new Error('no primary region in BOREALIS_REGIONS');
  return p;
}

export function secondariesOf(list: RegionInfo[]): RegionInfo[] {
  return list.filter((r) => r.role === 'secondary');
}

/** Uniform integer in [1, n]. */
export function randomKey(n: number): number {
  return 1 + Math.floor(Math.random() * n);
}
