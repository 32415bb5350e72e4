export { EpochStore, EpochConflictError, EpochStoreError, epochKey } from './epoch-store.js';
export { LeaseKeeper, type LeaseOptions } from './lease.js';
export { Promoter, PromotionError, type FenceResult, type LostTransaction, type RoleHost } from './promoter.js';
export { catchUpPlan, nextEpochAfter, type EpochEntry, type EpochFork, type EpochRecord } from './types.js';
export { LOAD_STATE_SQL, SAVE_STATE_SQL } from './sql.js';
