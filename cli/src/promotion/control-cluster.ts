import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { EpochStore } from '@borealis/region-agent';
import { ProcessStartError } from '../topology/errors.js';
import { defaultNatsServerBinary } from '../topology/nats.js';
import { allocatePort } from '../topology/ports.js';
import { ManagedProcess, waitUntil } from '../topology/process.js';
import { controlMemberRegions, renderControlMemberConfig } from './control-config.js';

export interface ControlMember {
  name: string;
  /** The region whose fault takes this member down (null: a witness outside every region). */
  region: string | null;
  url: string;
  monitorUrl: string;
  process: ManagedProcess;
  configFile: string;
  dir: string;
}

export interface ControlCluster {
  members: ControlMember[];
  urls: string[];
  bucket: string;
  nc: NatsConnection;
  store: EpochStore;
  /**
   * Moves the epoch store's stream leader to a member outside `primaryRegion` (if it is there), so that a
   * fault of the primary region does not also cost a KV leader election before the failover's CAS.
   */
  keepLeaderOutside(primaryRegion: string): Promise<string | null>;
  /** Starts again the members of a region that are not running (its JetStream store is kept). */
  restartMembersOf(region: string): Promise<void>;
  stop(): Promise<void>;
}

export const EPOCH_BUCKET = 'borealis_epochs';

/**
 * Starts the control NATS cluster (3 nats-server processes, one cluster, JetStream) that holds the epoch
 * store: a KV bucket with 3 replicas, initialised with epoch 1 for `primary`.
 */
export async function startControlCluster(opts: {
  dir: string;
  regions: string[];
  primary: string;
  db: string;
  binary?: string;
}): Promise<ControlCluster> {
  const binary = opts.binary ?? defaultNatsServerBinary();
  const placement = controlMemberRegions(opts.regions);
  const ports = [];
  for (let k = 0; k < 3; k++) ports.push({ client: await allocatePort(), http: await allocatePort(), cluster: await allocatePort() });
  const members: ControlMember[] = [];
  const stopAll = async () => {
    await Promise.all(members.map((m) => m.process.stop(5_000).catch(() => undefined)));
  };
  try {
    for (let k = 0; k < 3; k++) {
      const name = `control-${placement[k] ?? `witness-${k}`}`;
      const dir = join(opts.dir, name);
      mkdirSync(dir, { recursive: true });
      const configFile = join(dir, 'nats-server.conf');
      writeFileSync(
        configFile,
        renderControlMemberConfig({
          name,
          clientPort: ports[k]!.client,
          httpPort: ports[k]!.http,
          clusterPort: ports[k]!.cluster,
          routePorts: ports.map((p) => p.cluster),
          storeDir: join(dir, 'jetstream'),
        }),
      );
      let proc: ManagedProcess;
      try {
        proc = await ManagedProcess.spawn({ name: `nats-server ${name}`, command: binary, args: ['-c', configFile], logFile: join(dir, 'nats.log'), cwd: dir });
      } catch (err) {
        throw new ProcessStartError(`cannot start the control cluster member ${name} (${binary})`, { cause: err });
      }
      members.push({
        name,
        region: placement[k] ?? null,
        url: `nats://127.0.0.1:${ports[k]!.client}`,
        monitorUrl: `http://127.0.0.1:${ports[k]!.http}`,
        process: proc,
        configFile,
        dir,
      });
    }
    for (const m of members) {
      await waitUntil(
        `control member ${m.name} JetStream`,
        async () => {
          const res = await fetch(`${m.monitorUrl}/healthz?js-enabled-only=true`, { signal: AbortSignal.timeout(2000) });
          await res.arrayBuffer();
          return res.ok;
        },
        { timeoutMs: 30_000, process: m.process },
      );
    }
    const urls = members.map((m) => m.url);
    // Ping every second: a frozen member keeps its TCP connection open; missed pongs move the client on.
    const nc = await connect({ servers: urls, name: 'borealis-control-plane', maxReconnectAttempts: -1, reconnectTimeWait: 250, pingInterval: 1_000, maxPingOut: 2, timeout: 1_500 });
    let store: EpochStore | undefined;
    await waitUntil(
      'the epoch store (KV, 3 replicas) on the control cluster',
      async () => {
        try {
          store = await EpochStore.open(nc, EPOCH_BUCKET, opts.db, { create: true, replicas: 3 });
          await store.initialize(opts.primary);
          return true;
        } catch {
          return false;
        }
      },
      { timeoutMs: 60_000, intervalMs: 300 },
    );
    return {
      members,
      urls,
      bucket: EPOCH_BUCKET,
      nc,
      store: store!,
      keepLeaderOutside: async (primaryRegion: string) => {
        const stream = `KV_${EPOCH_BUCKET}`;
        const jsm = await jetstreamManager(nc, { timeout: 5_000 });
        const info = await jsm.streams.info(stream);
        const leader = info.cluster?.leader ?? null;
        const inside = members.find((m) => m.name === leader)?.region === primaryRegion;
        if (!inside) return leader;
        const preferred = members.find((m) => m.region !== primaryRegion && !m.process.exited)?.name;
        await nc.request(`$JS.API.STREAM.LEADER.STEPDOWN.${stream}`, JSON.stringify(preferred ? { placement: { preferred } } : {}), { timeout: 5_000 });
        return preferred ?? null;
      },
      restartMembersOf: async (region: string) => {
        for (const m of members) {
          if (m.region !== region || !m.process.exited) continue;
          m.process = await ManagedProcess.spawn({ name: `nats-server ${m.name}`, command: binary, args: ['-c', m.configFile], logFile: join(m.dir, 'nats.log'), cwd: m.dir });
        }
      },
      stop: async () => {
        await nc.close().catch(() => undefined);
        await stopAll();
      },
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
