import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { connectionFromKubeconfig } from './kubeconfig.js';

const cfg = (user: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  stringify({
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': 'x',
    contexts: [{ name: 'x', context: { cluster: 'c', user: 'u', namespace: 'ns1' } }],
    clusters: [
      {
        name: 'c',
        cluster: {
          server: 'https://127.0.0.1:6443',
          'certificate-authority-data': Buffer.from('CA').toString('base64'),
        },
      },
    ],
    users: [{ name: 'u', user }],
    ...extra,
  });

describe('connectionFromKubeconfig', () => {
  it('reads server, CA, client certificate and namespace of the current context', () => {
    const c = connectionFromKubeconfig(
      cfg({
        'client-certificate-data': Buffer.from('CERT').toString('base64'),
        'client-key-data': Buffer.from('KEY').toString('base64'),
      }),
    );
    expect(c.server.toString()).toBe('https://127.0.0.1:6443/');
    expect(c.ca?.toString()).toBe('CA');
    expect(c.cert?.toString()).toBe('CERT');
    expect(c.key?.toString()).toBe('KEY');
    expect(c.namespace).toBe('ns1');
  });

  it('reads a bearer token', () => {
    expect(connectionFromKubeconfig(cfg({ token: 'abc' })).token).toBe('abc');
  });

  it('names what is missing or unsupported', () => {
    expect(() => connectionFromKubeconfig(cfg({}, { 'current-context': 'nope' }))).toThrow(
      'kubeconfig: context "nope" is not defined under contexts',
    );
    expect(() => connectionFromKubeconfig(cfg({ exec: { command: 'aws' } }))).toThrow(
      'uses an exec/auth-provider plugin',
    );
    expect(() => connectionFromKubeconfig('clusters: [', { source: 'secret x' })).toThrow(
      'secret x is not valid YAML',
    );
  });
});
