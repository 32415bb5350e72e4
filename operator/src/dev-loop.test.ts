// skaffold.yaml must stay consistent with the chart, the image build script and the operator's object names.
// (When the skaffold binary is built, test/integration/operator-chart.test.ts also lets skaffold itself parse it.)
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PORTS, regionNames, writerServiceName } from './specs/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
interface Patch {
  op: string;
  path: string;
  value: Record<string, string> | string;
}
interface Skaffold {
  apiVersion: string;
  kind: string;
  build: {
    local: { push: boolean };
    artifacts: { image: string; custom: { buildCommand: string } }[];
  };
  deploy: {
    helm: {
      releases: {
        chartPath: string;
        setValueTemplates: Record<string, string>;
        setValues: Record<string, string>;
      }[];
    };
  };
  portForward: { resourceName: string; port: number }[];
  profiles: { name: string; patches: Patch[] }[];
}
interface SchemaNode {
  properties?: Record<string, SchemaNode>;
}
const sk = parse(readFileSync(join(root, 'skaffold.yaml'), 'utf8')) as Skaffold;
const schema = JSON.parse(
  readFileSync(join(root, 'charts', 'borealis', 'values.schema.json'), 'utf8'),
) as SchemaNode;

/** True when a dotted Helm --set path exists in values.schema.json. */
function inSchema(path: string): boolean {
  let node: SchemaNode | undefined = schema;
  for (const part of path.split('.')) {
    node = node?.properties?.[part];
    if (!node) return false;
  }
  return true;
}

describe('skaffold.yaml', () => {
  it('is a skaffold v4 Config that never pushes', () => {
    expect(sk.apiVersion).toMatch(/^skaffold\/v4beta\d+$/);
    expect(sk.kind).toBe('Config');
    expect(sk.build.local.push).toBe(false);
  });

  it('builds the three images with the local build script (no registry, no Dockerfile pulls)', () => {
    expect(sk.build.artifacts.map((a) => a.image)).toEqual([
      'borealis/operator',
      'borealis/region',
      'borealis/nats',
    ]);
    for (const a of sk.build.artifacts) {
      const [script = '', arg = ''] = a.custom.buildCommand.split(' ');
      expect(existsSync(join(root, script))).toBe(true);
      accessSync(join(root, script), constants.X_OK);
      expect(readFileSync(join(root, script), 'utf8')).toContain(`  ${arg})`);
      expect(a.image).toBe(`borealis/${arg}`);
    }
  });

  it('deploys charts/borealis with values the chart schema knows', () => {
    const release = sk.deploy.helm.releases[0]!;
    expect(existsSync(join(root, release.chartPath, 'Chart.yaml'))).toBe(true);
    const keys = [...Object.keys(release.setValueTemplates), ...Object.keys(release.setValues)];
    for (const p of sk.profiles)
      for (const patch of p.patches)
        if (patch.path.endsWith('/setValues') && typeof patch.value === 'object')
          keys.push(...Object.keys(patch.value));
    expect(keys.filter((k) => !inSchema(k))).toEqual([]);
  });

  it('port-forwards Services that the chart and the operator actually create', () => {
    const n = regionNames('orders', 'us-east');
    const expected = [
      ['borealis', 8080],
      [writerServiceName('orders'), PORTS.postgres],
      [n.readerService, PORTS.postgres],
      [n.apiService, PORTS.agentHttp],
    ];
    expect(sk.portForward.map((f) => [f.resourceName, f.port])).toEqual(expected);
    expect(
      (
        parse(readFileSync(join(root, 'charts', 'borealis', 'values.yaml'), 'utf8')) as {
          metrics: { port: number };
        }
      ).metrics.port,
    ).toBe(8080);
  });

  it('has a kind profile that targets a kind context and loads images instead of pulling', () => {
    const kind = sk.profiles.find((p) => p.name === 'kind')!;
    expect(kind.patches).toContainEqual({
      op: 'add',
      path: '/deploy/kubeContext',
      value: 'kind-borealis-us-east',
    });
    expect(kind.patches.find((p) => p.path.endsWith('/setValues'))!.value).toEqual({
      'image.pullPolicy': 'Never',
      workloadImagePullPolicy: 'Never',
    });
  });
});
