export {
  renderStatusTable,
  renderTable,
  statusCells,
  formatSeconds,
  positionOf,
  transactionCount,
  rate,
  STATUS_COLUMNS,
  type RegionStatusRow,
} from './render.js';
export { fetchAgentStatus, StatusSampler } from './fetch-status.js';
