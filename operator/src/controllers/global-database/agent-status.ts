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
  apply?: { epoch: number; streamSeq: number; commitLsn: string; commitTs: number; lagSeconds: number; pendingMessages: number };
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

/** Where the operator gets each region agent's health and replication position. */
export interface AgentStatusSource {
  fetch(target: AgentTarget): Promise<AgentStatusReport>;
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
    private readonly urlTemplate: string | ((t: AgentTarget) => string) = `http://{service}.{namespace}.svc:${PORTS.agentHttp}/status`,
    private readonly timeoutMs = 2000,
  ) {}

  async fetch(t: AgentTarget): Promise<AgentStatusReport> {
    const service = regionNames(t.globalDatabase, t.region).apiService;
    if (t.remote) {
      try {
        return await t.client.request<AgentStatusReport>('GET', `/api/v1/namespaces/${t.namespace}/services/${service}:http/proxy/status`, { timeoutMs: this.timeoutMs });
      } catch (err) {
        throw new AgentStatusError(`agent of region ${t.region} via apiserver proxy: ${(err as Error).message}`, { cause: err });
      }
    }
    if (typeof this.urlTemplate === 'function') return getJson(this.urlTemplate(t), this.timeoutMs);
    const url = this.urlTemplate
      .replaceAll('{namespace}', t.namespace)
      .replaceAll('{globalDatabase}', t.globalDatabase)
      .replaceAll('{region}', t.region)
      .replaceAll('{service}', service);
    return getJson(url, this.timeoutMs);
  }
}
