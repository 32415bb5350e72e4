import type { Logger } from 'pino';
import { KubeApiError } from './errors.js';
import type { KubeClient, KubeObjectLike } from './kube-client.js';

export interface InformerHandlers<T> {
  onAdd?(obj: T): void;
  onUpdate?(obj: T, old: T): void;
  onDelete?(obj: T): void;
}

export interface InformerOptions {
  apiVersion: string;
  kind: string;
  namespace?: string;
  labelSelector?: string;
  /** Server-side watch timeout; the informer re-watches from the last resourceVersion after it. */
  watchTimeoutSeconds?: number;
  maxBackoffMs?: number;
}

export const objectCacheKey = (o: { metadata: { namespace?: string; name: string } }): string =>
  `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/**
 * list+watch cache of one kind (client-go's reflector + informer): lists, then watches from the list's
 * resourceVersion; re-watches when a watch ends, re-lists on 410 Gone, and restarts with capped exponential
 * backoff on any error, so a broken connection or a restarted apiserver never stops the controller.
 */
export class Informer<T extends KubeObjectLike> {
  private readonly cache = new Map<string, T>();
  private abort = new AbortController();
  private stopped = false;
  private syncedResolve!: () => void;
  readonly synced: Promise<void> = new Promise((r) => (this.syncedResolve = r));
  private loop: Promise<void> | undefined;
  /** Times the informer restarted after an error (for tests and logs). */
  restarts = 0;

  constructor(
    private readonly client: KubeClient,
    private readonly opts: InformerOptions,
    private readonly handlers: InformerHandlers<T>,
    private readonly log: Logger,
  ) {}

  start(): void {
    if (!this.loop) this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    await this.loop;
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.cache.get(`${namespace ?? ''}/${name}`);
  }

  list(): T[] {
    return [...this.cache.values()];
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        let rv = await this.relist();
        this.syncedResolve();
        failures = 0;
        for (;;) {
          if (this.stopped) return;
          rv = await this.watchOnce(rv);
        }
      } catch (err) {
        if (this.stopped) return;
        const gone = err instanceof KubeApiError && err.gone;
        const delay = gone ? 0 : Math.min(200 * 2 ** failures, this.opts.maxBackoffMs ?? 30_000);
        failures++;
        this.restarts++;
        this.log.warn(
          { err, kind: this.opts.kind, retryInMs: delay },
          gone ? 'watch too old: relisting' : 'informer failed: restarting',
        );
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, delay);
          this.abort.signal.addEventListener('abort', () => {
            clearTimeout(t);
            resolve();
          });
        });
      }
    }
  }

  private async relist(): Promise<string> {
    const list = await this.client.list<T>(
      this.opts.apiVersion,
      this.opts.kind,
      this.opts.namespace,
      this.opts.labelSelector,
    );
    const seen = new Set<string>();
    for (const o of list.items) {
      const k = objectCacheKey(o);
      seen.add(k);
      const old = this.cache.get(k);
      this.cache.set(k, o);
      if (!old) this.handlers.onAdd?.(o);
      else if (old.metadata.resourceVersion !== o.metadata.resourceVersion)
        this.handlers.onUpdate?.(o, old);
    }
    for (const [k, old] of this.cache) {
      if (!seen.has(k)) {
        this.cache.delete(k);
        this.handlers.onDelete?.(old);
      }
    }
    return list.metadata.resourceVersion;
  }

  private async watchOnce(resourceVersion: string): Promise<string> {
    let rv = resourceVersion;
    const watchOpts: Parameters<KubeClient['watch']>[3] = {
      resourceVersion,
      timeoutSeconds: this.opts.watchTimeoutSeconds ?? 300,
      signal: this.abort.signal,
    };
    if (this.opts.labelSelector) watchOpts.labelSelector = this.opts.labelSelector;
    await this.client.watch<T>(
      this.opts.apiVersion,
      this.opts.kind,
      this.opts.namespace,
      watchOpts,
      (ev) => {
        if (ev.object.metadata.resourceVersion) rv = ev.object.metadata.resourceVersion;
        if (ev.type === 'BOOKMARK') return;
        const k = objectCacheKey(ev.object);
        const old = this.cache.get(k);
        if (ev.type === 'DELETED') {
          this.cache.delete(k);
          this.handlers.onDelete?.(ev.object);
        } else {
          this.cache.set(k, ev.object);
          if (old) this.handlers.onUpdate?.(ev.object, old);
          else this.handlers.onAdd?.(ev.object);
        }
      },
    );
    return rv;
  }
}
