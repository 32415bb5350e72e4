import { describe, expect, it } from 'vitest';
import { renderNatsConfig, type NatsServerConfigInput } from './nats-config.js';

const base: NatsServerConfigInput = {
  region: 'us-east',
  clientPort: 4222,
  httpPort: 8222,
  clusterPort: 6222,
  gatewayPort: 7222,
  storeDir: '/tmp/x/us-east/nats/jetstream',
  gateways: [
    { name: 'eu-west', urls: ['nats://127.0.0.1:10001'] },
    { name: 'ap-south', urls: ['nats://127.0.0.1:10002'] },
  ],
  gatewayAdvertise: '127.0.0.1:10003',
};

describe('renderNatsConfig', () => {
  it('names server, cluster and gateway after the region and listens on loopback only', () => {
    const conf = renderNatsConfig(base);
    expect(conf).toContain('server_name: "us-east"');
    expect(conf).toContain('listen: "127.0.0.1:4222"');
    expect(conf).toContain('http: "127.0.0.1:8222"');
    expect(conf).toMatch(/cluster \{\n {2}name: "us-east"\n {2}listen: "127.0.0.1:6222"/);
    expect(conf).toMatch(/gateway \{\n {2}name: "us-east"\n {2}listen: "127.0.0.1:7222"/);
    expect(conf).not.toMatch(/0\.0\.0\.0/);
  });

  it('enables JetStream in the given store dir with unquoted sizes', () => {
    const conf = renderNatsConfig(base);
    expect(conf).toContain('store_dir: "/tmp/x/us-east/nats/jetstream"');
    expect(conf).toContain('max_memory_store: 256MB');
    expect(conf).toContain('max_file_store: 8GB');
    expect(conf).not.toMatch(/sync_interval/); // default sync interval (DESIGN §3)
  });

  it('lists its own route so a one-server cluster may run JetStream in a supercluster', () => {
    expect(renderNatsConfig(base)).toContain('routes: ["nats://127.0.0.1:6222"]');
  });

  it('runs a single region as a standalone JetStream server: no cluster, no self-route, no gateway', () => {
    const conf = renderNatsConfig({ ...base, gateways: [], gatewayAdvertise: undefined });
    expect(conf).toContain('store_dir: "/tmp/x/us-east/nats/jetstream"');
    expect(conf).not.toMatch(/cluster \{|routes:|gateway \{/);
  });

  it('lists every remote gateway with its (proxy) URLs, advertises the proxy and rejects unknown clusters', () => {
    const conf = renderNatsConfig(base);
    expect(conf).toContain('{ name: "eu-west", urls: ["nats://127.0.0.1:10001"] }');
    expect(conf).toContain('{ name: "ap-south", urls: ["nats://127.0.0.1:10002"] }');
    expect(conf).toContain('advertise: "127.0.0.1:10003"');
    expect(conf).toContain('reject_unknown_cluster: true');
  });

  it('omits advertise when not given', () => {
    expect(renderNatsConfig({ ...base, gatewayAdvertise: undefined })).not.toContain('advertise');
  });

  it('rejects bad input with specific errors', () => {
    expect(() => renderNatsConfig({ ...base, region: 'US East' })).toThrow(/invalid region name/);
    expect(() => renderNatsConfig({ ...base, clientPort: 70000 })).toThrow(
      /clientPort must be an integer 1..65535/,
    );
    expect(() =>
      renderNatsConfig({ ...base, gateways: [{ name: 'us-east', urls: ['nats://x:1'] }] }),
    ).toThrow(/cannot list itself/);
    expect(() =>
      renderNatsConfig({ ...base, gateways: [base.gateways[0]!, base.gateways[0]!] }),
    ).toThrow(/listed twice/);
    expect(() => renderNatsConfig({ ...base, gateways: [{ name: 'eu-west', urls: [] }] })).toThrow(
      /has no URL/,
    );
    expect(() => renderNatsConfig({ ...base, maxFileStore: '8 gigs' })).toThrow(/not a size/);
  });
});
