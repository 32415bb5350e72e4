export * from './sql.js';
export {
  runWorkload,
  WorkloadError,
  type WorkloadOptions,
  type WorkloadStats,
} from './workload.js';
export {
  tableChecksum,
  converged,
  behind,
  waitForConvergence,
  type RegionChecksum,
} from './convergence.js';
