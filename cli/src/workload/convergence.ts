import pg from 'pg';
import { DEMO_CHECKSUM } from './sql.js';

export interface RegionChecksum {
  region: string;
  rows: number | null;
  checksum: string | null;
  error?: string;
}

export async function tableChecksum(region: string, url: string): Promise<RegionChecksum> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  c.on('error', () => undefined);
  try {
    await c.connect();
    const r = await c.query<{ rows: string; checksum: string }>(DEMO_CHECKSUM);
    return { region, rows: Number(r.rows[0]!.rows), checksum: r.rows[0]!.checksum };
  } catch (err) {
    return { region, rows: null, checksum: null, error: (err as Error).message };
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** True when every region reports the primary's row count and checksum (pure). */
export function converged(sums: RegionChecksum[]): boolean {
  const first = sums[0];
  if (!first || first.checksum === null) return false;
  return sums.every((s) => s.rows === first.rows && s.checksum === first.checksum);
}

/**
 * Polls every region's checksum until all equal the primary's (first entry) or timeoutMs passes.
 * Returns the last sample and how long it took.
 */
export async function waitForConvergence(
  regions: { name: string; url: string }[],
  timeoutMs: number,
  onProgress?: (sums: RegionChecksum[], elapsedMs: number) => void,
): Promise<{ converged: boolean; sums: RegionChecksum[]; tookMs: number }> {
  const t0 = Date.now();
  let lastReport = t0;
  for (;;) {
    const sums = await Promise.all(regions.map((r) => tableChecksum(r.name, r.url)));
    if (converged(sums)) return { converged: true, sums, tookMs: Date.now() - t0 };
    if (Date.now() - t0 > timeoutMs) return { converged: false, sums, tookMs: Date.now() - t0 };
    if (onProgress && Date.now() - lastReport >= 5000) {
      lastReport = Date.now();
      onProgress(sums, lastReport - t0);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Regions whose row count or checksum differs from the first (the primary's), for progress lines (pure). */
export function behind(sums: RegionChecksum[]): string[] {
  const first = sums[0];
  return sums
    .slice(1)
    .filter((s) => !first || s.rows !== first.rows || s.checksum !== first.checksum)
    .map((s) => `${s.region} (${s.rows ?? s.error ?? '?'} rows vs ${first?.rows ?? '?'})`);
}
