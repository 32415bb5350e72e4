export {
  claimState,
  parseState,
  pidAlive,
  pidCommand,
  readState,
  releaseState,
  stateDir,
  stateFilePath,
  writeState,
  StateError,
  TopologyAlreadyRunningError,
  type TopologyState,
} from './state-file.js';
