/**
 * Every metric a Borealis dashboard panel or alert rule may use, with the component that exports
 * it (DESIGN §7). The unit test checks that panels and rules use nothing else and that the agent's
 * entries match the agent's registry; the integration test uses `component` to decide which
 * series must exist on a running local topology (components not running yet are listed, not
 * pretended).
 */
export type Component =
  /** region-agent/src/metrics (every series has `region`). */
  | 'agent'
  /** The local topology's supervisor process (cli/src/topology), served at `controlPlane`/metrics. */
  | 'control-plane'
  /** Promotion and drills: exported by the control plane once promotion is built. */
  | 'promotion'
  /** operator/src/metrics. */
  | 'operator'
  /** Prometheus itself: `up` for every target. */
  | 'prometheus'
  /** Recording rules of dashboards/rules (exist once their inputs exist). */
  | 'rules';

export interface MetricInfo {
  component: Component;
  type: 'gauge' | 'counter' | 'histogram' | 'untyped';
  /**
   * False for a labelled counter whose series appear only on the first event (e.g. an unsupported
   * change): before that only its metadata (# HELP/# TYPE) is exported.
   */
  seriesBeforeFirstEvent: boolean;
}

const agent = (type: MetricInfo['type'], seriesBeforeFirstEvent = true): MetricInfo => ({ component: 'agent', type, seriesBeforeFirstEvent });

export const METRICS: Readonly<Record<string, MetricInfo>> = {
  borealis_replication_lag_seconds: agent('gauge'),
  borealis_stream_pending_messages: agent('gauge'),
  borealis_region_role: agent('gauge'),
  borealis_epoch: agent('gauge'),
  borealis_agent_ready: agent('gauge'),
  borealis_applied_transactions_total: agent('counter'),
  borealis_captured_transactions_total: agent('counter'),
  borealis_published_messages_total: agent('counter'),
  borealis_published_chunks_total: agent('counter'),
  borealis_replication_bytes_total: agent('counter'),
  borealis_apply_delay_seconds: agent('histogram'),
  borealis_apply_group_transactions: agent('histogram'),
  borealis_heartbeats_total: agent('counter'),
  borealis_unsupported_changes_total: agent('counter', false),
  borealis_agent_errors_total: agent('counter'),
  borealis_ddl_applied_total: agent('counter'),
  process_cpu_seconds_total: agent('counter'),
  process_resident_memory_bytes: agent('gauge'),
  nodejs_eventloop_lag_p99_seconds: agent('gauge'),
  borealis_endpoint_connections: { component: 'control-plane', type: 'gauge', seriesBeforeFirstEvent: true },
  // cli/src/promotion/metrics.ts: labelled series ({phase,kind}, {kind,result}) start with the first promotion.
  borealis_promotion_phase_seconds: { component: 'promotion', type: 'histogram', seriesBeforeFirstEvent: false },
  borealis_failover_rto_seconds: { component: 'promotion', type: 'gauge', seriesBeforeFirstEvent: true },
  borealis_failover_rpo_transactions: { component: 'promotion', type: 'gauge', seriesBeforeFirstEvent: true },
  borealis_fenced_writes_total: { component: 'promotion', type: 'counter', seriesBeforeFirstEvent: true },
  borealis_failovers_total: { component: 'promotion', type: 'counter', seriesBeforeFirstEvent: false },
  borealis_operator_reconcile_total: { component: 'operator', type: 'counter', seriesBeforeFirstEvent: false },
  borealis_operator_reconcile_duration_seconds: { component: 'operator', type: 'histogram', seriesBeforeFirstEvent: false },
  up: { component: 'prometheus', type: 'gauge', seriesBeforeFirstEvent: true },
};

const HISTOGRAM_SUFFIXES = ['_bucket', '_sum', '_count'] as const;

/** The catalog name of a series name: `x_bucket`/`x_sum`/`x_count` of a histogram `x` → `x`. */
export function baseMetricName(series: string): string {
  for (const suffix of HISTOGRAM_SUFFIXES) {
    if (series.endsWith(suffix)) {
      const base = series.slice(0, -suffix.length);
      if (METRICS[base]?.type === 'histogram') return base;
    }
  }
  return series;
}

const FUNCTIONS_AND_KEYWORDS = new Set([
  'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset',
  'sum', 'min', 'max', 'avg', 'count', 'stddev', 'stdvar', 'topk', 'bottomk', 'quantile', 'count_values', 'group',
  'rate', 'irate', 'increase', 'delta', 'idelta', 'deriv', 'changes', 'resets', 'histogram_quantile', 'label_replace',
  'label_join', 'vector', 'scalar', 'clamp_max', 'clamp_min', 'clamp', 'abs', 'time', 'timestamp', 'absent',
  'absent_over_time', 'max_over_time', 'min_over_time', 'avg_over_time', 'sum_over_time', 'count_over_time',
  'last_over_time', 'present_over_time', 'quantile_over_time', 'sort', 'sort_desc', 'round', 'ceil', 'floor',
  'predict_linear', 'holt_winters', 'inf', 'nan', 'le',
]);

export interface SelectorRef {
  /** The series name as written (e.g. `borealis_apply_delay_seconds_bucket`). */
  name: string;
  /** The selector as written, with its matchers (e.g. `borealis_region_role{role="primary"}`). */
  selector: string;
}

/**
 * The vector selectors of a PromQL expression: every identifier that is not a function, keyword,
 * label name (inside `{}`/`by ()`/`on ()`), or template variable. A small scanner, enough for the
 * expressions of this project; the integration test confirms each against a real Prometheus.
 */
export function selectorsIn(expr: string): SelectorRef[] {
  const out: SelectorRef[] = [];
  let i = 0;
  const isStart = (c: string) => /[A-Za-z_:]/.test(c);
  const isPart = (c: string) => /[A-Za-z0-9_:]/.test(c);
  while (i < expr.length) {
    const c = expr.charAt(i);
    if (c === '"' || c === "'" || c === '`') {
      const end = expr.indexOf(c, i + 1);
      i = end < 0 ? expr.length : end + 1;
      continue;
    }
    if (c === '[') {
      i = expr.indexOf(']', i) + 1 || expr.length;
      continue;
    }
    if (c === '$') {
      i++;
      while (i < expr.length && /[A-Za-z0-9_{}]/.test(expr.charAt(i))) i++;
      continue;
    }
    if (/[0-9.]/.test(c)) {
      // A number, or a duration (`offset 15m`, `1h30m`): digits with unit letters.
      while (i < expr.length && /[0-9.eEsmhdwy]/.test(expr.charAt(i))) i++;
      continue;
    }
    if (!isStart(c)) {
      i++;
      continue;
    }
    let j = i;
    while (j < expr.length && isPart(expr.charAt(j))) j++;
    const word = expr.slice(i, j);
    let k = j;
    while (k < expr.length && expr.charAt(k) === ' ') k++;
    const next = expr.charAt(k);
    if (FUNCTIONS_AND_KEYWORDS.has(word)) {
      // `by (a, b)` / `on (a)` / `without (...)` / `group_left (...)`: skip the label list.
      if (['by', 'without', 'on', 'ignoring', 'group_left', 'group_right'].includes(word) && next === '(') {
        i = expr.indexOf(')', k) + 1;
      } else {
        i = j;
      }
      continue;
    }
    if (next === '(') {
      throw new Error(`unknown PromQL function "${word}" in ${expr} (add it to FUNCTIONS_AND_KEYWORDS)`);
    }
    if (next === '{') {
      const end = matchingBrace(expr, k);
      out.push({ name: word, selector: expr.slice(i, k) + expr.slice(k, end + 1) });
      i = end + 1;
    } else {
      out.push({ name: word, selector: word });
      i = j;
    }
  }
  return out;
}

function matchingBrace(expr: string, open: number): number {
  let i = open + 1;
  while (i < expr.length) {
    const c = expr.charAt(i);
    if (c === '"') {
      i++;
      while (i < expr.length && expr.charAt(i) !== '"') i += expr.charAt(i) === '\\' ? 2 : 1;
    } else if (c === '}') {
      return i;
    }
    i++;
  }
  throw new Error(`unbalanced "{" in ${expr}`);
}
