/* eslint-disable @typescript-eslint/require-await -- fakes implement async interfaces without awaiting anything */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runWorkers, WorkQueue } from './work-queue.js';

afterEach(() => vi.useRealTimers());

describe('WorkQueue', () => {
  it('de-duplicates a key added many times', async () => {
    const q = new WorkQueue();
    q.add('a');
    q.add('a');
    q.add('b');
    q.add('a');
    expect(q.len()).toBe(2);
    expect(await q.get()).toBe('a');
    expect(await q.get()).toBe('b');
    expect(q.len()).toBe(0);
  });

  it('never hands one key to two workers; a key added while processing is re-queued once on done()', async () => {
    const q = new WorkQueue();
    q.add('a');
    const k = await q.get();
    q.add('a');
    q.add('a');
    expect(q.len()).toBe(0);
    expect(q.isProcessing('a')).toBe(true);
    q.done(k!);
    expect(q.len()).toBe(1);
    expect(await q.get()).toBe('a');
  });

  it('backs off exponentially up to the cap and resets on forget()', () => {
    vi.useFakeTimers();
    const q = new WorkQueue({ baseDelayMs: 100, maxDelayMs: 1000 });
    expect([1, 2, 3, 4, 5, 6].map(() => q.addRateLimited('a'))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
    q.forget('a');
    expect(q.addRateLimited('a')).toBe(100);
  });

  it('addAfter delivers the key after the delay, keeping the earliest of several delays', async () => {
    vi.useFakeTimers();
    const q = new WorkQueue();
    q.addAfter('a', 1000);
    q.addAfter('a', 300);
    q.addAfter('a', 5000);
    vi.advanceTimersByTime(299);
    expect(q.len()).toBe(0);
    vi.advanceTimersByTime(1);
    expect(q.len()).toBe(1);
    vi.advanceTimersByTime(10_000);
    expect(q.len()).toBe(1);
  });

  it('wakes a waiting get() and ends waiting workers on shutDown()', async () => {
    const q = new WorkQueue();
    const p = q.get();
    q.add('x');
    expect(await p).toBe('x');
    const p2 = q.get();
    q.shutDown();
    expect(await p2).toBeUndefined();
    q.add('y');
    expect(q.len()).toBe(0);
  });
});

describe('runWorkers', () => {
  it('retries a failing key with backoff until it succeeds, and processes keys concurrently but each serially', async () => {
    const q = new WorkQueue({ baseDelayMs: 5, maxDelayMs: 20 });
    const attempts = new Map<string, number>();
    const active = new Set<string>();
    let overlap = false;
    const errors: string[] = [];
    q.add('flaky');
    q.add('steady');
    q.add('steady');
    const workers = runWorkers(
      q,
      3,
      async (key) => {
        if (active.has(key)) overlap = true;
        active.add(key);
        await new Promise((r) => setTimeout(r, 2));
        active.delete(key);
        const n = (attempts.get(key) ?? 0) + 1;
        attempts.set(key, n);
        if (key === 'flaky' && n < 3) throw new Error(`attempt ${n}`);
        if (key === 'flaky' && n === 3) q.shutDown();
      },
      (key, err) => errors.push(`${key}: ${(err as Error).message}`),
    );
    await workers;
    expect(attempts.get('flaky')).toBe(3);
    expect(attempts.get('steady')).toBe(1);
    expect(errors).toEqual(['flaky: attempt 1', 'flaky: attempt 2']);
    expect(overlap).toBe(false);
    expect(q.numRequeues('flaky')).toBe(0);
  });
});
