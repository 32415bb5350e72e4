#!/usr/bin/env node
// npm run bench:kind-profile -- [--seconds S] [--settle S]
//
// The idle cost of one kind node with kind's default control plane next to one with Borealis' lean
// profile (hack/kind.sh, BOREALIS_KIND_PROFILE=lean: etcd on tmpfs without fsync, no leader election,
// no profiling, one CoreDNS replica), measured side by side in the same window on the same host:
// CPU (cgroup CPU time, % of one core), memory, and CPU per component. The two clusters are named
// borealis-profile-kind and borealis-profile-lean, hold no workload, and are deleted at the end (also on
// failure); their kubeconfigs live in a temp dir. Ends with one JSON line {"bench":"kind-profile",...}.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { measureNodes } from './support/node-footprint.mjs';

const root = join(import.meta.dirname, '..', '..');
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const seconds = opt('seconds', 120);
const settle = opt('settle', 60);
const profiles = ['kind', 'lean'];
const state = mkdtempSync(join(tmpdir(), 'borealis-kind-profile-'));
const kindSh = (cmd, region, profile) => {
  const r = spawnSync('bash', [join(root, 'hack', 'kind.sh'), cmd, region], {
    stdio: 'inherit',
    env: { ...process.env, BOREALIS_KIND_STATE: state, BOREALIS_KIND_PROFILE: profile ?? 'lean' },
  });
  if (r.status !== 0) throw new Error(`hack/kind.sh ${cmd} ${region} exited ${r.status}`);
};

let ok = false;
try {
  const created = {};
  for (const p of profiles) {
    const t = Date.now();
    kindSh('up', `profile-${p}`, p);
    created[p] = Math.round((Date.now() - t) / 1000);
  }
  console.error(
    `[bench:kind-profile] both clusters up; settling ${settle} s, then measuring ${seconds} s`,
  );
  await sleep(settle * 1000);
  const nodes = await measureNodes(
    profiles.map((p) => `borealis-profile-${p}-control-plane`),
    seconds,
  );
  const rows = profiles.map((p) => {
    const n = nodes[`borealis-profile-${p}-control-plane`];
    return {
      profile: p,
      createSeconds: created[p],
      cpuPercentOfCore: n.cpuPercentOfCore,
      controlPlaneCpuPercent: n.controlPlaneCpuPercent,
      memMiB: n.memMiB,
      ...n.components,
    };
  });
  console.table(rows);
  console.log(
    JSON.stringify({
      bench: 'kind-profile',
      seconds,
      loadAvg: spawnSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).stdout.trim(),
      profiles: rows,
    }),
  );
  ok = true;
} finally {
  for (const p of profiles) {
    try {
      kindSh('down', `profile-${p}`);
    } catch (err) {
      console.error(String(err));
    }
  }
  rmSync(state, { recursive: true, force: true });
}
process.exit(ok ? 0 : 1);
