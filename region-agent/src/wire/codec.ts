import { WIRE_VERSION, type MessageBody, type Transaction } from './types.js';

/** Thrown when a message body cannot be decoded: never skipped silently. */
export class WireFormatError extends Error {
  override name = 'WireFormatError';
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeBody(body: MessageBody): Uint8Array {
  return encoder.encode(JSON.stringify(body));
}

export function decodeBody(data: Uint8Array): MessageBody {
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(data));
  } catch (cause) {
    throw new WireFormatError(`message body is not UTF-8 JSON: ${(cause as Error).message}`, { cause });
  }
  if (typeof parsed !== 'object' || parsed === null) throw new WireFormatError('message body is not an object');
  const body = parsed as Partial<MessageBody>;
  if (body.v !== WIRE_VERSION) {
    throw new WireFormatError(
      `unsupported wire version ${String(body.v)} (this agent reads version ${WIRE_VERSION}); upgrade the agent`,
    );
  }
  if (!Array.isArray(body.txs) || typeof body.epoch !== 'number') {
    throw new WireFormatError('message body lacks "txs" or "epoch"');
  }
  return body as MessageBody;
}

/** Approximate encoded size of a transaction, for batching and chunking decisions. */
export function transactionSize(tx: Transaction): number {
  return JSON.stringify(tx).length;
}
