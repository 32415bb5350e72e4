/* eslint-disable @typescript-eslint/require-await -- fakes implement async interfaces without awaiting anything */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { KubeApiError } from './errors.js';
import { Informer } from './informer.js';
import type { KubeClient, KubeObjectLike, WatchEvent } from './kube-client.js';

type Obj = KubeObjectLike & {
  metadata: { name: string; namespace: string; resourceVersion: string };
};
const obj = (name: string, rv: string): Obj => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'n', resourceVersion: rv },
});

/** A scripted fake apiserver: each list/watch call takes the next step. */
function fakeClient(steps: {
  lists: Obj[][];
  watches: ((emit: (e: WatchEvent<Obj>) => void) => Promise<void>)[];
}) {
  const calls: string[] = [];
  let l = 0;
  let w = 0;
  const client = {
    list: async () => {
      const items = steps.lists[Math.min(l++, steps.lists.length - 1)]!;
      calls.push(`list ${l}`);
      return {
        items: items.map((i) => ({ ...i })),
        metadata: { resourceVersion: String(100 + l) },
      };
    },
    watch: async (
      _v: string,
      _k: string,
      _ns: string | undefined,
      opts: { resourceVersion: string; signal?: AbortSignal },
      onEvent: (e: WatchEvent<Obj>) => void,
    ) => {
      calls.push(`watch from ${opts.resourceVersion}`);
      const step = steps.watches[w++];
      if (!step)
        return new Promise<void>((resolve) =>
          opts.signal?.addEventListener('abort', () => resolve()),
        );
      return step(onEvent);
    },
  } as unknown as KubeClient;
  return { client, calls };
}

describe('Informer', () => {
  it('lists, watches, re-watches from the last resourceVersion, relists on 410 and restarts after errors', async () => {
    const events: string[] = [];
    const { client, calls } = fakeClient({
      lists: [[obj('a', '1')], [obj('a', '1'), obj('c', '9')]],
      watches: [
        async (emit) => {
          emit({ type: 'ADDED', object: obj('b', '5') });
          emit({ type: 'MODIFIED', object: obj('a', '6') });
        }, // ends normally (server timeout): re-watch from rv 6
        async (emit) => {
          emit({ type: 'DELETED', object: obj('b', '7') });
          throw new KubeApiError('too old', 410, 'Expired');
        }, // 410: relist at once
        async () => {
          throw new KubeApiError('connection reset', 0, 'Transport');
        }, // error: restart with backoff
      ],
    });
    const inf = new Informer<Obj>(
      client,
      { apiVersion: 'v1', kind: 'ConfigMap', maxBackoffMs: 10 },
      {
        onAdd: (o) => events.push(`add ${o.metadata.name}`),
        onUpdate: (o) => events.push(`update ${o.metadata.name}@${o.metadata.resourceVersion}`),
        onDelete: (o) => events.push(`delete ${o.metadata.name}`),
      },
      pino({ level: 'silent' }),
    );
    inf.start();
    await inf.synced;
    await new Promise((r) => setTimeout(r, 300));
    await inf.stop();
    expect(calls.slice(0, 6)).toEqual([
      'list 1',
      'watch from 101',
      'watch from 6',
      'list 2',
      'watch from 102',
      'list 3',
    ]);
    // After the 410 relist, "a" went back to rv 1 from rv 6 (an update), and "c" appeared.
    expect(events.slice(0, 6)).toEqual([
      'add a',
      'add b',
      'update a@6',
      'delete b',
      'update a@1',
      'add c',
    ]);
    expect(inf.restarts).toBeGreaterThanOrEqual(2);
    expect(
      inf
        .list()
        .map((o) => o.metadata.name)
        .sort(),
    ).toEqual(['a', 'c']);
  });
});
