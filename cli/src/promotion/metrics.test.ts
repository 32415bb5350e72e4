import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { PromotionMetrics } from './metrics.js';

describe('PromotionMetrics', () => {
  it('exports the writer endpoint fenced-connection count as borealis_fenced_writes_total at collect time', async () => {
    const registry = new Registry();
    let fenced = 0;
    new PromotionMetrics(
      registry,
      () => 3,
      () => fenced,
    );
    const value = async (): Promise<string> =>
      /^borealis_fenced_writes_total (\S+)$/m.exec(await registry.metrics())?.[1] ?? 'missing';
    expect(await value()).toBe('0');
    fenced = 4;
    expect(await value()).toBe('4');
    fenced = 7;
    expect(await value()).toBe('7');
    expect(await registry.metrics()).toMatch(/^borealis_epoch 3$/m);
  });
});
