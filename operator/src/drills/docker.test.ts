import { mkdtempSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DockerApiError,
  DockerClient,
  daemonMessage,
  dockerRequests,
  networkAddress,
  type ContainerInspect,
} from './docker.js';

describe('dockerRequests', () => {
  it('builds versioned, escaped paths', () => {
    expect(dockerRequests.inspect('borealis-eu-west-control-plane')).toEqual({
      method: 'GET',
      path: '/v1.41/containers/borealis-eu-west-control-plane/json',
    });
    expect(dockerRequests.pause('a/b')).toEqual({
      method: 'POST',
      path: '/v1.41/containers/a%2Fb/pause',
    });
    expect(dockerRequests.unpause('n')).toEqual({
      method: 'POST',
      path: '/v1.41/containers/n/unpause',
    });
  });

  it('builds network disconnect and connect bodies (connect keeps the given IPv4 address)', () => {
    expect(dockerRequests.disconnect('kind', 'n', true)).toEqual({
      method: 'POST',
      path: '/v1.41/networks/kind/disconnect',
      body: { Container: 'n', Force: true },
    });
    expect(dockerRequests.connect('kind', 'n', '172.18.0.4')).toEqual({
      method: 'POST',
      path: '/v1.41/networks/kind/connect',
      body: { Container: 'n', EndpointConfig: { IPAMConfig: { IPv4Address: '172.18.0.4' } } },
    });
    expect(dockerRequests.connect('kind', 'n')).toEqual({
      method: 'POST',
      path: '/v1.41/networks/kind/connect',
      body: { Container: 'n' },
    });
  });
});

describe('networkAddress / daemonMessage', () => {
  const c = (networks: ContainerInspect['NetworkSettings']['Networks']): ContainerInspect => ({
    Id: 'x',
    Name: '/n',
    State: { Status: 'running', Running: true, Paused: false },
    NetworkSettings: { Networks: networks },
  });
  it('reads the address on a network, undefined when not attached', () => {
    expect(networkAddress(c({ kind: { IPAddress: '172.18.0.3' } }), 'kind')).toBe('172.18.0.3');
    expect(networkAddress(c({ bridge: { IPAddress: '172.17.0.2' } }), 'kind')).toBeUndefined();
    expect(networkAddress(c({ kind: { IPAddress: '' } }), 'kind')).toBeUndefined();
  });
  it("takes the daemon's JSON message, else the raw text", () => {
    expect(daemonMessage('{"message":"No such container: x"}')).toBe('No such container: x');
    expect(daemonMessage('page not found\n')).toBe('page not found');
  });
});

describe('DockerClient over a unix socket', () => {
  let dir: string | undefined;
  let server: http.Server | undefined;
  afterEach(async () => {
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const serve = async (handler: http.RequestListener): Promise<string> => {
    dir = mkdtempSync(join(tmpdir(), 'docker-test-'));
    const path = join(dir, 'docker.sock');
    server = http.createServer(handler);
    await new Promise<void>((r) => server!.listen(path, r));
    return path;
  };

  it('sends JSON bodies and parses answers; errors carry status and the daemon message', async () => {
    const seen: string[] = [];
    const socketPath = await serve((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push(`${req.method} ${req.url} ${body}`);
        if (req.url?.endsWith('/json')) {
          res
            .writeHead(200, { 'Content-Type': 'application/json' })
            .end(JSON.stringify({ Id: 'x', State: { Paused: true } }));
        } else if (req.url?.includes('/pause')) {
          res
            .writeHead(409, { 'Content-Type': 'application/json' })
            .end('{"message":"Container x is already paused"}');
        } else res.writeHead(204).end();
      });
    });
    const d = new DockerClient({ socketPath });
    expect((await d.inspectContainer('x')).State.Paused).toBe(true);
    await d.connect('kind', 'x', '172.18.0.9');
    const err = await d.pause('x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DockerApiError);
    expect((err as DockerApiError).status).toBe(409);
    expect((err as DockerApiError).message).toContain('Container x is already paused');
    expect(seen[1]).toBe(
      'POST /v1.41/networks/kind/connect {"Container":"x","EndpointConfig":{"IPAMConfig":{"IPv4Address":"172.18.0.9"}}}',
    );
  });

  it('times out and reports a missing socket as status 0 with a cause', async () => {
    const socketPath = await serve(() => {
      /* never answers */
    });
    const slow = await new DockerClient({ socketPath, timeoutMs: 100 })
      .unpause('x')
      .catch((e: unknown) => e);
    expect(slow).toBeInstanceOf(DockerApiError);
    expect((slow as DockerApiError).message).toMatch(/no answer .* within 100 ms/);
    const missing = await new DockerClient({ socketPath: join(dir!, 'nope.sock') })
      .inspectContainer('x')
      .catch((e: unknown) => e);
    expect((missing as DockerApiError).status).toBe(0);
    expect((missing as DockerApiError).cause).toBeInstanceOf(Error);
  });
});
