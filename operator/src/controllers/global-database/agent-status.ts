import type { KubeClient } from '../../runtime/index.js';
import { PORTS, regionNames } from '../../specs/index.js';

/**
 * The subset of the region agent's GET /status document (region-agent/src/http/status-types.ts) the
 * operator reads. Kept structurally compatible with the agent's type (checked by a unit test).
 */
export interface AgentStatusReport {
  region: string;
  role: 'primary' | 'secondary';
  epoch: number;
  primaryRegion: string;
  ready: boolean;
  message?: string;
  capture?: { confirmedLsn: string; lastStreamSeq: number };
  apply?: {
    epoch: number;
    streamSeq: number;
    commitLsn: string;
    commitTs: number;
    lagSeconds: number;
    pendingMessages: number;
  };
  /** Promotion state (region-agent/src/http/status-types.ts): apply held, diverged past a fork. */
  promotion?: { applyHeld?: boolean; diverged?: boolean; fenced?: unknown };
}

export interface RegionReport {
  region: string;
  /** The agent's answer, when it answered. */
  status?: AgentStatusReport;
  /** Why no answer (connection refused, timeout, HTTP error). */
  error?: string;
  /** When this report was taken. */
  at: Date;
}

export interface AgentTarget {
  namespace: string;
  globalDatabase: string;
  region: string;
  /** The cluster client of the region (for the apiserver service proxy). */
  client: KubeClient;
  remote: boolean;
}

/** Where the operator gets each region agent's health and replication position, and calls its promotion API. */
export interface AgentStatusSource {
  fetch(target: AgentTarget, timeoutMs?: number): Promise<AgentStatusReport>;
  /** POST /admin/<op> of the region's agent (docs/promotion.md); rejects with AgentAdminError on a non-2xx answer. */
  admin<T>(target: AgentTarget, op: string, body: unknown, timeoutMs: number): Promise<T>;
}

/** An agent's promotion API refused or failed an operation (`status` 0: no answer). */
export class AgentAdminError extends Error {
  override readonly name = 'AgentAdminError';
  constructor(
    message: string,
    readonly status: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export class AgentStatusError extends Error {
  override readonly name = 'AgentStatusError';
}

async function getJson(url: string, timeoutMs: number): Promise<AgentStatusReport> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) }).catch((err: unknown) => {
    throw new AgentStatusError(`GET ${url}: ${(err as Error).message}`, { cause: err });
  });
  if (!res.ok) throw new AgentStatusError(`GET ${url}: HTTP ${res.status}`);
  return (await res.json()) as AgentStatusReport;
}

/**
 * Reads /status from each agent: over a URL template for regions in the operator's cluster
 * (default: the region's Data API Service DNS name), and through the remote apiserver's service proxy
 * for regions in other clusters (no cross-cluster pod network needed).
 * Template placeholders: {namespace} {globalDatabase} {region} {service}.
 */
export class HttpAgentStatusSource implements AgentStatusSource {
  constructor(
    /** A template, or a function giving the URL of a region's /status (e.g. a local topology's agents). */
    private readonly urlTemplate:
      | string
      | ((t: AgentTarget) => string) = `http://{service}.{namespace}.svc:${PORTS.agentHttp}/status`,
    private readonly timeoutMs = 2000,
  ) {}

  private proxyPath(t: AgentTarget, path: string): string {
    return `/api/v1/namespaces/${t.namespace}/services/${regionNames(t.globalDatabase, t.region).apiService}:http/proxy${path}`;
  }

  private localUrl(t: AgentTarget, path: string): string {
    const service = regionNames(t.globalDatabase, t.region).apiService;
    const statusUrl =
      typeof this.urlTemplate === 'function'
        ? this.urlTemplate(t)
        : this.urlTemplate
            .replaceAll('{namespace}', t.namespace)
            .replaceAll('{globalDatabase}', t.globalDatabase)
            .replaceAll('{region}', t.region)
            .replaceAll('{service}', service);
    return statusUrl.replace(/\/status$/, path);
  }

  async fetch(t: AgentTarget, timeoutMs = this.timeoutMs): Promise<AgentStatusReport> {
    if (t.remote) {
      try {
        return await t.client.request<AgentStatusReport>('GET', this.proxyPath(t, '/status'), {
          timeoutMs,
        });
      } catch (err) {
        throw new AgentStatusError(
          `agent of region ${t.region} via apiserver proxy: ${(err as Error).message}`,
          { cause: err },
        );
      }
    }
    return getJson(this.localUrl(t, '/status'), timeoutMs);
  }

  async admin<T>(t: AgentTarget, op: string, body: unknown, timeoutMs: number): Promise<T> {
    const what = `region ${t.region} /admin/${op}`;
    if (t.remote) {
      try {
        return await t.client.request<T>('POST', this.proxyPath(t, `/admin/${op}`), {
          body,
          timeoutMs,
        });
      } catch (err) {
        const e = err as Error & { status?: number };
        throw new AgentAdminError(`${what} (via apiserver proxy): ${e.message}`, e.status ?? 0, {
          cause: err,
        });
      }
    }
    let res: Response;
    try {
      res = await fetch(this.localUrl(t, `/admin/${op}`), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new AgentAdminError(`${what}: ${(err as Error).message}`, 0, { cause: err });
    }
    const out = (await res.json().catch(() => ({}))) as T & { error?: string };
    if (!res.ok)
      throw new AgentAdminError(
        `${what} answered ${res.status}: ${out.error ?? 'no detail'}`,
        res.status,
      );
    return out;
  }
}
