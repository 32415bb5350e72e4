import * as http from 'node:http';
import * as https from 'node:https';
import { readFileSync } from 'node:fs';
import { KubeApiError } from './errors.js';
import { connectionFromKubeconfig, defaultConnection, type Connection } from './kubeconfig.js';
import { resourceInfo, resourcePath, type ResourceInfo } from './resources.js';

export interface KubeObjectLike {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string };
}

export interface ObjectList<T> {
  items: T[];
  metadata: { resourceVersion: string; continue?: string };
}

export interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
}

/**
 * A small typed REST client for a controller: server-side apply, status subresource, dry-run, streaming
 * watches, over node:http(s) with the kubeconfig's TLS and token/client-certificate credentials.
 */
export class KubeClient {
  private constructor(
    readonly connection: Connection,
    /** Time limit of a request that sets none, ms. */
    readonly defaultTimeoutMs = 30_000,
  ) {}

  /** The same connection with another default request time limit (e.g. short for a remote region's cluster). */
  withDefaultTimeout(ms: number): KubeClient {
    return new KubeClient(this.connection, ms);
  }

  static fromConnection(conn: Connection): KubeClient {
    return new KubeClient(conn);
  }

  static fromString(kubeconfigYaml: string, source = 'kubeconfig'): KubeClient {
    return new KubeClient(connectionFromKubeconfig(kubeconfigYaml, { source }));
  }

  /** Default loading: --kubeconfig, $KUBECONFIG, ~/.kube/config, or the in-cluster service account. */
  static fromDefault(kubeconfigPath?: string): KubeClient {
    return new KubeClient(defaultConnection(kubeconfigPath));
  }

  private open(method: string, path: string, opts: RequestOptions): Promise<http.IncomingMessage> {
    const c = this.connection;
    const url = new URL(c.server.toString());
    url.pathname = c.server.pathname.replace(/\/$/, '') + path;
    for (const [k, v] of Object.entries(opts.query ?? {}))
      if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string | number> = { Accept: 'application/json' };
    const token = c.tokenFile ? readFileSync(c.tokenFile, 'utf8').trim() : c.token;
    if (token) headers['Authorization'] = `Bearer ${token}`;
    else if (c.basicAuth)
      headers['Authorization'] =
        `Basic ${Buffer.from(`${c.basicAuth.username}:${c.basicAuth.password}`).toString('base64')}`;
    let payload: string | undefined;
    if (opts.body !== undefined) {
      payload = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
      headers['Content-Type'] = opts.contentType ?? 'application/json';
      headers['Content-Length'] = Buffer.byteLength(payload);
    }
    const reqOpts: https.RequestOptions = { method, headers };
    if (c.ca) reqOpts.ca = c.ca;
    if (c.cert) reqOpts.cert = c.cert;
    if (c.key) reqOpts.key = c.key;
    if (c.insecureSkipTlsVerify) reqOpts.rejectUnauthorized = false;
    if (opts.signal) reqOpts.signal = opts.signal;
    const mod = url.protocol === 'http:' ? http : https;
    return new Promise((resolve, reject) => {
      const req = mod.request(url, reqOpts, resolve);
      req.on('error', (err) =>
        reject(
          new KubeApiError(`${method} ${url.pathname}: ${err.message}`, 0, 'Transport', undefined, {
            cause: err,
          }),
        ),
      );
      if (opts.timeoutMs)
        req.setTimeout(opts.timeoutMs, () =>
          req.destroy(new Error(`no answer within ${opts.timeoutMs} ms`)),
        );
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.open(method, path, { timeoutMs: this.defaultTimeoutMs, ...opts });
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const status = res.statusCode ?? 0;
    if (status >= 200 && status < 300) return (text ? JSON.parse(text) : undefined) as T;
    let parsed: { message?: string; reason?: string; details?: unknown } = {};
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      parsed = { message: text };
    }
    throw new KubeApiError(
      `${method} ${path}: ${status} ${parsed.message ?? ''}`.trim(),
      status,
      parsed.reason,
      parsed.details,
    );
  }

  info(apiVersion: string, kind: string): ResourceInfo {
    return resourceInfo(apiVersion, kind);
  }

  async get<T extends KubeObjectLike>(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
  ): Promise<T> {
    return this.request<T>('GET', resourcePath(resourceInfo(apiVersion, kind), namespace, name));
  }

  async getOrUndefined<T extends KubeObjectLike>(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
  ): Promise<T | undefined> {
    try {
      return await this.get<T>(apiVersion, kind, namespace, name);
    } catch (err) {
      if (err instanceof KubeApiError && err.notFound) return undefined;
      throw err;
    }
  }

  async list<T extends KubeObjectLike>(
    apiVersion: string,
    kind: string,
    namespace?: string,
    labelSelector?: string,
  ): Promise<ObjectList<T>> {
    const list = await this.request<ObjectList<T>>(
      'GET',
      resourcePath(resourceInfo(apiVersion, kind), namespace),
      { query: { labelSelector } },
    );
    // Lists omit apiVersion/kind on items; put them back so callers can treat items as whole objects.
    for (const i of list.items) Object.assign(i, { apiVersion, kind });
    return list;
  }

  async create<T extends KubeObjectLike>(
    obj: T,
    opts: { dryRun?: boolean; fieldManager?: string } = {},
  ): Promise<T> {
    return this.request<T>(
      'POST',
      resourcePath(resourceInfo(obj.apiVersion, obj.kind), obj.metadata.namespace),
      {
        body: obj,
        query: { dryRun: opts.dryRun ? 'All' : undefined, fieldManager: opts.fieldManager },
      },
    );
  }

  /** Server-side apply (application/apply-patch+yaml; JSON is valid YAML). */
  async apply<T extends KubeObjectLike>(
    obj: KubeObjectLike,
    opts: { fieldManager: string; force?: boolean; dryRun?: boolean; subresource?: 'status' },
  ): Promise<T> {
    const r = resourceInfo(obj.apiVersion, obj.kind);
    return this.request<T>(
      'PATCH',
      resourcePath(r, obj.metadata.namespace, obj.metadata.name, opts.subresource),
      {
        body: obj,
        contentType: 'application/apply-patch+yaml',
        query: {
          fieldManager: opts.fieldManager,
          force: opts.force ?? true,
          dryRun: opts.dryRun ? 'All' : undefined,
        },
      },
    );
  }

  /** JSON merge patch; include metadata.resourceVersion in the patch for an optimistic-concurrency (compare-and-set) update. */
  async mergePatch<T extends KubeObjectLike>(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    opts: { subresource?: 'status'; fieldManager?: string } = {},
  ): Promise<T> {
    return this.request<T>(
      'PATCH',
      resourcePath(resourceInfo(apiVersion, kind), namespace, name, opts.subresource),
      {
        body: patch,
        contentType: 'application/merge-patch+json',
        query: { fieldManager: opts.fieldManager },
      },
    );
  }

  async replace<T extends KubeObjectLike>(
    obj: T,
    opts: { subresource?: 'status'; fieldManager?: string } = {},
  ): Promise<T> {
    return this.request<T>(
      'PUT',
      resourcePath(
        resourceInfo(obj.apiVersion, obj.kind),
        obj.metadata.namespace,
        obj.metadata.name,
        opts.subresource,
      ),
      {
        body: obj,
        query: { fieldManager: opts.fieldManager },
      },
    );
  }

  /** Deletes an object; resolves false when it was already gone. `gracePeriodSeconds: 0` deletes a pod at once (kubectl --grace-period=0 --force). */
  async delete(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
    opts: {
      propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
      gracePeriodSeconds?: number;
    } = {},
  ): Promise<boolean> {
    try {
      await this.request('DELETE', resourcePath(resourceInfo(apiVersion, kind), namespace, name), {
        body: {
          kind: 'DeleteOptions',
          apiVersion: 'v1',
          propagationPolicy: opts.propagationPolicy ?? 'Background',
          ...(opts.gracePeriodSeconds !== undefined
            ? { gracePeriodSeconds: opts.gracePeriodSeconds }
            : {}),
        },
      });
      return true;
    } catch (err) {
      if (err instanceof KubeApiError && err.notFound) return false;
      throw err;
    }
  }

  /**
   * Streams watch events from `resourceVersion` until the server ends the watch, the signal aborts, or an error.
   * Resolves when the stream ends normally; rejects with KubeApiError (status 410 = resourceVersion too old).
   */
  async watch<T extends KubeObjectLike>(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    opts: {
      resourceVersion: string;
      labelSelector?: string;
      timeoutSeconds?: number;
      signal?: AbortSignal;
    },
    onEvent: (e: WatchEvent<T>) => void,
  ): Promise<void> {
    const path = resourcePath(resourceInfo(apiVersion, kind), namespace);
    const query = {
      watch: 1,
      resourceVersion: opts.resourceVersion,
      allowWatchBookmarks: true,
      labelSelector: opts.labelSelector,
      timeoutSeconds: opts.timeoutSeconds ?? 300,
    };
    const res = await this.open('GET', path, { query, signal: opts.signal });
    if ((res.statusCode ?? 0) >= 300) {
      const chunks: Buffer[] = [];
      for await (const c of res) chunks.push(c as Buffer);
      throw new KubeApiError(
        `watch ${path}: ${res.statusCode} ${Buffer.concat(chunks).toString('utf8')}`,
        res.statusCode ?? 0,
        undefined,
      );
    }
    let buf = '';
    try {
      for await (const chunk of res) {
        buf += (chunk as Buffer).toString('utf8');
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (!line) continue;
          const ev = JSON.parse(line) as WatchEvent<T>;
          if (ev.type === 'ERROR') {
            const st = ev.object as unknown as { code?: number; message?: string; reason?: string };
            throw new KubeApiError(
              `watch ${path}: ${st.message ?? 'error event'}`,
              st.code ?? 500,
              st.reason,
            );
          }
          if (ev.type !== 'BOOKMARK') Object.assign(ev.object, { apiVersion, kind });
          onEvent(ev);
        }
      }
    } catch (err) {
      if (opts.signal?.aborted) return;
      throw err;
    }
  }
}
