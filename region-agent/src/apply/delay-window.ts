/**
 * Apply delays of the last `windowMs`, for the p50/p99 figures of /status. Samples sit in plain arrays
 * read from a start index (no per-call splice), and the sorted copy is a Float64Array (numeric sort
 * without a comparator) kept until a sample arrives or leaves: /status asks for two percentiles per
 * call and is polled by the topology and operator — sorting the window each time was ~10% of a
 * secondary agent's CPU at 1,000 tx/s (docs/benchmarks.md).
 */
export class DelayWindow {
  private at: number[] = [];
  private delay: number[] = [];
  private start = 0;
  private sorted: Float64Array | null = null;
  constructor(
    private readonly windowMs = 10_000,
    private readonly maxSamples = 50_000,
  ) {}

  add(delaySeconds: number, now = Date.now()): void {
    this.at.push(now);
    this.delay.push(delaySeconds);
    if (this.at.length - this.start > this.maxSamples) this.start = this.at.length - this.maxSamples;
    this.sorted = null;
    this.compact();
  }

  percentile(p: number, now = Date.now()): number | null {
    const cutoff = now - this.windowMs;
    const before = this.start;
    while (this.start < this.at.length && this.at[this.start]! < cutoff) this.start++;
    if (this.start !== before) {
      this.sorted = null;
      this.compact();
    }
    const n = this.at.length - this.start;
    if (n === 0) return null;
    this.sorted ??= Float64Array.from(this.delay.slice(this.start)).sort();
    const idx = Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1));
    return this.sorted[idx]!;
  }

  /** Drops consumed samples once they are the larger part of the arrays. */
  private compact(): void {
    if (this.start > 4096 && this.start * 2 > this.at.length) {
      this.at = this.at.slice(this.start);
      this.delay = this.delay.slice(this.start);
      this.start = 0;
    }
  }
}
