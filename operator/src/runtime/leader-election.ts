import type { Logger } from 'pino';
import { isConflict, isNotFound } from './errors.js';
import type { KubeClient } from './kube-client.js';

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationSeconds: number;
  /** How often the leader renews, and candidates retry. */
  retryPeriodMs: number;
}

interface Lease {
  apiVersion: 'coordination.k8s.io/v1';
  kind: 'Lease';
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

const microTime = (d: Date): string => d.toISOString().replace('Z', '000Z');

/**
 * Leader election on a coordination.k8s.io Lease (client-go's leaderelection): acquire when free or
 * expired, renew every retryPeriod with the Lease's resourceVersion as a compare-and-set, give up the
 * lease on stop so a successor takes over at once.
 */
export class LeaderElector {
  private timer: NodeJS.Timeout | undefined;
  private leading = false;
  private stopped = false;
  private lastRenew = 0;

  constructor(
    private readonly client: KubeClient,
    private readonly opts: LeaderElectionOptions,
    private readonly log: Logger,
  ) {}

  isLeader(): boolean {
    return this.leading;
  }

  /** Resolves once this process leads; onLost is called if leadership is lost afterwards. */
  async run(onLost: () => void): Promise<void> {
    for (;;) {
      if (this.stopped) throw new Error('leader election stopped before leadership was acquired');
      if (await this.tryAcquireOrRenew()) break;
      await new Promise((r) => setTimeout(r, this.opts.retryPeriodMs));
    }
    this.leading = true;
    this.log.info(
      { lease: `${this.opts.namespace}/${this.opts.name}`, identity: this.opts.identity },
      'became leader',
    );
    const renew = async (): Promise<void> => {
      if (this.stopped) return;
      const ok = await this.tryAcquireOrRenew().catch((err: unknown) => {
        this.log.warn({ err }, 'lease renewal failed');
        return false;
      });
      if (ok) this.lastRenew = Date.now();
      if (!ok && Date.now() - this.lastRenew > this.opts.leaseDurationSeconds * 1000 * 0.8) {
        this.leading = false;
        this.log.error({ lease: this.opts.name }, 'lost leadership');
        onLost();
        return;
      }
      this.timer = setTimeout(() => void renew(), this.opts.retryPeriodMs);
    };
    this.lastRenew = Date.now();
    this.timer = setTimeout(() => void renew(), this.opts.retryPeriodMs);
  }

  /** Stops renewing and releases the lease (holder cleared) when held. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (!this.leading) return;
    this.leading = false;
    try {
      const lease = await this.client.get<Lease>(
        'coordination.k8s.io/v1',
        'Lease',
        this.opts.namespace,
        this.opts.name,
      );
      if (lease.spec.holderIdentity !== this.opts.identity) return;
      lease.spec = {
        ...lease.spec,
        holderIdentity: '',
        leaseDurationSeconds: 1,
        renewTime: microTime(new Date()),
      };
      await this.client.replace(lease);
    } catch (err) {
      this.log.warn({ err }, 'could not release the lease');
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = new Date();
    const { namespace, name, identity, leaseDurationSeconds } = this.opts;
    let lease: Lease;
    try {
      lease = await this.client.get<Lease>('coordination.k8s.io/v1', 'Lease', namespace, name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      try {
        await this.client.create<Lease>({
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name, namespace },
          spec: {
            holderIdentity: identity,
            leaseDurationSeconds,
            acquireTime: microTime(now),
            renewTime: microTime(now),
            leaseTransitions: 0,
          },
        });
        return true;
      } catch (e) {
        if (isConflict(e) || (e as { status?: number }).status === 409) return false;
        throw e;
      }
    }
    const s = lease.spec;
    const renewed = s.renewTime ? Date.parse(s.renewTime) : 0;
    const expired =
      !s.holderIdentity ||
      renewed + (s.leaseDurationSeconds ?? leaseDurationSeconds) * 1000 < now.getTime();
    if (s.holderIdentity !== identity && !expired) return false;
    const transitions = (s.leaseTransitions ?? 0) + (s.holderIdentity === identity ? 0 : 1);
    lease.spec = {
      holderIdentity: identity,
      leaseDurationSeconds,
      acquireTime: s.holderIdentity === identity && s.acquireTime ? s.acquireTime : microTime(now),
      renewTime: microTime(now),
      leaseTransitions: transitions,
    };
    try {
      await this.client.replace(lease); // carries metadata.resourceVersion: a compare-and-set
      return true;
    } catch (err) {
      if (isConflict(err)) return false;
      throw err;
    }
  }
}
