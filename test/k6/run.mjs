#!/usr/bin/env node
// `npm run load -- <scenario> [--topology <json|file>] [--drill <switchover|failover[:kill|freeze|partition]>]
//                 [--during "<command>"] [--during-after <s>]
//                 [--timeline] [k6 options, e.g. -e DURATION=10s -e READ_RATE=100]`
// Scenarios: smoke, read-heavy, write-forwarding, mixed-oltp, failover (test/k6/*.ts; docs/data-api.md).
import { findTopology, LoadRunError, runScenario, SCENARIOS } from './runner.mjs';

const argv = process.argv.slice(2);
const scenario = argv.shift();
if (!scenario || scenario === '--help' || scenario === '-h') {
  process.stderr.write(`usage: npm run load -- <${SCENARIOS.join('|')}> [--topology <json|file>] [--drill <type>[:<fault>]] [--during "<command>"] [--during-after <s>] [--timeline] [k6 options]\n`);
  process.exit(scenario ? 0 : 2);
}
let topologyArg;
let during;
let drill;
let duringAfterS = 10;
let timeline;
const k6Args = [];
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--topology') topologyArg = argv[++i];
  else if (a === '--during') during = argv[++i];
  else if (a === '--drill') drill = argv[++i];
  else if (a === '--during-after') duringAfterS = Number(argv[++i]);
  else if (a === '--timeline') timeline = true;
  else k6Args.push(a);
}
const abort = new AbortController();
process.on('SIGINT', () => abort.abort());
process.on('SIGTERM', () => abort.abort());
try {
  const topology = await findTopology(topologyArg);
  const r = await runScenario({ scenario, topology, k6Args, during, drill, duringAfterS, timeline: timeline ?? scenario === 'failover', signal: abort.signal });
  process.stderr.write(`[load] ${scenario}: k6 exited with ${r.code}${r.code === 99 ? ' (a threshold failed)' : ''}\n`);
  process.exit(r.code);
} catch (err) {
  if (err instanceof LoadRunError) {
    process.stderr.write(`load: ${err.message}\n`);
    process.exit(2);
  }
  throw err;
}
