import { PrometheusQueryError } from './errors.js';

export interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface AlertInfo {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing' | 'inactive';
  activeAt?: string;
  value: string;
}

export interface TargetInfo {
  labels: Record<string, string>;
  scrapeUrl: string;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
  lastScrape: string;
}

export interface RuleInfo {
  name: string;
  query: string;
  type: 'alerting' | 'recording';
  health: 'ok' | 'err' | 'unknown';
  lastError?: string;
  state?: string;
}

/** A small client of Prometheus' HTTP API (v1). */
export class PrometheusClient {
  constructor(readonly url: string) {}

  private async get<T>(path: string, params: Record<string, string> = {}): Promise<T> {
    const u = new URL(path, this.url);
    for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
    let res: Response;
    try {
      res = await fetch(u, { signal: AbortSignal.timeout(10_000) });
    } catch (err) {
      throw new PrometheusQueryError(
        `GET ${u.pathname} failed: ${(err as Error).message}`,
        undefined,
        { cause: err },
      );
    }
    const body = (await res.json().catch(() => ({}))) as {
      status?: string;
      data?: T;
      error?: string;
      errorType?: string;
    };
    if (!res.ok || body.status !== 'success') {
      throw new PrometheusQueryError(
        `${u.pathname} ${params.query ?? ''}: ${body.errorType ?? res.status}: ${body.error ?? res.statusText}`,
        body.errorType,
      );
    }
    return body.data as T;
  }

  /** An instant query; throws PrometheusQueryError on a parse or evaluation error. */
  async query(expr: string, time?: Date): Promise<Sample[]> {
    const data = await this.get<{ resultType: string; result: unknown }>('/api/v1/query', {
      query: expr,
      ...(time ? { time: String(time.getTime() / 1000) } : {}),
    });
    if (data.resultType === 'vector') return data.result as Sample[];
    if (data.resultType === 'scalar')
      return [{ metric: {}, value: data.result as [number, string] }];
    throw new PrometheusQueryError(
      `query returned a ${data.resultType}, not an instant vector: ${expr}`,
    );
  }

  async alerts(): Promise<AlertInfo[]> {
    return (await this.get<{ alerts: AlertInfo[] }>('/api/v1/alerts')).alerts;
  }

  async targets(): Promise<TargetInfo[]> {
    return (await this.get<{ activeTargets: TargetInfo[] }>('/api/v1/targets', { state: 'active' }))
      .activeTargets;
  }

  async rules(): Promise<RuleInfo[]> {
    const data = await this.get<{ groups: { rules: RuleInfo[] }[] }>('/api/v1/rules');
    return data.groups.flatMap((g) => g.rules);
  }

  /** Values of a label over the series matching a selector (Grafana's label_values()). */
  async labelValues(label: string, match: string): Promise<string[]> {
    const u = `/api/v1/label/${encodeURIComponent(label)}/values`;
    return this.get<string[]>(u, { 'match[]': match });
  }

  /** Metric metadata (# HELP/# TYPE) scraped from targets, by metric name. */
  async metadata(): Promise<Record<string, { type: string; help: string }[]>> {
    return this.get<Record<string, { type: string; help: string }[]>>('/api/v1/metadata');
  }
}
