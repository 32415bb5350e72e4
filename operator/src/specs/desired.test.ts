import { describe, expect, it } from 'vitest';
import { agentConfigSchema } from '../../../region-agent/src/config/schema.js';
import { resolveSpec, type GlobalDatabaseSpec } from '../api/index.js';
import {
  CONFIG_HASH_ANNOTATION,
  DEFAULT_IMAGES,
  desiredObjects,
  generateCredentials,
  credentialsFromSecretData,
  objectKey,
  type KubeObject,
} from './index.js';

const spec: GlobalDatabaseSpec = {
  primaryRegion: 'us-east',
  regions: [
    { name: 'us-east', readers: 2, postgresAddress: 'us-east.example.internal:30432' },
    { name: 'eu-west', readers: 0 },
    {
      name: 'ap-south',
      kubeconfigSecretRef: { name: 'ap-kubeconfig' },
      natsGatewayAddress: 'ap.example.internal:30722',
    },
  ],
};
const gdb = { name: 'orders', namespace: 'shop', uid: 'uid-1' };
const credentials = {
  postgresPassword: 'p@ss/word',
  replicationPassword: 'r',
  dataApiToken: 'a-data-api-token-of-32-characters',
};
const build = (primaryRegion = 'us-east', epoch = 1) =>
  desiredObjects({
    gdb,
    spec: resolveSpec(spec),
    primaryRegion,
    epoch,
    images: DEFAULT_IMAGES,
    credentials,
  });
const find = (objs: KubeObject[], kind: string, name: string): KubeObject => {
  const o = objs.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind} ${name} in ${objs.map(objectKey).join(', ')}`);
  return o;
};
const perRegion = (r: string) => [
  `ConfigMap/shop/orders-${r}-config`,
  `Secret/shop/orders-${r}-agent`,
  `StatefulSet/shop/orders-${r}-db`,
  `StatefulSet/shop/orders-${r}-readers`,
  `StatefulSet/shop/orders-${r}-nats`,
  `Service/shop/orders-${r}-db-peers`,
  `Service/shop/orders-${r}-readers-peers`,
  `Service/shop/orders-${r}-nats-peers`,
  `Service/shop/orders-${r}-nats`,
  `Service/shop/orders-${r}-reader`,
  `Service/shop/orders-${r}-api`,
];

describe('desiredObjects', () => {
  it('groups objects by cluster: local regions together, a kubeconfigSecretRef region apart', () => {
    const groups = build();
    expect(groups.map((g) => g.cluster)).toEqual([
      { kind: 'local' },
      { kind: 'remote', secretName: 'ap-kubeconfig', key: 'kubeconfig' },
    ]);
    expect(groups[0]!.objects.map(objectKey).sort()).toEqual(
      [
        'Secret/shop/orders-credentials',
        'Service/shop/orders-writer',
        ...perRegion('us-east'),
        ...perRegion('eu-west'),
      ].sort(),
    );
    expect(groups[1]!.objects.map(objectKey).sort()).toEqual(
      ['Secret/shop/orders-credentials', ...perRegion('ap-south')].sort(),
    );
  });

  it('sets ownerReferences only in the owner cluster, an owner annotation elsewhere', () => {
    const [local, remote] = build();
    for (const o of local!.objects)
      expect(o.metadata.ownerReferences?.[0]).toMatchObject({
        kind: 'GlobalDatabase',
        name: 'orders',
        uid: 'uid-1',
        controller: true,
      });
    for (const o of remote!.objects) {
      expect(o.metadata.ownerReferences).toBeUndefined();
      expect(o.metadata.annotations?.['borealis.dev/owner-namespace']).toBe('shop');
    }
  });

  it('points the writer Service at the primary region and follows a switchover', () => {
    const sel = (objs: KubeObject[]) =>
      (find(objs, 'Service', 'orders-writer')['spec'] as { selector: Record<string, string> })
        .selector;
    expect(sel(build()[0]!.objects)['borealis.dev/region']).toBe('us-east');
    expect(sel(build('eu-west', 2)[0]!.objects)['borealis.dev/region']).toBe('eu-west');
  });

  it('keeps not-ready agents reachable on the api Service (the operator reads why from /status), not on the writer', () => {
    const objs = build()[0]!.objects;
    expect(
      (find(objs, 'Service', 'orders-us-east-api')['spec'] as Record<string, unknown>)[
        'publishNotReadyAddresses'
      ],
    ).toBe(true);
    expect(
      (find(objs, 'Service', 'orders-writer')['spec'] as Record<string, unknown>)[
        'publishNotReadyAddresses'
      ],
    ).toBeUndefined();
  });

  it('sizes the reader StatefulSet from spec.regions[].readers', () => {
    const objs = build()[0]!.objects;
    expect(
      (find(objs, 'StatefulSet', 'orders-us-east-readers')['spec'] as { replicas: number })
        .replicas,
    ).toBe(2);
    expect(
      (find(objs, 'StatefulSet', 'orders-eu-west-readers')['spec'] as { replicas: number })
        .replicas,
    ).toBe(0);
  });

  it("renders agent configs the region agent's own schema accepts, with role and epoch", () => {
    const objs = build('eu-west', 7).flatMap((g) => g.objects);
    for (const r of ['us-east', 'eu-west', 'ap-south']) {
      const s = find(objs, 'Secret', `orders-${r}-agent`) as KubeObject & {
        data: Record<string, string>;
      };
      const cfg = agentConfigSchema.parse(
        JSON.parse(Buffer.from(s.data['config.json']!, 'base64').toString('utf8')),
      );
      expect(cfg).toMatchObject({
        region: r,
        epoch: 7,
        primaryRegion: 'eu-west',
        role: r === 'eu-west' ? 'primary' : 'secondary',
      });
      expect(cfg.database.url).toBe('postgresql://postgres:p%40ss%2Fword@127.0.0.1:5432/app');
      expect(cfg.nats.servers).toEqual([`nats://orders-${r}-nats.shop.svc:4222`]);
      expect(cfg.dataApi.token).toBe('a-data-api-token-of-32-characters');
      const peers = { 'us-east': ['eu-west'], 'eu-west': ['us-east'], 'ap-south': [] }[r]!;
      expect(cfg.peers).toEqual(
        peers.map((p) => ({ region: p, http: `http://orders-${p}-api.shop.svc:8080` })),
      );
      // us-east (same cluster as the primary eu-west) seeds through the writer Service; ap-south (another cluster) too,
      // as eu-west declares no postgresAddress.
      if (r !== 'eu-west')
        expect(cfg.seed.sourceUrl).toBe(
          'postgresql://postgres:p%40ss%2Fword@orders-writer.shop.svc:5432/app',
        );
    }
  });

  it("seeds a secondary in another cluster from the primary region's postgresAddress", () => {
    const objs = build('us-east', 1).flatMap((g) => g.objects);
    const s = find(objs, 'Secret', 'orders-ap-south-agent') as KubeObject & {
      data: Record<string, string>;
    };
    const cfg = agentConfigSchema.parse(
      JSON.parse(Buffer.from(s.data['config.json']!, 'base64').toString('utf8')),
    );
    expect(cfg.seed.sourceUrl).toBe(
      'postgresql://postgres:p%40ss%2Fword@us-east.example.internal:30432/app',
    );
    const w = find(objs, 'Secret', 'orders-eu-west-agent') as KubeObject & {
      data: Record<string, string>;
    };
    expect(
      agentConfigSchema.parse(
        JSON.parse(Buffer.from(w.data['config.json']!, 'base64').toString('utf8')),
      ).seed.sourceUrl,
    ).toBe('postgresql://postgres:p%40ss%2Fword@orders-writer.shop.svc:5432/app');
  });

  it('gateways each NATS cluster to every other region, using natsGatewayAddress when given', () => {
    const objs = build()[0]!.objects;
    const conf = (
      find(objs, 'ConfigMap', 'orders-eu-west-config')['data'] as Record<string, string>
    )['nats.conf']!;
    expect(conf).toContain('name: "eu-west"');
    expect(conf).toContain(
      '{ name: "us-east", urls: ["nats://orders-us-east-nats.shop.svc:7222"] }',
    );
    expect(conf).toContain('{ name: "ap-south", urls: ["nats://ap.example.internal:30722"] }');
    expect(conf).not.toContain('{ name: "eu-west"');
    // One server per region still needs a cluster block with a route (to itself) for JetStream in a supercluster.
    expect(conf).toContain(
      'cluster {\n  name: "eu-west"\n  listen: 0.0.0.0:6222\n  routes: ["nats://127.0.0.1:6222"]\n}',
    );
    expect(conf).toContain('reject_unknown_cluster: true');
  });

  it('routes a 3-server NATS cluster through its headless Service', () => {
    const objs = desiredObjects({
      gdb,
      spec: resolveSpec({ ...spec, nats: { clusterSize: 3 } }),
      primaryRegion: 'us-east',
      epoch: 1,
      images: DEFAULT_IMAGES,
      credentials,
    })[0]!.objects;
    const conf = (
      find(objs, 'ConfigMap', 'orders-us-east-config')['data'] as Record<string, string>
    )['nats.conf']!;
    expect(conf).toContain('nats://orders-us-east-nats-2.orders-us-east-nats-peers.shop.svc:6222');
    expect(
      (find(objs, 'StatefulSet', 'orders-us-east-nats')['spec'] as { replicas: number }).replicas,
    ).toBe(3);
  });

  it('changes the pod config hash when the rendered config changes (rolls pods), not for a new primary term', () => {
    const hash = (groups: ReturnType<typeof build>) =>
      (
        find(groups[0]!.objects, 'StatefulSet', 'orders-us-east-db')['spec'] as {
          template: { metadata: { annotations: Record<string, string> } };
        }
      ).template.metadata.annotations[CONFIG_HASH_ANNOTATION];
    expect(hash(build())).toBe(hash(build()));
    // A promotion (epoch, primary, role, seed source) must not restart PostgreSQL: the agent keeps its term itself.
    expect(hash(build('eu-west', 2))).toBe(hash(build()));
    const changed = desiredObjects({
      gdb,
      spec: resolveSpec({
        ...spec,
        replication: { maxLagSeconds: 3, retention: { maxAgeSeconds: 600 } },
      }),
      primaryRegion: 'us-east',
      epoch: 1,
      images: DEFAULT_IMAGES,
      credentials,
    });
    expect(hash(changed)).not.toBe(hash(build()));
  });

  it('keeps every name a DNS-1035 label within 63 characters', () => {
    for (const o of build().flatMap((g) => g.objects))
      expect(o.metadata.name).toMatch(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/);
  });
});

describe('credentials', () => {
  it('generates distinct random values and reads them back from Secret data', () => {
    const c = generateCredentials();
    expect(new Set(Object.values(c)).size).toBe(3);
    const data = Object.fromEntries(
      Object.entries({
        'postgres-password': c.postgresPassword,
        'replication-password': c.replicationPassword,
        'data-api-token': c.dataApiToken,
      }).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
    );
    expect(credentialsFromSecretData(data)).toEqual(c);
    expect(credentialsFromSecretData({ 'postgres-password': 'eA==' })).toBeUndefined();
  });
});
