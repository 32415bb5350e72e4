import { callControlPlane, controlPlaneUrl } from '../promotion/client.js';
import { formatPromotion } from '../promotion/format.js';
import type { PromotionReport } from '../promotion/coordinator.js';
import { CommandError, type CommandIO } from './io.js';

/** `borealis failover [--to REGION] [--force] [--json]`: unplanned failover on the running topology. */
export async function failover(opts: { to?: string; force?: boolean; json?: boolean }, io: CommandIO): Promise<void> {
  let base: string;
  try {
    base = controlPlaneUrl();
  } catch (err) {
    throw new CommandError((err as Error).message);
  }
  io.err(`failover${opts.to ? ` to ${opts.to}` : ''}${opts.force ? ' (forced)' : ''} …`);
  let r: PromotionReport;
  try {
    r = await callControlPlane<PromotionReport>(base, '/promotion/failover', { to: opts.to, force: !!opts.force });
  } catch (err) {
    throw new CommandError(`failover refused or failed: ${(err as Error).message}`, 1, { cause: err });
  }
  io.out(opts.json ? JSON.stringify(r) : formatPromotion(r));
}
