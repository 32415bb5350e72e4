/** Pure builder of a control NATS cluster member's configuration (the epoch store; docs/promotion.md). */

export interface ControlMemberConfigInput {
  /** Member name, e.g. "control-us-east". */
  name: string;
  clientPort: number;
  httpPort: number;
  clusterPort: number;
  /** Cluster ports of every member (own included). */
  routePorts: number[];
  storeDir: string;
}

/** One member of the 3-server control cluster "borealis-control" (JetStream on, no gateways). */
export function renderControlMemberConfig(i: ControlMemberConfigInput): string {
  for (const p of [i.clientPort, i.httpPort, i.clusterPort, ...i.routePorts]) {
    if (!Number.isInteger(p) || p < 1 || p > 65535) throw new RangeError(`invalid port ${p}`);
  }
  if (!/^[a-z][a-z0-9-]{0,40}$/.test(i.name)) throw new RangeError(`invalid member name ${JSON.stringify(i.name)}`);
  if (!i.routePorts.includes(i.clusterPort)) throw new RangeError('routePorts must include the member\'s own cluster port');
  const q = JSON.stringify;
  return [
    '# Written by the Borealis local topology: a member of the control cluster (epoch store).',
    `server_name: ${q(i.name)}`,
    `listen: ${q(`127.0.0.1:${i.clientPort}`)}`,
    `http: ${q(`127.0.0.1:${i.httpPort}`)}`,
    'jetstream {',
    `  store_dir: ${q(i.storeDir)}`,
    '  max_memory_store: 64MB',
    '  max_file_store: 1GB',
    '}',
    'cluster {',
    '  name: "borealis-control"',
    `  listen: ${q(`127.0.0.1:${i.clusterPort}`)}`,
    `  routes: [${i.routePorts.map((p) => q(`nats://127.0.0.1:${p}`)).join(', ')}]`,
    '}',
    '',
  ].join('\n');
}

/**
 * Pure: which region hosts each of the three members. With three or more regions, the first three regions
 * host one each (a region fault takes one member down; R3 keeps a quorum of two). With fewer, the missing
 * members are witnesses outside every region (never faulted by drills), so that losing any one region —
 * the primary's included — still leaves two of three members.
 */
export function controlMemberRegions(regions: string[]): (string | null)[] {
  const out: (string | null)[] = [];
  for (let k = 0; k < 3; k++) out.push(regions[k] ?? null);
  return out;
}
