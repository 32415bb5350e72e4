import { WIRE_VERSION, type MessageBody, type Transaction } from './types.js';

/** Thrown when a message body cannot be decoded: never skipped silently. */
export class WireFormatError extends Error {
  override name = 'WireFormatError';
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Each transaction's JSON, kept from transactionSize() (capture sizes every transaction before it packs
 * it) so encodeBody() does not stringify it a second time.
 */
const txJson = new WeakMap<Transaction, string>();

function jsonOf(tx: Transaction): string {
  let s = txJson.get(tx);
  if (s === undefined) {
    s = JSON.stringify(tx);
    txJson.set(tx, s);
  }
  return s;
}

/** UTF-8 JSON of the body: byte for byte JSON.stringify(body), built from each transaction's cached JSON. */
export function encodeBody(body: MessageBody): Uint8Array {
  let out = '{';
  let first = true;
  for (const [key, value] of Object.entries(body)) {
    if (value === undefined) continue;
    const json = key === 'txs' ? `[${(value as Transaction[]).map(jsonOf).join(',')}]` : JSON.stringify(value);
    out += `${first ? '' : ','}${JSON.stringify(key)}:${json}`;
    first = false;
  }
  return encoder.encode(out + '}');
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
  return jsonOf(tx).length;
}
