import { describe, expect, it } from 'vitest';
import { controlMemberRegions, renderControlMemberConfig } from './control-config.js';

describe('control cluster', () => {
  it('places one member per region for three or more regions, witnesses for fewer', () => {
    expect(controlMemberRegions(['a', 'b', 'c', 'd'])).toEqual(['a', 'b', 'c']);
    expect(controlMemberRegions(['a', 'b'])).toEqual(['a', 'b', null]);
    expect(controlMemberRegions(['a'])).toEqual(['a', null, null]);
  });

  it('renders a clustered JetStream member routing to every member', () => {
    const text = renderControlMemberConfig({ name: 'control-us-east', clientPort: 4001, httpPort: 4002, clusterPort: 4003, routePorts: [4003, 5003, 6003], storeDir: '/tmp/x' });
    expect(text).toContain('server_name: "control-us-east"');
    expect(text).toContain('name: "borealis-control"');
    expect(text).toContain('routes: ["nats://127.0.0.1:4003", "nats://127.0.0.1:5003", "nats://127.0.0.1:6003"]');
    expect(text).toContain('store_dir: "/tmp/x"');
  });

  it('rejects a member missing from its own routes and bad ports', () => {
    expect(() => renderControlMemberConfig({ name: 'c', clientPort: 1, httpPort: 2, clusterPort: 3, routePorts: [4], storeDir: '/x' })).toThrow(/own cluster port/);
    expect(() => renderControlMemberConfig({ name: 'c', clientPort: 0, httpPort: 2, clusterPort: 3, routePorts: [3], storeDir: '/x' })).toThrow(/invalid port/);
  });
});
