// The CRDs against a real kube-apiserver + etcd: they establish, valid specs are accepted with defaults,
// every invalid spec is rejected at apply time with a message naming the field, kubectl explain/get work.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { FailoverDrill, FailoverMode, GlobalDatabase } from '../../operator/src/api/index.js';
import {
  kubeApiServerToolsBuilt,
  startKubeApiServer,
  type KubeApiServer,
} from '../support/kube-apiserver.js';

const root = join(import.meta.dirname, '..', '..');
const example = <T>(f: string): T => parse(readFileSync(join(root, 'examples', f), 'utf8')) as T;
const gdbExample = (): GlobalDatabase => example<GlobalDatabase>('global-database.yaml');

describe.skipIf(!kubeApiServerToolsBuilt())('operator CRDs on a real kube-apiserver', () => {
  let api: KubeApiServer;
  const ns = 'crd-test';

  beforeAll(async () => {
    api = await startKubeApiServer();
    await api.kubectl(['apply', '--server-side', '-f', join(root, 'charts', 'borealis', 'crds')]);
    await api.kubectl([
      'wait',
      '--for=condition=Established',
      '--timeout=60s',
      'crd/globaldatabases.borealis.dev',
      'crd/failoverdrills.borealis.dev',
    ]);
    await api.kubectl(['create', 'namespace', ns]);
  });
  afterAll(async () => {
    await api?.stop();
  });

  const apply = (obj: unknown): Promise<string> =>
    api.kubectl(['apply', '-n', ns, '-f', '-'], stringify(obj));
  const rejected = async (obj: unknown): Promise<string> => {
    try {
      await apply(obj);
    } catch (err) {
      return (err as Error).message;
    }
    throw new Error('the apiserver accepted an invalid object');
  };
  const gdb = (patch: (g: GlobalDatabase) => void, name = 'bad'): GlobalDatabase => {
    const g = gdbExample();
    g.metadata.name = name;
    patch(g);
    return g;
  };

  it('accepts the example GlobalDatabase and fills the schema defaults', async () => {
    const g = gdbExample();
    delete g.spec.replication;
    delete g.spec.failover;
    delete g.spec.nats;
    delete g.spec.regions[1]!.readers;
    await apply(g);
    const got = JSON.parse(
      await api.kubectl(['get', '-n', ns, 'globaldatabase', 'orders', '-o', 'json']),
    ) as GlobalDatabase;
    expect(got.spec.failover).toEqual({ mode: 'manual', detectionSeconds: 10, rpoGuardSeconds: 5 });
    expect(got.spec.replication).toEqual({
      maxLagSeconds: 1,
      retention: { maxAgeSeconds: 86400, maxBytes: 1073741824 },
    });
    expect(got.spec.nats).toEqual({ clusterSize: 1 });
    expect(got.spec.regions[1]).toEqual({
      name: 'eu-west',
      readers: 0,
      storage: { size: '1Gi', natsSize: '1Gi' },
    });
  });

  it('accepts both example FailoverDrills', async () => {
    await apply(example<FailoverDrill>('failover-drill-switchover.yaml'));
    await apply(example<FailoverDrill>('failover-drill-failover.yaml'));
    const out = await api.kubectl(['get', '-n', ns, 'failoverdrills', '-o', 'name']);
    expect(out.trim().split('\n').sort()).toEqual([
      'failoverdrill.borealis.dev/orders-failover-1',
      'failoverdrill.borealis.dev/orders-switchover-1',
    ]);
  });

  it('rejects more than 1+5 regions', async () => {
    const msg = await rejected(
      gdb(
        (g) =>
          (g.spec.regions = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((n) => ({ name: `r-${n}` }))),
      ),
    );
    expect(msg).toContain('spec.regions: Too many: 7: must have at most 6 items');
  });

  it('rejects duplicate region names', async () => {
    const msg = await rejected(gdb((g) => g.spec.regions.push({ name: 'eu-west' })));
    expect(msg).toMatch(/spec\.regions\[3\]: Duplicate value/);
  });

  it('rejects a primary that is not among the regions', async () => {
    const msg = await rejected(gdb((g) => (g.spec.primaryRegion = 'sa-east')));
    expect(msg).toContain('spec.primaryRegion: Invalid value');
    expect(msg).toContain('spec.primaryRegion must name one of spec.regions');
  });

  it('rejects readers outside 0-15', async () => {
    expect(await rejected(gdb((g) => (g.spec.regions[0]!.readers = 16)))).toContain(
      'spec.regions[0].readers: Invalid value: 16: spec.regions[0].readers in body should be less than or equal to 15',
    );
    expect(await rejected(gdb((g) => (g.spec.regions[2]!.readers = -1)))).toContain(
      'spec.regions[2].readers in body should be greater than or equal to 0',
    );
  });

  it('rejects an unknown failover mode', async () => {
    const msg = await rejected(
      gdb((g) => (g.spec.failover!.mode = 'semi-automatic' as FailoverMode)),
    );
    expect(msg).toContain(
      'spec.failover.mode: Unsupported value: "semi-automatic": supported values: "manual", "automatic"',
    );
  });

  it('rejects a bad region name and a too long resource name', async () => {
    expect(await rejected(gdb((g) => (g.spec.regions[1]!.name = 'EU_West')))).toContain(
      'spec.regions[1].name',
    );
    expect(await rejected(gdb(() => undefined, 'a-name-that-is-far-too-long-for-us'))).toContain(
      'metadata.name must be at most 24 characters',
    );
  });

  it('rejects a fault on a switchover drill, a failover drill without fault, and a changed drill spec', async () => {
    const sw = example<FailoverDrill>('failover-drill-switchover.yaml');
    sw.metadata.name = 'bad-drill';
    sw.spec.fault = 'kill';
    expect(await rejected(sw)).toContain('spec.fault is only allowed when spec.type is failover');
    const fo = example<FailoverDrill>('failover-drill-failover.yaml');
    fo.metadata.name = 'bad-drill';
    delete fo.spec.fault;
    expect(await rejected(fo)).toContain('spec.fault is required when spec.type is failover');
    const changed = example<FailoverDrill>('failover-drill-switchover.yaml');
    changed.spec.targetRegion = 'ap-south';
    expect(await rejected(changed)).toContain('spec is immutable');
  });

  it('kubectl get shows the printer columns', async () => {
    const header = (await api.kubectl(['get', '-n', ns, 'globaldatabases'])).split('\n')[0]!;
    expect(header.split(/\s+/).filter(Boolean)).toEqual([
      'NAME',
      'PRIMARY',
      'EPOCH',
      'REGIONS',
      'MAX-LAG',
      'PHASE',
      'AGE',
    ]);
    const drills = (await api.kubectl(['get', '-n', ns, 'failoverdrills'])).split('\n')[0]!;
    expect(drills.split(/\s+/).filter(Boolean)).toEqual([
      'NAME',
      'DATABASE',
      'TYPE',
      'FROM',
      'TO',
      'PHASE',
      'RTO',
      'RPO',
      'RESULT',
      'AGE',
    ]);
  });

  it('kubectl explain documents every spec field', async () => {
    const spec = await api.kubectl(['explain', 'globaldatabase.spec']);
    for (const f of [
      'engine',
      'database',
      'primaryRegion',
      'regions',
      'replication',
      'failover',
      'nats',
    ])
      expect(spec).toMatch(new RegExp(`^  ${f}\\s`, 'm'));
    expect(spec).toContain('requests a planned switchover');
    const regions = await api.kubectl(['explain', 'globaldatabase.spec.regions']);
    for (const f of [
      'name',
      'kubeconfigSecretRef',
      'readers',
      'storage',
      'postgresAddress',
      'natsGatewayAddress',
    ])
      expect(regions).toMatch(new RegExp(`^  ${f}\\s`, 'm'));
    const drill = await api.kubectl(['explain', 'failoverdrill.spec']);
    for (const f of ['globalDatabase', 'targetRegion', 'type', 'fault', 'workload', 'force'])
      expect(drill).toMatch(new RegExp(`^  ${f}\\s`, 'm'));
  });
});
