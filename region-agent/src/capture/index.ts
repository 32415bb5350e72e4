export { Capture, CHUNK_HEADER, type CaptureOptions, type CaptureStatus } from './capture.js';
export { chunkTransaction, packMessages, type OutgoingMessage } from './batcher.js';
export { PgoutputDecodeError, PgoutputDecoder, TransactionAssembler, type DecodeEvent, type Relation } from './pgoutput-decoder.js';
