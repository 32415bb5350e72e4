import type { GlobalDatabase } from '../api/index.js';
import type { AgentStatusReport } from '../controllers/global-database/agent-status.js';

export interface RegionRef {
  namespace: string;
  globalDatabase: string;
  region: string;
}

/**
 * How the promotion coordinator reaches the region agents (DESIGN §4, docs/promotion.md): their /status and
 * their promotion API (POST /admin/{fence,unfence,stop-apply,resume-apply,promote,follow,rejoin}), plus the
 * address a region seeds from. The operator's implementation is AgentPromotionDriver (agent-driver.ts).
 */
export interface PromotionDriver {
  status(gdb: GlobalDatabase, region: string, timeoutMs: number): Promise<AgentStatusReport>;
  admin<T>(
    gdb: GlobalDatabase,
    region: string,
    op: string,
    body: unknown,
    timeoutMs: number,
  ): Promise<T>;
  /** postgresql:// URL of `primary`'s database as reached from `region` (the seed source of follow/rejoin). */
  seedUrl(gdb: GlobalDatabase, region: string, primary: string): Promise<string>;
}
