import { callControlPlane, controlPlaneUrl } from '../promotion/client.js';
import { formatPromotion } from '../promotion/format.js';
import type { PromotionReport } from '../promotion/coordinator.js';
import { CommandError, type CommandIO } from './io.js';

/** `borealis switchover --to REGION [--json]`: planned switchover (RPO 0) on the running topology. */
export async function switchover(opts: { to: string; json?: boolean }, io: CommandIO): Promise<void> {
  let base: string;
  try {
    base = controlPlaneUrl();
  } catch (err) {
    throw new CommandError((err as Error).message);
  }
  io.err(`switchover to ${opts.to} …`);
  let r: PromotionReport;
  try {
    r = await callControlPlane<PromotionReport>(base, '/promotion/switchover', { to: opts.to });
  } catch (err) {
    throw new CommandError(`switchover refused or failed: ${(err as Error).message}`, 1, { cause: err });
  }
  io.out(opts.json ? JSON.stringify(r) : formatPromotion(r));
}
