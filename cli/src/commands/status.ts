import { pidAlive, readState, stateFilePath } from '../state/index.js';
import { StatusSampler, renderStatusTable, renderTable } from '../status/index.js';
import { CommandError, type CommandIO } from './io.js';

/** `borealis status [--json]`: the running topology from the state file, plus each agent's /status. */
export async function status(opts: { json?: boolean }, io: CommandIO): Promise<void> {
  const path = stateFilePath();
  const state = readState(path);
  if (!state)
    throw new CommandError(
      `no topology is running (no state file at ${path}); start one with "borealis up"`,
    );
  if (!pidAlive(state.pid)) {
    throw new CommandError(
      `the topology's supervisor (pid ${state.pid}) is gone but its state file remains (${path}); run "borealis down" to clean up`,
    );
  }
  if (state.status !== 'ready' || !state.description) {
    throw new CommandError(
      `the topology is still starting (supervisor pid ${state.pid}, since ${state.startedAt})`,
    );
  }
  const d = state.description;
  if (opts.json) {
    io.out(JSON.stringify(d));
    return;
  }
  io.out(`supervisor pid ${state.pid}, up since ${state.startedAt}`);
  io.out(`writer         ${d.writer}`);
  io.out(`control plane  ${d.controlPlane}`);
  io.out('');
  io.out(
    renderTable(
      ['REGION', 'ROLE', 'POSTGRES', 'READER', 'HTTP', 'NATS'],
      d.regions.map((r) => [r.name, r.role, r.postgres, r.reader, r.http, r.nats]),
    ),
  );
  if (state.options?.agents === false) {
    io.out('\n(started without region agents)');
    return;
  }
  // Two samples one second apart, so the table can show transactions per second.
  const sampler = new StatusSampler(d.regions);
  await sampler.sample();
  await new Promise((r) => setTimeout(r, 1000));
  io.out('');
  io.out(renderStatusTable(await sampler.sample()));
}
