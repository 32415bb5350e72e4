import type { ScrapeTarget } from './config.js';

/** What `borealis up --json` prints (TopologyDescription), as far as scraping needs it. */
export interface ScrapableTopology {
  regions: { name: string; metrics: string }[];
  controlPlane: string;
}

/**
 * Scrape targets of a local topology (pure): every agent (job borealis-agent, labels globaldatabase
 * and region) and the control plane (job borealis-control-plane, label globaldatabase).
 */
export function topologyScrapeTargets(
  topology: ScrapableTopology,
  globaldatabase: string,
): ScrapeTarget[] {
  const agents = topology.regions.map((r) => ({
    job: 'borealis-agent',
    url: r.metrics,
    labels: { globaldatabase, region: r.name },
  }));
  const controlPlane = {
    job: 'borealis-control-plane',
    url: new URL('/metrics', topology.controlPlane).toString(),
    labels: { globaldatabase },
  };
  return [...agents, controlPlane];
}
