export { DataApi, FORWARDED_BY, FORWARDER_EPOCH, type DataApiDeps, type DataApiSettings, type TopologyView } from './data-api.js';
export { DataApiError, PrimaryUnavailableError, classifySqlState, fromPgError, type ErrorBody } from './errors.js';
export { PeerClient, PeerUnreachableError } from './peer-client.js';
export {
  decodeSessionToken,
  encodeSessionToken,
  laterPosition,
  satisfies,
  SessionTokenError,
  type CommitPosition,
  type RegionProgress,
} from './position.js';
export {
  InvalidRequestError,
  parseExecuteRequest,
  parseTransactionRequest,
  parseWaitRequest,
  type DataRequest,
} from './request.js';
export { isTransactionControl, SqlRunner, type StatementResult } from './sql-runner.js';
