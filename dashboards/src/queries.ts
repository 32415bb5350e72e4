/** PromQL shared by the dashboards. `$globaldatabase`/`$region` are the dashboards' variables. */

/** Matchers of one global database. */
export const G = 'globaldatabase="$globaldatabase"';
/** Matchers of one global database and the chosen regions. */
export const GR = 'globaldatabase="$globaldatabase", region=~"$region"';

/** Lag of regions that apply (secondaries): the primary's gauge is not a lag. */
export const LAG_BY_REGION = `borealis_replication_lag_seconds{${GR}} and on (globaldatabase, region) (borealis_region_role{${G}, role="secondary"} == 1)`;

/** 1 while a ready agent holds the primary role; 0 while agents report but none is a ready primary. */
export const WRITE_AVAILABLE = `(count(borealis_region_role{${G}, role="primary"} == 1 and on (globaldatabase, region) borealis_agent_ready{${G}} == 1) > bool 0) or (0 * max(borealis_epoch{${G}}))`;

export const PRIMARY_BY_REGION = `max by (region) (borealis_region_role{${GR}, role="primary"})`;

export const EPOCH_MAX = `max(borealis_epoch{${G}})`;

export const rate = (series: string, matchers = GR, by = 'region'): string =>
  `sum by (${by}) (rate(${series}{${matchers}}[$__rate_interval]))`;

export const quantile = (q: number, histogram: string, matchers = GR, by = 'region'): string =>
  `histogram_quantile(${q}, sum by (${by}, le) (rate(${histogram}_bucket{${matchers}}[$__rate_interval])))`;

/** A Grafana annotation marking epoch changes (switchover/failover) on the time axis. */
export const epochAnnotation = {
  name: 'Epoch changes',
  datasource: { type: 'prometheus', uid: '${datasource}' },
  enable: true,
  hide: false,
  iconColor: 'red',
  // changes() of the raw series (every agent and the control plane report the epoch), no subquery: a change
  // is seen as soon as two scrapes straddle it.
  expr: `max(changes(borealis_epoch{${G}}[1m])) > 0`,
  step: '15s',
  titleFormat: 'Epoch changed',
  textFormat: 'switchover or failover: a new primary term began',
  useValueForTime: false,
};
