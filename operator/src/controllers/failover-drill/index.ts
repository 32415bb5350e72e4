export { FailoverDrillReconciler, type FailoverDrillReconcilerOptions } from './reconciler.js';
export { runDrill, chooseTarget, DrillError, type DrillPorts } from './drill-runner.js';
export { type DrillHarness, type ProberRun } from './harness.js';
