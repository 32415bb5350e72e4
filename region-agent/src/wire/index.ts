export { WIRE_VERSION, type Change, type ColumnValue, type MessageBody, type Transaction } from './types.js';
export { decodeBody, encodeBody, transactionSize, WireFormatError } from './codec.js';
export {
  HEADERS,
  messageId,
  mirrorStreamName,
  PUBLICATION,
  slotName,
  sourceStreamName,
  txSubject,
} from './names.js';
