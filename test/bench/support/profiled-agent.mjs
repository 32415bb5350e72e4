// Runs the region agent under the V8 sampling profiler (Node 20 refuses --cpu-prof in NODE_OPTIONS, and
// the topology spawns agents itself): the bench passes this file as the topology's agentEntry. The
// profile is written to $BENCH_CPU_PROF/agent-<pid>.cpuprofile when the agent exits (the agent's SIGTERM
// handler ends with process.exit; an in-thread inspector session answers synchronously, so 'exit' can
// write it). Open it in Chrome DevTools or summarize it with test/bench/support/profile-summary.mjs.
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.BENCH_CPU_PROF;
const entry = process.env.BENCH_AGENT_ENTRY;
if (!dir || !entry) throw new Error('profiled-agent.mjs needs BENCH_CPU_PROF and BENCH_AGENT_ENTRY');
const session = new Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.setSamplingInterval', { interval: Number(process.env.BENCH_CPU_PROF_INTERVAL_US ?? 500) });
session.post('Profiler.start');
process.on('exit', () => {
  session.post('Profiler.stop', (err, res) => {
    if (!err) writeFileSync(join(dir, `agent-${process.pid}.cpuprofile`), JSON.stringify(res.profile));
  });
});
await import(entry);
