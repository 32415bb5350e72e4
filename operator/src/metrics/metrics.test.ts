/* eslint-disable @typescript-eslint/require-await -- fakes implement async interfaces without awaiting anything */
import { describe, expect, it } from 'vitest';
import { createOperatorMetrics, observeReconcile } from './index.js';

describe('operator metrics', () => {
  it('counts reconciles by controller and result and times them', async () => {
    const m = createOperatorMetrics({ defaultMetrics: false });
    await observeReconcile(m, 'globaldatabase', async () => 1);
    await expect(
      observeReconcile(m, 'globaldatabase', async () => Promise.reject(new Error('boom'))),
    ).rejects.toThrow('boom');
    const text = await m.registry.metrics();
    expect(text).toContain(
      'borealis_operator_reconcile_total{controller="globaldatabase",result="success"} 1',
    );
    expect(text).toContain(
      'borealis_operator_reconcile_total{controller="globaldatabase",result="error"} 1',
    );
    expect(text).toContain(
      'borealis_operator_reconcile_duration_seconds_count{controller="globaldatabase"} 2',
    );
  });

  it('exports the default process metrics without gauges named *_total (promtool check metrics)', async () => {
    const text = await createOperatorMetrics().registry.metrics();
    expect(text).toContain('process_cpu_seconds_total');
    expect(text).toContain('nodejs_active_handles ');
    expect(text).not.toMatch(/^# TYPE \S+_total gauge$/m);
  });
});
