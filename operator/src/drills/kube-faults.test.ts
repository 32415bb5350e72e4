import { describe, expect, it } from 'vitest';
import type { KubeClient } from '../runtime/index.js';
import { DockerApiError, type ContainerInspect } from './docker.js';
import { FaultInjectionError, type FaultTarget } from './faults.js';
import {
  KubeFaultInjector,
  regionNodeName,
  regionPodSelector,
  type DockerApi,
  type PodLike,
} from './kube-faults.js';

const pod = (name: string, component: string, nodeName?: string, region = 'eu-west'): PodLike => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name,
    labels: {
      'borealis.dev/global-database': 'orders',
      'borealis.dev/region': region,
      'app.kubernetes.io/component': component,
    },
  },
  ...(nodeName ? { spec: { nodeName } } : {}),
});

/** A region cluster with pods; records deletes. */
function fakeClient(pods: PodLike[]): {
  client: KubeClient;
  deleted: string[];
  selectors: string[];
} {
  const deleted: string[] = [];
  const selectors: string[] = [];
  const client = {
    list: (_v: string, _k: string, _ns: string, selector: string) => {
      selectors.push(selector);
      return Promise.resolve({ items: pods, metadata: { resourceVersion: '1' } });
    },
    delete: (
      _v: string,
      _k: string,
      ns: string,
      name: string,
      opts: { gracePeriodSeconds?: number },
    ) => {
      deleted.push(`${ns}/${name} grace=${opts.gracePeriodSeconds}`);
      return Promise.resolve(true);
    },
  } as unknown as KubeClient;
  return { client, deleted, selectors };
}

/** One container on the `kind` network, as the Docker daemon would keep it. */
function fakeDocker(
  ip = '172.18.0.4',
): DockerApi & { calls: string[]; state: { paused: boolean; ip: string | undefined } } {
  const state: { paused: boolean; ip: string | undefined } = { paused: false, ip };
  const calls: string[] = [];
  const inspect = (): ContainerInspect => ({
    Id: 'c',
    Name: '/borealis-eu-west-control-plane',
    State: { Status: state.paused ? 'paused' : 'running', Running: true, Paused: state.paused },
    NetworkSettings: { Networks: state.ip ? { kind: { IPAddress: state.ip } } : {} },
  });
  return {
    calls,
    state,
    inspectContainer: (name) => {
      if (name !== 'borealis-eu-west-control-plane')
        return Promise.reject(new DockerApiError(`No such container: ${name}`, 404));
      return Promise.resolve(inspect());
    },
    pause: (name) => {
      calls.push(`pause ${name}`);
      state.paused = true;
      return Promise.resolve();
    },
    unpause: (name) => {
      calls.push(`unpause ${name}`);
      state.paused = false;
      return Promise.resolve();
    },
    disconnect: (net, name, force) => {
      calls.push(`disconnect ${net} ${name} force=${force}`);
      state.ip = undefined;
      return Promise.resolve();
    },
    connect: (net, name, ipv4) => {
      calls.push(`connect ${net} ${name} ${ipv4}`);
      state.ip = ipv4;
      return Promise.resolve();
    },
  };
}

const regionPods = [
  pod('orders-eu-west-nats-0', 'nats', 'borealis-eu-west-control-plane'),
  pod('orders-eu-west-0', 'database', 'borealis-eu-west-control-plane'),
];
const target = (client: KubeClient): FaultTarget => ({
  namespace: 'default',
  globalDatabase: 'orders',
  region: 'eu-west',
  client,
});

describe('regionNodeName', () => {
  it("takes the database pod's node", () => {
    expect(
      regionNodeName([pod('n', 'nats', 'node-a'), pod('d', 'database', 'node-b')], {
        globalDatabase: 'orders',
        region: 'eu-west',
      }),
    ).toBe('node-b');
  });
  it('falls back to any scheduled pod of the region, ignores other regions', () => {
    expect(
      regionNodeName(
        [
          pod('d', 'database'),
          pod('n', 'nats', 'node-a'),
          pod('x', 'database', 'node-x', 'us-east'),
        ],
        { globalDatabase: 'orders', region: 'eu-west' },
      ),
    ).toBe('node-a');
  });
  it('fails with a FaultInjectionError when no pod is scheduled', () => {
    expect(() =>
      regionNodeName([pod('d', 'database')], { globalDatabase: 'orders', region: 'eu-west' }),
    ).toThrow(FaultInjectionError);
  });
  it('selects by GlobalDatabase and region labels', () => {
    expect(regionPodSelector('orders', 'eu-west')).toBe(
      'borealis.dev/global-database=orders,borealis.dev/region=eu-west',
    );
  });
});

describe('KubeFaultInjector', () => {
  it('kill deletes every pod of the region with grace period 0, without Docker', async () => {
    const k = fakeClient(regionPods);
    const heal = await new KubeFaultInjector().inject(target(k.client), 'kill');
    expect(k.selectors).toEqual([
      'borealis.dev/global-database=orders,borealis.dev/region=eu-west',
    ]);
    expect(k.deleted.sort()).toEqual([
      'default/orders-eu-west-0 grace=0',
      'default/orders-eu-west-nats-0 grace=0',
    ]);
    await heal();
  });

  it('kill with no pods of the region fails', async () => {
    await expect(
      new KubeFaultInjector().inject(target(fakeClient([]).client), 'kill'),
    ).rejects.toThrow(/no pods of region eu-west/);
  });

  it('freeze and partition without a Docker socket say what to set', async () => {
    for (const fault of ['freeze', 'partition'] as const) {
      const err = await new KubeFaultInjector()
        .inject(target(fakeClient(regionPods).client), fault)
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FaultInjectionError);
      expect((err as Error).message).toContain('drills.dockerSocket=true');
      expect((err as Error).message).toContain('--docker-socket');
    }
  });

  it('freeze pauses the node of the database pod; heal unpauses, twice is harmless', async () => {
    const docker = fakeDocker();
    const heal = await new KubeFaultInjector({ docker }).inject(
      target(fakeClient(regionPods).client),
      'freeze',
    );
    expect(docker.state.paused).toBe(true);
    await heal();
    await heal();
    expect(docker.state.paused).toBe(false);
    expect(docker.calls).toEqual([
      'pause borealis-eu-west-control-plane',
      'unpause borealis-eu-west-control-plane',
    ]);
  });

  it('partition disconnects from kind; heal reconnects at the same address, once', async () => {
    const docker = fakeDocker('172.18.0.4');
    const heal = await new KubeFaultInjector({ docker }).inject(
      target(fakeClient(regionPods).client),
      'partition',
    );
    expect(docker.state.ip).toBeUndefined();
    await heal();
    await heal();
    expect(docker.state.ip).toBe('172.18.0.4');
    expect(docker.calls).toEqual([
      'disconnect kind borealis-eu-west-control-plane force=false',
      'connect kind borealis-eu-west-control-plane 172.18.0.4',
    ]);
  });

  it('Docker errors become FaultInjectionErrors naming the step, with the cause', async () => {
    const docker = fakeDocker();
    const pods = [pod('orders-eu-west-0', 'database', 'some-other-node')];
    const err = await new KubeFaultInjector({ docker })
      .inject(target(fakeClient(pods).client), 'freeze')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FaultInjectionError);
    expect((err as Error).message).toBe(
      'freeze of region eu-west: docker inspect some-other-node: No such container: some-other-node',
    );
    expect((err as Error).cause).toBeInstanceOf(DockerApiError);
  });
});
