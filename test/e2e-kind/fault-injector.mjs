// The operator's KubeFaultInjector (operator/dist, `npm run build` first) against the real kind testbed of
// `npm run kind:up`: kill, freeze and partition of one region (default eu-west, a secondary), each healed, checked
// with `docker inspect` and the region cluster's pods, and the GlobalDatabase back to Ready after each.
//   node test/e2e-kind/fault-injector.mjs [region] [kill,freeze,partition]
// Root (the Docker socket); the region is reached at its kind-network address (internal kubeconfig), which survives
// a partition, unlike its 127.0.0.1 port mappings. Prints one JSON line per step.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { KubeFaultInjector } from '../../operator/dist/drills/index.js';
import { KubeClient } from '../../operator/dist/runtime/index.js';

const state = process.env.BOREALIS_KIND_STATE ?? join(homedir(), '.cache', 'borealis', 'kind');
const env = Object.fromEntries(
  readFileSync(join(state, 'kind-up.env'), 'utf8')
    .split('\n')
    .filter((l) => l.includes('='))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).replace(/^"|"$/g, '')]),
);
const region = process.argv[2] ?? 'eu-west';
const faults = (process.argv[3] ?? 'kill,freeze,partition').split(',');
const gdb = env.GDB;
const ns = 'default';
const kubectl = join(
  execFileSync('bash', ['hack/tools.sh', 'path'], { encoding: 'utf8' }).trim(),
  'kubectl',
);
const docker = (...args) => execFileSync('/usr/bin/docker', args, { encoding: 'utf8' }).trim();
const t0 = Date.now();
const say = (o) => console.log(JSON.stringify({ t: ((Date.now() - t0) / 1000).toFixed(1), ...o }));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(what, fn, timeoutMs = 180_000) {
  const start = Date.now();
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return { value: last, seconds: (Date.now() - start) / 1000 };
    } catch (err) {
      last = err.message;
    }
    if (Date.now() - start > timeoutMs)
      throw new Error(`${what}: not within ${timeoutMs} ms (last: ${JSON.stringify(last)})`);
    await sleep(1000);
  }
}

const client = KubeClient.fromString(
  readFileSync(join(state, `borealis-${region}.internal.kubeconfig`), 'utf8'),
  `borealis-${region}.internal.kubeconfig`,
);
const target = { namespace: ns, globalDatabase: gdb, region, client };
const injector = new KubeFaultInjector({ dockerSocketPath: '/var/run/docker.sock' });
const selector = `borealis.dev/global-database=${gdb},borealis.dev/region=${region}`;
const pods = async () => (await client.list('v1', 'Pod', ns, selector)).items;
const ready = (p) =>
  p.status?.phase === 'Running' &&
  (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
const node = (await pods()).find(
  (p) => p.metadata.labels['app.kubernetes.io/component'] === 'database',
).spec.nodeName;
const inspect = () => JSON.parse(docker('inspect', node))[0];
const kindIp = () => inspect().NetworkSettings.Networks.kind?.IPAddress ?? '';
const gdbStatus = () =>
  JSON.parse(
    execFileSync(
      kubectl,
      [
        '--kubeconfig',
        join(state, 'borealis-global.kubeconfig'),
        '-n',
        ns,
        'get',
        'globaldatabase',
        gdb,
        '-o',
        'json',
      ],
      { encoding: 'utf8' },
    ),
  ).status;
const regionStatus = (s) => s.regions.find((r) => r.name === region);
async function waitGdbReady(after) {
  const { seconds, value } = await until(
    `GlobalDatabase ${gdb} Ready with ${region} ready`,
    () => {
      const s = gdbStatus();
      const ok =
        s.phase === 'Ready' &&
        regionStatus(s)?.ready === true &&
        s.conditions.some((c) => c.type === 'Ready' && c.status === 'True');
      return ok ? s : undefined;
    },
    240_000,
  );
  say({
    step: `${after}: GlobalDatabase Ready`,
    seconds,
    phase: value.phase,
    regionsReady: value.regionsReady,
    primary: value.primaryRegion,
  });
}
async function waitRegionNotReady(after) {
  const { seconds, value } = await until(
    `operator sees ${region} not ready`,
    () => {
      const s = gdbStatus();
      return regionStatus(s)?.ready === false ? s : undefined;
    },
    120_000,
  );
  say({
    step: `${after}: operator reports ${region} not ready`,
    seconds,
    phase: value.phase,
    regionsReady: value.regionsReady,
  });
}

say({ region, gdb, node, ip: kindIp(), faults });
await waitGdbReady('start');
for (const fault of faults) {
  if (fault === 'kill') {
    const before = await pods();
    const uids = new Set(before.map((p) => p.metadata.uid));
    const heal = await injector.inject(target, 'kill');
    say({ step: 'kill injected', deleted: before.map((p) => p.metadata.name) });
    const { seconds, value } = await until('pods recreated and ready', async () => {
      const now = await pods();
      return now.length === before.length && now.every((p) => !uids.has(p.metadata.uid) && ready(p))
        ? now
        : undefined;
    });
    say({
      step: 'kill: pods recreated (new uids) and Ready',
      seconds,
      pods: value.map((p) => `${p.metadata.name} ${p.metadata.uid.slice(0, 8)}`),
    });
    await heal();
    await waitGdbReady('kill');
  } else if (fault === 'freeze') {
    const heal = await injector.inject(target, 'freeze');
    const s = inspect().State;
    say({ step: 'freeze injected', dockerState: s.Status, paused: s.Paused });
    if (!s.Paused) throw new Error(`${node} is not paused after freeze`);
    await waitRegionNotReady('freeze');
    await heal();
    await heal(); // idempotent
    const h = inspect().State;
    say({ step: 'freeze healed (heal called twice)', dockerState: h.Status, paused: h.Paused });
    if (h.Paused || !h.Running) throw new Error(`${node} is not running after heal`);
    await waitGdbReady('freeze');
  } else if (fault === 'partition') {
    const ip = kindIp();
    const heal = await injector.inject(target, 'partition');
    const during = kindIp();
    say({
      step: 'partition injected',
      ipBefore: ip,
      kindNetworkNow: during || '(not connected)',
      networks: Object.keys(inspect().NetworkSettings.Networks),
    });
    if (during) throw new Error(`${node} is still on the kind network`);
    await waitRegionNotReady('partition');
    await heal();
    await heal(); // idempotent
    const after = kindIp();
    say({ step: 'partition healed (heal called twice)', ipAfter: after, sameIp: after === ip });
    if (after !== ip) throw new Error(`${node} came back at ${after}, not ${ip}`);
    await waitGdbReady('partition');
  } else throw new Error(`unknown fault ${fault}`);
}
say({ result: 'ok' });
