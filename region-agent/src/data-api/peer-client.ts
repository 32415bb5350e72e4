import { Agent, request } from 'node:http';

/** A response of another region's agent. */
export interface PeerResponse {
  status: number;
  body: unknown;
}

/** A call to another region's agent that got no HTTP answer (refused, reset, timed out). */
export class PeerUnreachableError extends Error {
  override name = 'PeerUnreachableError';
}

/** A kept-alive socket was closed by the peer before this request reached it (safe to send again). */
class StaleSocketError extends PeerUnreachableError {
  override name = 'StaleSocketError';
}

/**
 * JSON over HTTP to the other regions' agents (through the topology's link proxies), on kept-alive
 * connections so a forwarded write costs one WAN round trip, not a TCP handshake too.
 */
export class PeerClient {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64, keepAliveMsecs: 1_000 });

  constructor(private readonly token: string) {}

  /**
   * POSTs JSON. A kept-alive connection the other side closed while idle fails on reuse before the request
   * reached it (ECONNRESET / EPIPE on a reused socket): that one case is retried once on a new connection.
   */
  async post(baseUrl: string, path: string, body: unknown, timeoutMs: number, headers: Record<string, string> = {}): Promise<PeerResponse> {
    const deadline = Date.now() + timeoutMs;
    try {
      return await this.once(baseUrl, path, body, timeoutMs, headers);
    } catch (err) {
      if (!(err instanceof StaleSocketError)) throw err;
      return this.once(baseUrl, path, body, Math.max(1, deadline - Date.now()), headers);
    }
  }

  private once(baseUrl: string, path: string, body: unknown, timeoutMs: number, headers: Record<string, string>): Promise<PeerResponse> {
    const url = new URL(path, baseUrl);
    const payload = Buffer.from(JSON.stringify(body));
    return new Promise<PeerResponse>((resolve, reject) => {
      const req = request(
        url,
        {
          method: 'POST',
          agent: this.agent,
          headers: {
            ...headers,
            authorization: `Bearer ${this.token}`,
            'content-type': 'application/json',
            'content-length': String(payload.length),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            clearTimeout(timer);
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = JSON.parse(text);
            } catch {
              // not JSON: keep the text
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
          res.on('error', (err) => {
            clearTimeout(timer);
            reject(new PeerUnreachableError(`${url.origin}${path}: response broken: ${err.message}`, { cause: err }));
          });
        },
      );
      const timer = setTimeout(() => {
        req.destroy(new Error(`no answer within ${timeoutMs} ms`));
      }, Math.max(1, timeoutMs));
      req.on('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        if (req.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE')) {
          reject(new StaleSocketError(`${url.origin}${path}: kept-alive connection closed by the other side`, { cause: err }));
          return;
        }
        reject(new PeerUnreachableError(`${url.origin}${path}: ${err.message}`, { cause: err }));
      });
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
