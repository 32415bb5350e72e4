export { connectNats } from './connect.js';
export {
  ensureStream,
  isNotFound,
  manager,
  mirrorStreamConfig,
  sourceStreamConfig,
  type RetentionSettings,
} from './streams.js';
