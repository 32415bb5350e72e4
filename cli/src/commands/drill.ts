import { writeFileSync } from 'node:fs';
import { callControlPlane, controlPlaneUrl } from '../promotion/client.js';
import type { DrillResult } from '../promotion/drill.js';
import { formatDrill } from '../promotion/format.js';
import { renderDrillReport } from '../report/index.js';
import { CommandError, type CommandIO } from './io.js';

export interface DrillCommandOptions {
  type: 'switchover' | 'failover';
  fault?: 'kill' | 'freeze' | 'partition';
  region?: string;
  to?: string;
  force?: boolean;
  writesPerSec?: number;
  json?: boolean;
  report?: string;
}

/**
 * `borealis drill --type switchover|failover [--fault kill|freeze|partition] [--region R] [--writes-per-sec N]
 * [--json] [--report drill.html]`: runs a drill in the supervisor (prober, fault, promotion, rejoin) and
 * prints RTO with its phases and RPO against the prober's ledger.
 */
export async function drill(opts: DrillCommandOptions, io: CommandIO): Promise<void> {
  if (opts.type === 'failover' && !opts.fault) throw new CommandError('a failover drill needs --fault kill|freeze|partition', 2);
  if (opts.type === 'switchover' && opts.fault) throw new CommandError('a switchover drill takes no --fault', 2);
  let base: string;
  try {
    base = controlPlaneUrl();
  } catch (err) {
    throw new CommandError((err as Error).message);
  }
  io.err(`${opts.type} drill${opts.fault ? ` (${opts.fault})` : ''} running …`);
  let r: DrillResult;
  try {
    r = await callControlPlane<DrillResult>(base, '/promotion/drill', {
      type: opts.type,
      fault: opts.fault,
      region: opts.region,
      to: opts.to,
      force: !!opts.force,
      writesPerSec: opts.writesPerSec ?? 50,
    });
  } catch (err) {
    throw new CommandError(`drill failed: ${(err as Error).message}`, 1, { cause: err });
  }
  if (opts.report) {
    writeFileSync(opts.report, renderDrillReport(r.report));
    io.err(`report written to ${opts.report}`);
  }
  io.out(opts.json ? JSON.stringify(r) : formatDrill(r));
  if (r.rtoSeconds === null) throw new CommandError('the drill failed: no write was acknowledged by the new primary', 1);
}
