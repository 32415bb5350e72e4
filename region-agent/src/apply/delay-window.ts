/** Apply delays of the last `windowMs`, for the p50/p99 figures of /status. */
export class DelayWindow {
  private samples: { at: number; delay: number }[] = [];
  constructor(private readonly windowMs = 10_000) {}

  add(delaySeconds: number, now = Date.now()): void {
    this.samples.push({ at: now, delay: delaySeconds });
    if (this.samples.length > 50_000) this.samples.splice(0, this.samples.length - 50_000);
  }

  percentile(p: number, now = Date.now()): number | null {
    const cutoff = now - this.windowMs;
    let first = 0;
    while (first < this.samples.length && this.samples[first]!.at < cutoff) first++;
    if (first > 0) this.samples.splice(0, first);
    if (this.samples.length === 0) return null;
    const sorted = this.samples.map((s) => s.delay).sort((a, b) => a - b);
    const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
    return sorted[idx]!;
  }
}
