import type { AgentStatus } from '@borealis/region-agent';
import { rate, transactionCount, type RegionStatusRow } from './render.js';

/** GET <http>/status of one agent. */
export async function fetchAgentStatus(
  httpUrl: string,
  timeoutMs = 2000,
): Promise<AgentStatus | { error: string }> {
  try {
    const res = await fetch(`${httpUrl}/status`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return { error: `HTTP ${res.status}` };
    return (await res.json()) as AgentStatus;
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    return { error: e.cause?.code ?? e.message };
  }
}

/** Samples every region's status; keeps the previous counters to compute tx/s. */
export class StatusSampler {
  private prev = new Map<string, { at: number; count: number | undefined }>();

  constructor(
    private readonly regions: { name: string; role: 'primary' | 'secondary'; http: string }[],
  ) {}

  async sample(): Promise<RegionStatusRow[]> {
    const now = Date.now();
    const statuses = await Promise.all(this.regions.map((r) => fetchAgentStatus(r.http)));
    return this.regions.map((r, i) => {
      const status = statuses[i]!;
      const count = 'error' in status ? undefined : transactionCount(status);
      const p = this.prev.get(r.name);
      this.prev.set(r.name, { at: now, count });
      return {
        name: r.name,
        role: r.role,
        status,
        txPerSecond: p ? rate(p.count, count, (now - p.at) / 1000) : null,
      };
    });
  }
}
