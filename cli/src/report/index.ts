export { renderDrillReport, renderTimeline, DrillReportInputError, REGION_COLORS, PHASE_COLORS, WRITE_COLORS } from './render.js';
export { syntheticDrill } from './synthetic.js';
export type { DrillReportInput } from './types.js';
