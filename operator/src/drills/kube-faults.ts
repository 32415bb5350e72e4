/**
 * Drill faults (DESIGN §8) on a testbed where each region is a kind cluster (docs/kind.md), as hack/kind-fault.sh
 * does them from the host:
 *   kill       every pod of the region (database, readers, NATS) deleted with grace period 0, through the region
 *              cluster's API; heal is a no-op (the StatefulSets recreate them);
 *   freeze     `docker pause` of the region's node container; heal = unpause;
 *   partition  `docker network disconnect kind <node>`; heal = reconnect at the SAME address (the kubeconfig
 *              Secrets, natsGatewayAddress and postgresAddress name the node by its kind-network address).
 * The node container is found from the region's database pod (`spec.nodeName` = kind node container name).
 * freeze/partition need the host's Docker socket in the operator pod (chart value drills.dockerSocket, operator
 * flag --docker-socket): a testbed-only privilege.
 */
import type { DrillFault } from '../api/index.js';
import { LABELS } from '../specs/index.js';
import { DockerApiError, DockerClient, networkAddress, type ContainerInspect } from './docker.js';
import { FaultInjectionError, type FaultInjector, type FaultTarget } from './faults.js';

/** The Docker calls the faults make (DockerClient; a fake in tests). */
export type DockerApi = Pick<
  DockerClient,
  'inspectContainer' | 'pause' | 'unpause' | 'disconnect' | 'connect'
>;

export interface KubeFaultInjectorOptions {
  /** The host's Docker socket as mounted in the operator pod; without it only `kill` works. */
  dockerSocketPath?: string;
  /** Docker network of the kind nodes (default `kind`). */
  network?: string;
  /** Replaces the socket client (tests). */
  docker?: DockerApi;
}

/** The pod fields the faults read. */
export interface PodLike {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    deletionTimestamp?: string;
  };
  spec?: { nodeName?: string };
}

export const NO_DOCKER_SOCKET_HINT =
  'install the chart with --set drills.dockerSocket=true (mounts /var/run/docker.sock into the operator pod) ' +
  'or run the operator with --docker-socket=/var/run/docker.sock';

/** Label selector of every pod of one region of a GlobalDatabase. */
export function regionPodSelector(globalDatabase: string, region: string): string {
  return `${LABELS.globalDatabase}=${globalDatabase},${LABELS.region}=${region}`;
}

/**
 * The node (= kind node container) a region runs on: its database pod's `spec.nodeName`, else any scheduled pod of
 * the region (e.g. right after a kill, while the database pod is recreated).
 */
export function regionNodeName(
  pods: readonly PodLike[],
  target: Pick<FaultTarget, 'globalDatabase' | 'region'>,
): string {
  const scheduled = pods.filter(
    (p) =>
      p.spec?.nodeName &&
      p.metadata.labels?.[LABELS.globalDatabase] === target.globalDatabase &&
      p.metadata.labels[LABELS.region] === target.region,
  );
  const db =
    scheduled.find((p) => p.metadata.labels?.[LABELS.component] === 'database') ?? scheduled[0];
  if (!db?.spec?.nodeName) {
    throw new FaultInjectionError(
      `region ${target.region} of ${target.globalDatabase}: no scheduled pod (spec.nodeName) to find its node from (${pods.length} pods listed)`,
    );
  }
  return db.spec.nodeName;
}

export class KubeFaultInjector implements FaultInjector {
  private readonly docker: DockerApi | undefined;
  private readonly network: string;

  constructor(opts: KubeFaultInjectorOptions = {}) {
    this.docker =
      opts.docker ??
      (opts.dockerSocketPath ? new DockerClient({ socketPath: opts.dockerSocketPath }) : undefined);
    this.network = opts.network ?? 'kind';
  }

  async inject(target: FaultTarget, fault: DrillFault): Promise<() => Promise<void>> {
    switch (fault) {
      case 'kill':
        await this.kill(target);
        return () => Promise.resolve();
      case 'freeze':
        return this.freeze(target, this.requireDocker(fault, target));
      case 'partition':
        return this.partition(target, this.requireDocker(fault, target));
      default:
        throw new FaultInjectionError(
          `unknown drill fault '${String(fault)}' (kill | freeze | partition)`,
        );
    }
  }

  private requireDocker(fault: DrillFault, target: FaultTarget): DockerApi {
    if (this.docker) return this.docker;
    throw new FaultInjectionError(
      `fault '${fault}' of region ${target.region} needs the host's Docker socket: ${NO_DOCKER_SOCKET_HINT}`,
    );
  }

  private async pods(target: FaultTarget): Promise<PodLike[]> {
    const list = await target.client.list<PodLike>(
      'v1',
      'Pod',
      target.namespace,
      regionPodSelector(target.globalDatabase, target.region),
    );
    return list.items;
  }

  private async kill(target: FaultTarget): Promise<void> {
    const pods = await this.pods(target);
    if (pods.length === 0) {
      throw new FaultInjectionError(
        `kill: no pods of region ${target.region} (${regionPodSelector(target.globalDatabase, target.region)}) in namespace ${target.namespace}`,
      );
    }
    await Promise.all(
      pods.map((p) =>
        target.client.delete('v1', 'Pod', target.namespace, p.metadata.name, {
          gracePeriodSeconds: 0,
        }),
      ),
    );
  }

  private async node(
    target: FaultTarget,
    docker: DockerApi,
    fault: DrillFault,
  ): Promise<{ name: string; state: ContainerInspect }> {
    const name = regionNodeName(await this.pods(target), target);
    const state = await wrap(fault, target, `docker inspect ${name}`, () =>
      docker.inspectContainer(name),
    );
    return { name, state };
  }

  private async freeze(target: FaultTarget, docker: DockerApi): Promise<() => Promise<void>> {
    const { name, state } = await this.node(target, docker, 'freeze');
    if (state.State.Paused)
      throw new FaultInjectionError(
        `freeze: node ${name} of region ${target.region} is already paused`,
      );
    await wrap('freeze', target, `docker pause ${name}`, () => docker.pause(name));
    return () =>
      wrap('freeze', target, `heal (docker unpause ${name})`, async () => {
        if (!(await docker.inspectContainer(name)).State.Paused) return;
        try {
          await docker.unpause(name);
        } catch (err) {
          // Another heal may have unpaused it in between: fine if it now runs.
          if ((await docker.inspectContainer(name)).State.Paused) throw err;
        }
      });
  }

  private async partition(target: FaultTarget, docker: DockerApi): Promise<() => Promise<void>> {
    const { name, state } = await this.node(target, docker, 'partition');
    const net = this.network;
    const ip = networkAddress(state, net);
    if (!ip)
      throw new FaultInjectionError(
        `partition: node ${name} of region ${target.region} is not on the Docker network '${net}'`,
      );
    await wrap('partition', target, `docker network disconnect ${net} ${name}`, () =>
      docker.disconnect(net, name, false),
    );
    return () =>
      wrap(
        'partition',
        target,
        `heal (docker network connect --ip ${ip} ${net} ${name})`,
        async () => {
          const now = networkAddress(await docker.inspectContainer(name), net);
          if (now === undefined) {
            try {
              await docker.connect(net, name, ip);
            } catch (err) {
              // Another heal may have reconnected it in between: fine if it is back at its address.
              if (networkAddress(await docker.inspectContainer(name), net) !== ip) throw err;
            }
            return;
          }
          if (now !== ip)
            throw new FaultInjectionError(
              `node ${name} is back on '${net}' at ${now}, not at its address ${ip}`,
            );
        },
      );
  }
}

/** Runs one Docker step; a DockerApiError becomes a FaultInjectionError naming the fault, region and step. */
async function wrap<T>(
  fault: DrillFault,
  target: FaultTarget,
  step: string,
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof DockerApiError) {
      throw new FaultInjectionError(
        `${fault} of region ${target.region}: ${step}: ${err.message}`,
        { cause: err },
      );
    }
    throw err;
  }
}
