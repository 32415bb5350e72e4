// CPU and memory of kind node containers over a time window, whole and per component.
//
// - Whole node: the container's cgroup CPU time (cgroup v1 cpuacct.usage or v2 cpu.stat usage_usec)
//   read at both ends of the window, so the figure is an average over the window, not docker stats'
//   one-second snapshot; memory from docker stats at the end (what `docker stats` shows).
// - Per component: utime+stime of every process in the node (/proc/<pid>/stat, read through
//   `docker exec`), grouped by command name into the control plane of the kind node and the workload.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const DOCKER = '/usr/bin/docker';
const docker = (args) => {
  const r = spawnSync(DOCKER, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  return r.status === 0 ? r.stdout : null;
};

// Command name (comm, 15 chars) → component. Anything else is reported as "other".
const COMPONENTS = [
  [/^kube-apiserver$/, 'kube-apiserver'],
  [/^etcd$/, 'etcd'],
  [/^kubelet$/, 'kubelet'],
  [/^kube-controller/, 'kube-controller-manager'],
  [/^kube-scheduler$/, 'kube-scheduler'],
  [/^containerd/, 'containerd'],
  [/^(coredns|kube-proxy|kindnetd|local-path-pro|iptables.*|ip6tables.*)$/, 'node add-ons'],
  [/^(postgres|psql|pg_.*)$/, 'postgres'],
  [/^nats-server$/, 'nats-server'],
  [/^(node|MainThread)$/, 'node (agent/operator)'],
];
const CONTROL_PLANE = new Set([
  'kube-apiserver',
  'etcd',
  'kubelet',
  'kube-controller-manager',
  'kube-scheduler',
  'containerd',
  'node add-ons',
]);
const component = (comm) => COMPONENTS.find(([re]) => re.test(comm))?.[1] ?? 'other';

function cgroupUsageUsec(container) {
  const id = docker(['inspect', '-f', '{{.Id}}', container])?.trim();
  if (!id) return null;
  const v1 = `/sys/fs/cgroup/cpuacct/docker/${id}/cpuacct.usage`;
  if (existsSync(v1)) return Number(readFileSync(v1, 'utf8')) / 1000;
  for (const p of [
    `/sys/fs/cgroup/system.slice/docker-${id}.scope/cpu.stat`,
    `/sys/fs/cgroup/docker/${id}/cpu.stat`,
  ]) {
    if (existsSync(p)) {
      const m = /^usage_usec (\d+)$/m.exec(readFileSync(p, 'utf8'));
      if (m) return Number(m[1]);
    }
  }
  return null;
}

// pid → { comm, ticks } of every process in the node container.
function processTicks(container) {
  const out =
    docker(['exec', container, 'sh', '-c', 'cat /proc/[0-9]*/stat 2>/dev/null; true']) ?? '';
  const procs = new Map();
  for (const line of out.split('\n')) {
    const open = line.indexOf('(');
    const close = line.lastIndexOf(')');
    if (open < 0 || close < open) continue;
    const pid = line.slice(0, open).trim();
    const rest = line.slice(close + 2).split(' ');
    // rest[0] is field 3 (state): utime and stime are fields 14 and 15.
    procs.set(pid, {
      comm: line.slice(open + 1, close),
      ticks: Number(rest[11]) + Number(rest[12]),
    });
  }
  return procs;
}

const memMiB = (container) => {
  const s = docker(['stats', '--no-stream', '--format', '{{.MemUsage}}', container]) ?? '';
  const m = /^([\d.]+)\s*([KMG]i?B)/.exec(s.trim());
  return m
    ? Number(m[1]) * { KiB: 1 / 1024, KB: 1 / 1024, MiB: 1, MB: 1, GiB: 1024, GB: 1024 }[m[2]]
    : NaN;
};

/**
 * Measures every container over `seconds` (all in the same window).
 * @returns {Promise<Record<string, {cpuPercentOfCore: number|null, controlPlaneCpuPercent: number, memMiB: number, components: Record<string, number>}>>}
 *   CPU in % of one core; controlPlaneCpuPercent: the kind node's own Kubernetes processes (CONTROL_PLANE);
 *   components: % of one core per component (processes that exited in the window
 *   are left out; processes started in it count from zero).
 */
export async function measureNodes(containers, seconds) {
  const hz = 100; // USER_HZ on Linux
  const before = new Map(
    containers.map((c) => [c, { usec: cgroupUsageUsec(c), procs: processTicks(c) }]),
  );
  const t0 = Date.now();
  await sleep(seconds * 1000);
  const elapsed = (Date.now() - t0) / 1000;
  const result = {};
  for (const c of containers) {
    const b = before.get(c);
    const usec = cgroupUsageUsec(c);
    const components = {};
    for (const [pid, p] of processTicks(c)) {
      const was = b.procs.get(pid);
      const d = was && was.comm === p.comm ? p.ticks - was.ticks : p.ticks;
      const k = component(p.comm);
      components[k] = (components[k] ?? 0) + (d / hz / elapsed) * 100;
    }
    result[c] = {
      cpuPercentOfCore:
        usec != null && b.usec != null
          ? +(((usec - b.usec) / 1e6 / elapsed) * 100).toFixed(1)
          : null,
      controlPlaneCpuPercent: +Object.entries(components)
        .filter(([k]) => CONTROL_PLANE.has(k))
        .reduce((a, [, v]) => a + v, 0)
        .toFixed(1),
      memMiB: Math.round(memMiB(c)),
      components: Object.fromEntries(
        Object.entries(components)
          .filter(([, v]) => v >= 0.05)
          .sort((x, y) => y[1] - x[1])
          .map(([k, v]) => [k, +v.toFixed(1)]),
      ),
    };
  }
  return result;
}
