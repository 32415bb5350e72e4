// The Helm chart: helm lint, values.schema.json rejections, `helm template | kubectl apply --dry-run=server`,
// and a real `helm install` into a real kube-apiserver whose RBAC is enough for the operator to work
// (the operator runs in-process with the chart's ServiceAccount token) and no more.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { HttpAgentStatusSource } from '../../operator/src/controllers/global-database/index.js';
import { Operator } from '../../operator/src/manager/index.js';
import { KubeClient } from '../../operator/src/runtime/index.js';
import {
  freePort,
  kubeApiServerToolsBuilt,
  startKubeApiServer,
  toolsBinDir,
  type KubeApiServer,
} from '../support/kube-apiserver.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');
const chart = join(root, 'charts', 'borealis');
const helmBin = join(toolsBinDir(), 'helm');
const helm = async (args: string[], kubeconfig?: string): Promise<string> => {
  try {
    const { stdout } = await run(
      helmBin,
      [...args, ...(kubeconfig ? ['--kubeconfig', kubeconfig] : [])],
      { maxBuffer: 32 << 20 },
    );
    return stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    throw new Error(`helm ${args.join(' ')} failed: ${e.stderr ?? ''}${e.stdout ?? ''}`, {
      cause: err,
    });
  }
};
const helmFails = async (args: string[]): Promise<string> => {
  try {
    await helm(args);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error(`helm ${args.join(' ')} succeeded but should have failed`);
};

describe.skipIf(!kubeApiServerToolsBuilt() || !existsSync(helmBin))(
  'Helm chart charts/borealis',
  () => {
    let api: KubeApiServer;
    let operator: Operator | undefined;

    beforeAll(async () => {
      api = await startKubeApiServer();
    });
    afterAll(async () => {
      await operator?.stop();
      await api?.stop();
    });

    it('passes helm lint with default and with every optional part enabled', async () => {
      expect(await helm(['lint', chart])).toContain('1 chart(s) linted, 0 chart(s) failed');
      const all = [
        '--set',
        'metrics.serviceMonitor.enabled=true',
        '--set',
        'metrics.prometheusRule.enabled=true',
        '--set',
        'watchNamespace=shop',
        '--set',
        'replicaCount=2',
      ];
      expect(await helm(['lint', chart, ...all])).toContain('0 chart(s) failed');
    });

    it('rejects bad values with the offending path (values.schema.json)', async () => {
      expect(await helmFails(['template', 't', chart, '--set', 'replicaCount=0'])).toContain(
        "at '/replicaCount': minimum: got 0, want 1",
      );
      expect(
        await helmFails(['template', 't', chart, '--set', 'image.pullPolicy=Sometimes']),
      ).toContain("at '/image/pullPolicy': value must be one of 'IfNotPresent', 'Never', 'Always'");
      expect(await helmFails(['template', 't', chart, '--set', 'metrics.port=80'])).toContain(
        "at '/metrics/port': minimum: got 80, want 1,024",
      );
      expect(await helmFails(['template', 't', chart, '--set', 'watchNamespace=Bad_NS'])).toContain(
        "at '/watchNamespace'",
      );
      expect(await helmFails(['template', 't', chart, '--set', 'replicas=3'])).toContain(
        "additional properties 'replicas' not allowed",
      );
      expect(
        await helmFails([
          'template',
          't',
          chart,
          '--set',
          'replicaCount=2',
          '--set',
          'leaderElection.enabled=false',
        ]),
      ).toContain('replicaCount > 1 needs leaderElection.enabled=true');
    });

    it('drills.dockerSocket=true mounts the host Docker socket and passes --docker-socket; off by default; booleans only', async () => {
      type PodSpec = {
        securityContext: { supplementalGroups?: number[] };
        containers: { args: string[]; volumeMounts?: { name: string; mountPath: string }[] }[];
        volumes?: { name: string; hostPath?: { path: string; type: string } }[];
      };
      const deployment = async (set: string[]): Promise<PodSpec> => {
        const out = await helm(['template', 't', chart, '-s', 'templates/deployment.yaml', ...set]);
        return (parse(out) as { spec: { template: { spec: PodSpec } } }).spec.template.spec;
      };
      const on = await deployment([
        '--set',
        'drills.dockerSocket=true',
        '--set',
        'drills.dockerGroupId=106',
      ]);
      expect(on.containers[0]!.args).toContain('--docker-socket=/var/run/docker.sock');
      expect(on.containers[0]!.volumeMounts).toEqual([
        { name: 'docker-socket', mountPath: '/var/run/docker.sock' },
      ]);
      expect(on.volumes).toEqual([
        { name: 'docker-socket', hostPath: { path: '/var/run/docker.sock', type: 'Socket' } },
      ]);
      expect(on.securityContext.supplementalGroups).toEqual([106]);
      const off = await deployment([]);
      expect(off.containers[0]!.args.some((a) => a.startsWith('--docker-socket'))).toBe(false);
      expect(off.volumes).toBeUndefined();
      expect(off.securityContext.supplementalGroups).toBeUndefined();
      expect(
        await helmFails(['template', 't', chart, '--set', 'drills.dockerSocket=yes']),
      ).toContain("at '/drills/dockerSocket': got string, want boolean");
      expect(
        await helmFails(['template', 't', chart, '--set', 'drills.dockerGroupId=docker']),
      ).toContain("at '/drills/dockerGroupId'");
    });

    it('renders a PrometheusRule carrying every rule group of dashboards/rules plus the thresholds from values', async () => {
      const out = await helm([
        'template',
        't',
        chart,
        '--set',
        'metrics.prometheusRule.enabled=true',
        '--set',
        'metrics.prometheusRule.thresholds.rpoGuardSeconds=7',
      ]);
      type Groups = { name: string; rules: { record?: string; expr: string }[] }[];
      const docs = parseAllDocuments(out).map(
        (d) => d.toJS() as { kind?: string; spec?: { groups: Groups } } | null,
      );
      const groups = docs.find((d) => d?.kind === 'PrometheusRule')!.spec!.groups;
      const source = (
        parse(
          readFileSync(
            join(root, 'charts', 'borealis', 'files', 'rules', 'borealis-rules.yaml'),
            'utf8',
          ),
        ) as { groups: Groups }
      ).groups;
      expect(groups.map((g) => g.name)).toEqual([
        'borealis-thresholds',
        ...source.map((g) => g.name),
      ]);
      expect(groups[0]!.rules).toContainEqual({
        record: 'borealis:rpo_guard_seconds',
        expr: 'vector(7)',
      });
    });

    it('`helm template --include-crds | kubectl apply --dry-run=server` passes', async () => {
      await api.kubectl(['create', 'namespace', 'dry-chart']);
      for (const set of [[], ['--set', 'watchNamespace=dry-chart', '--set', 'replicaCount=3']]) {
        const manifests = await helm([
          'template',
          'borealis',
          chart,
          '--namespace',
          'dry-chart',
          '--include-crds',
          ...set,
        ]);
        const out = await api.kubectl(['apply', '--dry-run=server', '-f', '-'], manifests);
        expect(out).toContain('deployment.apps/borealis created (server dry run)');
        expect(out).toContain(
          'customresourcedefinition.apiextensions.k8s.io/globaldatabases.borealis.dev created (server dry run)',
        );
      }
    });

    it.skipIf(!existsSync(join(toolsBinDir(), 'skaffold')))(
      'skaffold itself accepts skaffold.yaml and renders the chart with the kind profile',
      async () => {
        const skaffold = join(toolsBinDir(), 'skaffold');
        const env = { ...process.env, PATH: `${toolsBinDir()}:${process.env['PATH'] ?? ''}` };
        const { stdout: config } = await run(skaffold, ['diagnose', '--yaml-only', '-p', 'kind'], {
          cwd: root,
          env,
        });
        const parsed = parse(config) as {
          deploy: {
            kubeContext: string;
            helm: { releases: { chartPath: string; setValues: Record<string, string> }[] };
          };
        };
        expect(parsed.deploy.kubeContext).toBe('kind-borealis-us-east');
        expect(parsed.deploy.helm.releases[0]!.chartPath).toBe(chart);
        expect(parsed.deploy.helm.releases[0]!.setValues).toEqual({
          'image.pullPolicy': 'Never',
          workloadImagePullPolicy: 'Never',
        });
        const { stdout: rendered } = await run(
          skaffold,
          ['render', '-p', 'kind', '--digest-source=none', '--offline=true'],
          { cwd: root, env, maxBuffer: 32 << 20 },
        );
        const kinds = parseAllDocuments(rendered)
          .map((d) => (d.toJS() as { kind?: string } | null)?.kind)
          .filter((k) => k !== undefined);
        expect(kinds).toEqual([
          'ServiceAccount',
          'ClusterRole',
          'ClusterRoleBinding',
          'Role',
          'RoleBinding',
          'Service',
          'Deployment',
        ]);
      },
    );

    it('helm install sets up CRDs, Deployment and RBAC that let the operator work with its own ServiceAccount — and no more', async () => {
      const out = await helm(
        ['install', 'borealis', chart, '--namespace', 'borealis-system', '--create-namespace'],
        api.kubeconfigPath,
      );
      expect(out).toContain('STATUS: deployed');
      await api.kubectl([
        'wait',
        '--for=condition=Established',
        '--timeout=60s',
        'crd/globaldatabases.borealis.dev',
        'crd/failoverdrills.borealis.dev',
      ]);
      const deploy = JSON.parse(
        await api.kubectl(['get', 'deployment', '-n', 'borealis-system', 'borealis', '-o', 'json']),
      ) as {
        spec: {
          template: { spec: { serviceAccountName: string; containers: { args: string[] }[] } };
        };
      };
      expect(deploy.spec.template.spec.serviceAccountName).toBe('borealis');
      expect(deploy.spec.template.spec.containers[0]!.args).toContain('--leader-elect');
      const sa = 'system:serviceaccount:borealis-system:borealis';
      // kubectl auth can-i prints yes/no and exits 1 on "no": read stdout whatever the exit code.
      const can = (...args: string[]): Promise<string> =>
        new Promise((resolve) =>
          execFile(
            join(toolsBinDir(), 'kubectl'),
            ['--kubeconfig', api.kubeconfigPath, 'auth', 'can-i', '--as', sa, ...args],
            (_err, stdout) => resolve(stdout.trim()),
          ),
        );
      expect(await can('patch', 'statefulsets.apps', '-n', 'anywhere')).toBe('yes');
      expect(await can('delete', 'pods', '-n', 'anywhere')).toBe('no');
      expect(await can('delete', 'globaldatabases.borealis.dev', '-n', 'anywhere')).toBe('no');
      expect(await can('create', 'clusterroles.rbac.authorization.k8s.io')).toBe('no');
      expect(
        await can(
          'update',
          'leases.coordination.k8s.io/borealis-operator',
          '-n',
          'borealis-system',
        ),
      ).toBe('yes');
      expect(
        await can('update', 'leases.coordination.k8s.io/someone-else', '-n', 'borealis-system'),
      ).toBe('no');

      // Run the operator with the chart's ServiceAccount token: its RBAC must be sufficient for a full reconcile.
      const token = (
        await api.kubectl(['create', 'token', 'borealis', '-n', 'borealis-system', '--duration=1h'])
      ).trim();
      const admin = KubeClient.fromString(api.kubeconfigYaml);
      const client = KubeClient.fromConnection({
        server: admin.connection.server,
        ...(admin.connection.ca ? { ca: admin.connection.ca } : {}),
        token,
      });
      operator = new Operator({
        client,
        log: pino({ level: 'silent' }),
        agents: new HttpAgentStatusSource(`http://127.0.0.1:${await freePort()}/status`, 300),
        pollIntervalMs: 500,
        leaderElection: {
          namespace: 'borealis-system',
          name: 'borealis-operator',
          identity: 'chart-test',
          retryPeriodMs: 500,
        },
      });
      await operator.start();
      await api.kubectl(['create', 'namespace', 'app']);
      await api.kubectl([
        'apply',
        '-n',
        'app',
        '-f',
        join(root, 'examples', 'global-database.yaml'),
      ]);
      const deadline = Date.now() + 30_000;
      let phase = '';
      while (Date.now() < deadline && phase !== 'Provisioning') {
        phase = (
          await api.kubectl([
            'get',
            'globaldatabase',
            '-n',
            'app',
            'orders',
            '-o',
            'jsonpath={.status.phase}',
          ])
        ).trim();
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(phase).toBe('Provisioning');
      const sts = (await api.kubectl(['get', 'statefulsets', '-n', 'app', '-o', 'name']))
        .trim()
        .split('\n');
      expect(sts).toHaveLength(9);
      const holder = (
        await api.kubectl([
          'get',
          'lease',
          '-n',
          'borealis-system',
          'borealis-operator',
          '-o',
          'jsonpath={.spec.holderIdentity}',
        ])
      ).trim();
      expect(holder).toBe('chart-test');
      const events = await api.kubectl([
        'get',
        'events',
        '-n',
        'app',
        '--field-selector',
        'reason=Created',
        '-o',
        'name',
      ]);
      expect(events.trim()).not.toBe('');
    });
  },
);
