#!/usr/bin/env node
/** borealis-operator: the control plane of Borealis (GlobalDatabase and FailoverDrill controllers). */
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { HttpAgentStatusSource } from './controllers/global-database/index.js';
import { KubeFaultInjector } from './drills/index.js';
import { Operator } from './manager/index.js';
import { KubeClient } from './runtime/index.js';
import { DEFAULT_IMAGES, type Images } from './specs/index.js';

const usage = `usage: borealis-operator [options]
  --kubeconfig <file>          kubeconfig (default: $KUBECONFIG, ~/.kube/config, or in-cluster)
  --namespace <ns>             watch one namespace (default: all)
  --http-port <port>           /metrics /healthz /readyz (default 8080)
  --leader-elect               elect a leader on a Lease (needed with more than one replica)
  --lease-namespace <ns>       namespace of the Lease (default: $POD_NAMESPACE or default)
  --lease-name <name>          (default borealis-operator)
  --region-image <ref>         (default ${DEFAULT_IMAGES.region})
  --nats-image <ref>           (default ${DEFAULT_IMAGES.nats})
  --image-pull-policy <p>      IfNotPresent | Never | Always (default IfNotPresent)
  --agent-url-template <t>     URL of an agent's /status; {service} {namespace} {region} {globalDatabase}
  --poll-interval <ms>         agent status poll interval (default 1000)
  --docker-socket <path>       host Docker socket for freeze/partition drill faults on kind (testbed only)
  --log-level <level>          (default info)`;

function fail(message: string): never {
  process.stderr.write(`borealis-operator: ${message}\n${usage}\n`);
  process.exit(2);
}

let values;
try {
  values = parseArgs({
    options: {
      kubeconfig: { type: 'string' },
      namespace: { type: 'string' },
      'http-port': { type: 'string', default: '8080' },
      'leader-elect': { type: 'boolean', default: false },
      'lease-namespace': { type: 'string' },
      'lease-name': { type: 'string', default: 'borealis-operator' },
      'region-image': { type: 'string', default: DEFAULT_IMAGES.region },
      'nats-image': { type: 'string', default: DEFAULT_IMAGES.nats },
      'image-pull-policy': { type: 'string', default: 'IfNotPresent' },
      'agent-url-template': { type: 'string' },
      'poll-interval': { type: 'string', default: '1000' },
      'docker-socket': { type: 'string' },
      'log-level': { type: 'string', default: 'info' },
      help: { type: 'boolean', short: 'h' },
    },
  }).values;
} catch (err) {
  fail((err as Error).message);
}
if (values.help) {
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}
const int = (name: string, v: string, min: number): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) fail(`--${name} must be an integer ≥ ${min}, got "${v}"`);
  return n;
};
const pullPolicy = values['image-pull-policy'];
if (pullPolicy !== 'IfNotPresent' && pullPolicy !== 'Never' && pullPolicy !== 'Always')
  fail(`--image-pull-policy must be IfNotPresent, Never or Always, got "${pullPolicy}"`);
const images: Images = { region: values['region-image'], nats: values['nats-image'], pullPolicy };

const log = pino({ level: values['log-level'], base: { component: 'borealis-operator' } });
let client: KubeClient;
try {
  client = KubeClient.fromDefault(values.kubeconfig);
} catch (err) {
  fail(`cannot load a kubeconfig: ${(err as Error).message}`);
}
const identity = `${process.env['POD_NAME'] ?? hostname()}-${process.pid}`;
const operator = new Operator({
  client,
  log,
  ...(values.namespace ? { namespace: values.namespace } : {}),
  images,
  agents: new HttpAgentStatusSource(values['agent-url-template'] ?? undefined),
  faults: new KubeFaultInjector(
    values['docker-socket'] ? { dockerSocketPath: values['docker-socket'] } : {},
  ),
  pollIntervalMs: int('poll-interval', values['poll-interval'], 100),
  httpPort: int('http-port', values['http-port'], 0),
  ...(values['leader-elect']
    ? {
        leaderElection: {
          namespace: values['lease-namespace'] ?? process.env['POD_NAMESPACE'] ?? 'default',
          name: values['lease-name'],
          identity,
        },
      }
    : {}),
  onLeadershipLost: () => {
    log.error('leadership lost: exiting so that the new leader works alone');
    process.exit(1);
  },
});

let stopping = false;
const shutdown = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'shutting down');
  const t = setTimeout(() => {
    log.error('graceful shutdown took more than 25s: exiting');
    process.exit(1);
  }, 25_000);
  operator.stop().then(
    () => {
      clearTimeout(t);
      process.exit(0);
    },
    (err: unknown) => {
      log.error({ err }, 'shutdown failed');
      process.exit(1);
    },
  );
};
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
operator.start().catch((err: unknown) => {
  log.fatal({ err }, 'operator failed to start');
  process.exit(1);
});
