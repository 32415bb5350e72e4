/**
 * The single source of truth for Borealis' CustomResourceDefinitions (DESIGN §8).
 * charts/borealis/crds/*.yaml are generated from here (`npm run gen:crds`); a unit test
 * fails when the checked-in YAML drifts from these objects.
 */
import {
  arr,
  bool,
  conditionsSchema,
  int,
  num,
  obj,
  str,
  type JsonSchema,
} from './schema-helpers.js';

export const GROUP = 'borealis.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const MAX_REGIONS = 6;
export const MAX_READERS = 15;
export const REGION_NAME_PATTERN = '^[a-z][a-z0-9-]{0,30}$';
export const POSTGRES_VERSIONS = ['15', '16', '17'] as const;

const regionName = (description: string): JsonSchema =>
  str(description, { pattern: REGION_NAME_PATTERN, minLength: 1, maxLength: 31 });

const quantity = (description: string, def: string): JsonSchema =>
  str(description, { default: def, pattern: '^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$' });

export const globalDatabaseSpecSchema: JsonSchema = obj(
  'Desired state of a multi-region global database: one primary region that takes writes and up to five read-only secondary regions replicated over NATS JetStream.',
  {
    engine: obj(
      'The database engine.',
      {
        version: str('PostgreSQL major version run in every region.', {
          enum: [...POSTGRES_VERSIONS],
          default: '15',
        }),
      },
      [],
      { default: { version: '15' } },
    ),
    database: obj(
      'The replicated database.',
      {
        name: str(
          'Name of the replicated PostgreSQL database (a lower-case identifier; used in slot, stream and subject names).',
          {
            pattern: '^[a-z_][a-z0-9_]{0,62}$',
            default: 'app',
          },
        ),
      },
      [],
      { default: { name: 'app' } },
    ),
    primaryRegion: regionName(
      'Name of the region that takes writes; must be one of spec.regions. Changing it on a running database requests a planned switchover (RPO 0) to that region, never a re-creation.',
    ),
    regions: arr(
      `The regions: the primary plus up to ${MAX_REGIONS - 1} secondaries (at most ${MAX_REGIONS} in all), each with a unique name.`,
      obj(
        'One region: a PostgreSQL writer/replica pod with its region agent, 0-15 reader replicas and a NATS JetStream cluster.',
        {
          name: regionName(
            'Region name, e.g. "us-east": lower-case letters, digits and dashes, starting with a letter, at most 31 characters. Also the name of its NATS cluster.',
          ),
          kubeconfigSecretRef: obj(
            "Secret in this resource's namespace holding a kubeconfig for the cluster this region runs in. Omit it to run the region in the operator's own cluster.",
            {
              name: str('Name of the Secret.', { minLength: 1, maxLength: 253 }),
              key: str('Key in the Secret whose value is the kubeconfig.', {
                default: 'kubeconfig',
                minLength: 1,
              }),
            },
            ['name'],
          ),
          readers: int(
            `Reader replicas (physical streaming standbys) behind this region's reader endpoint, 0-${MAX_READERS}.`,
            {
              minimum: 0,
              maximum: MAX_READERS,
              default: 0,
            },
          ),
          storage: obj(
            "Persistent storage of this region's PostgreSQL and NATS pods.",
            {
              size: quantity('Size of the PostgreSQL data volume of each pod, e.g. 1Gi.', '1Gi'),
              natsSize: quantity(
                'Size of the JetStream volume of each NATS server, e.g. 1Gi.',
                '1Gi',
              ),
              storageClassName: str('StorageClass of the volumes; omit for the cluster default.', {
                minLength: 1,
              }),
            },
            [],
            { default: { size: '1Gi', natsSize: '1Gi' } },
          ),
          postgresAddress: str(
            "host:port other regions use to reach this region's PostgreSQL writer (seeding a secondary in another cluster from the primary). Defaults to the in-cluster writer Service.",
            { pattern: '^[A-Za-z0-9.-]+:[0-9]{1,5}$' },
          ),
          natsGatewayAddress: str(
            "host:port other regions use to reach this region's NATS gateway. Needed when regions run in different clusters; defaults to the in-cluster Service name.",
            { pattern: '^[A-Za-z0-9.-]+:[0-9]{1,5}$' },
          ),
        },
        ['name'],
      ),
      {
        minItems: 1,
        maxItems: MAX_REGIONS,
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
        'x-kubernetes-validations': [
          {
            rule: 'self.all(r, self.exists_one(s, s.name == r.name))',
            message: 'spec.regions: region names must be unique',
            reason: 'FieldValueDuplicate',
          },
        ],
      },
    ),
    replication: obj(
      'Replication settings.',
      {
        maxLagSeconds: num(
          'Lag above which a secondary counts as lagging (condition Replicating=False, phase Degraded), seconds.',
          {
            minimum: 0,
            default: 1,
          },
        ),
        retention: obj(
          'Bounded retention of the change stream; a region that falls behind it is re-seeded.',
          {
            maxAgeSeconds: int('Maximum age of a change message, seconds.', {
              minimum: 60,
              default: 86400,
            }),
            maxBytes: int('Maximum bytes of the change stream.', {
              minimum: 1048576,
              default: 1073741824,
            }),
          },
          [],
          { default: { maxAgeSeconds: 86400, maxBytes: 1073741824 } },
        ),
      },
      [],
      { default: { maxLagSeconds: 1, retention: { maxAgeSeconds: 86400, maxBytes: 1073741824 } } },
    ),
    failover: obj(
      'What happens when the primary region fails.',
      {
        mode: str(
          'manual: only FailoverDrill or a change of spec.primaryRegion moves the primary. automatic: the operator promotes the most advanced secondary after detectionSeconds without a healthy primary.',
          {
            enum: ['manual', 'automatic'],
            default: 'manual',
          },
        ),
        detectionSeconds: int(
          'How long the primary region must be unhealthy (missed health reports) before an automatic failover, seconds.',
          {
            minimum: 1,
            maximum: 600,
            default: 10,
          },
        ),
        rpoGuardSeconds: num(
          'RPO guard: an automatic failover is refused when the best secondary may have lost more than this many seconds of commits (unless forced).',
          { minimum: 0, default: 5 },
        ),
      },
      [],
      { default: { mode: 'manual', detectionSeconds: 10, rpoGuardSeconds: 5 } },
    ),
    nats: obj(
      "Each region's NATS JetStream cluster.",
      {
        clusterSize: int(
          'NATS servers per region (1, or 3 for a fault-tolerant JetStream cluster).',
          { enum: [1, 3], default: 1 },
        ),
      },
      [],
      { default: { clusterSize: 1 } },
    ),
  },
  ['primaryRegion', 'regions'],
  {
    'x-kubernetes-validations': [
      {
        rule: 'self.regions.exists(r, r.name == self.primaryRegion)',
        message: 'spec.primaryRegion must name one of spec.regions',
        fieldPath: '.primaryRegion',
      },
    ],
  },
);

const regionStatus = obj(
  "One region's observed state, as its region agent reports it.",
  {
    name: str('Region name.'),
    role: str('Role the region agent reports.', { enum: ['primary', 'secondary', 'unknown'] }),
    ready: bool('True when the region agent reports ready.'),
    epoch: int('Epoch the region agent runs in.'),
    lagSeconds: num(
      'Replication lag: now minus the commit time of the newest applied transaction, seconds (secondaries).',
    ),
    appliedLsn: str(
      'Commit LSN of the newest transaction applied (secondary) or captured (primary).',
    ),
    streamSeq: int(
      'Stream sequence of the newest applied (secondary) or acknowledged (primary) change message.',
    ),
    pendingMessages: int('Change messages in the local mirror not applied yet.'),
    message: str('Why the region is not ready, or the last error talking to its agent.'),
  },
  ['name'],
);

export const globalDatabaseStatusSchema: JsonSchema = obj(
  'Observed state, written by the operator.',
  {
    phase: str('Pending, Provisioning, Ready, Degraded, FailingOver or Deleting.', {
      enum: ['Pending', 'Provisioning', 'Ready', 'Degraded', 'FailingOver', 'Deleting'],
    }),
    observedGeneration: int('The .metadata.generation this status reflects.'),
    epoch: int('Current primary term (mirrors the authoritative epoch store).'),
    primaryRegion: str('Region currently serving as primary.'),
    regionsReady: str('Ready regions out of declared regions, e.g. "3/3".'),
    regionStates: str(
      'Every region in one line for kubectl get -o wide: name=role/e<epoch>[/<lag>s], "!" after a region that is not ready, e.g. "us-east=primary/e2 eu-west=secondary/e2/0.12s".',
    ),
    maxLagSeconds: num('Largest replication lag among the secondaries, seconds.'),
    regions: arr('Per-region observed state.', regionStatus, {
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['name'],
    }),
    conditions: conditionsSchema('Ready, Replicating, Degraded and FailingOver conditions.'),
    lastFailover: obj('The most recent switchover or failover the operator performed.', {
      type: str('switchover or failover.', { enum: ['switchover', 'failover'] }),
      from: str('Old primary region.'),
      to: str('New primary region.'),
      epoch: int('Epoch of the new primary term.'),
      startedAt: str('When the promotion started.', { format: 'date-time' }),
      completedAt: str('When the promotion completed.', { format: 'date-time' }),
      rtoSeconds: num(
        'Recovery time: from detection (failover) or request (switchover) to the first write on the new primary, seconds.',
      ),
      rpoTransactions: int('Acknowledged transactions lost.'),
      result: str('Succeeded, Failed or Refused.', { enum: ['Succeeded', 'Failed', 'Refused'] }),
      message: str('Details, e.g. why a failover was refused.'),
    }),
    requestedPrimaryRegion: str(
      'The spec.primaryRegion the operator last acted on. Changing spec.primaryRegion to another value requests a switchover; a failover moves status.primaryRegion without touching it, and the operator never switches back on its own.',
    ),
    epochHistory: arr(
      'Every primary term so far, oldest first, with the fork each epoch started from (written with each epoch change; the region agents need it to cross epochs).',
      obj(
        'One primary term.',
        {
          epoch: int('The epoch.'),
          primary: str('Region that was primary in it.'),
          at: str('When the epoch was written.', { format: 'date-time' }),
          fork: obj(
            'The last transaction of the previous epoch this epoch contains.',
            {
              epoch: int('The previous epoch.'),
              seq: int('Stream sequence of that transaction in the previous epoch.'),
              commitLsn: str('Its commit LSN on the old primary.'),
              stream: str(
                "Stream holding the previous epoch up to seq (the promoted region's mirror).",
              ),
            },
            ['epoch', 'seq', 'commitLsn', 'stream'],
          ),
        },
        ['epoch', 'primary', 'at'],
      ),
    ),
  },
);

export const failoverDrillSpecSchema: JsonSchema = obj(
  'A regional outage test: a switchover or a failover of a GlobalDatabase, measured. A drill runs once; create a new FailoverDrill to run another.',
  {
    globalDatabase: str('Name of the GlobalDatabase (same namespace) to drill.', {
      minLength: 1,
      maxLength: 253,
    }),
    targetRegion: regionName(
      'Region to promote; omit it to let the operator choose the most advanced secondary.',
    ),
    type: str(
      'switchover: planned, RPO 0. failover: inject a fault into the primary region and fail over.',
      { enum: ['switchover', 'failover'] },
    ),
    fault: str(
      'Fault injected into the primary region (failover only): kill its pods, freeze them, or partition the region off.',
      {
        enum: ['kill', 'freeze', 'partition'],
      },
    ),
    workload: obj(
      'Write load driven through the writer endpoint during the drill; its numbered ledger measures RTO and RPO.',
      {
        writesPerSecond: int('Writes per second of the prober.', {
          minimum: 1,
          maximum: 10000,
          default: 50,
        }),
      },
      [],
      { default: { writesPerSecond: 50 } },
    ),
    force: bool('Promote even when the RPO guard would refuse (failover only).', {
      default: false,
    }),
  },
  ['globalDatabase', 'type'],
  {
    'x-kubernetes-validations': [
      {
        rule: "self.type == 'failover' || !has(self.fault)",
        message: 'spec.fault is only allowed when spec.type is failover',
        fieldPath: '.fault',
      },
      {
        rule: "self.type != 'failover' || has(self.fault)",
        message: 'spec.fault is required when spec.type is failover (kill, freeze or partition)',
        fieldPath: '.fault',
      },
      {
        rule: 'self == oldSelf',
        message: 'spec is immutable: a drill runs once; create a new FailoverDrill to run another',
      },
    ],
  },
);

export const failoverDrillStatusSchema: JsonSchema = obj(
  'Observed state of the drill, written by the operator.',
  {
    phase: str(
      'Current phase: Pending, Preparing, InjectingFault, Detecting, Promoting, Rerouting, Verifying, Completed.',
    ),
    result: str('Succeeded or Failed, once the drill is over.', { enum: ['Succeeded', 'Failed'] }),
    message: str('Why the drill failed, or a summary.'),
    observedGeneration: int('The .metadata.generation this status reflects.'),
    from: str('Primary region before the drill.'),
    to: str('Region promoted by the drill.'),
    epoch: int('Epoch of the new primary term.'),
    startedAt: str('When the drill started.', { format: 'date-time' }),
    completedAt: str('When the drill ended.', { format: 'date-time' }),
    rtoSeconds: num(
      'Recovery time: fault injection (or switchover request) to the first acknowledged write on the new primary, seconds.',
    ),
    rpoTransactions: int('Acknowledged writes of the prober absent on the new primary.'),
    rpoSeconds: num('Time window of the lost writes, seconds.'),
    acknowledgedWrites: int(
      'Writes of the prober acknowledged during the drill (the ledger RPO is counted against).',
    ),
    promotionPhases: arr(
      'The promotion steps the operator ran (fence, catch-up, hold, epoch, promote, rejoin, follow) with their durations.',
      obj('One promotion step.', { name: str('Step name.'), seconds: num('Duration, seconds.') }, [
        'name',
        'seconds',
      ]),
    ),
    phases: arr(
      'Phases with timestamps, in order.',
      obj(
        'One phase of the drill.',
        {
          name: str('Phase name.'),
          startedAt: str('When the phase started.', { format: 'date-time' }),
          completedAt: str('When the phase ended.', { format: 'date-time' }),
          seconds: num('Duration of the phase, seconds.'),
          message: str('Details.'),
        },
        ['name', 'startedAt'],
      ),
    ),
    conditions: conditionsSchema('Conditions of the drill (Completed).'),
  },
);

interface CrdInput {
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  spec: JsonSchema;
  status: JsonSchema;
  columns: {
    name: string;
    type: 'string' | 'integer' | 'number' | 'date' | 'boolean';
    jsonPath: string;
    description: string;
    priority?: number;
  }[];
  rootRules?: JsonSchema['x-kubernetes-validations'];
}

export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels: Record<string, string> };
  spec: Record<string, unknown>;
}

function crd(input: CrdInput): CustomResourceDefinition {
  const openAPIV3Schema: JsonSchema = obj(
    `${input.kind} (${API_VERSION}).`,
    {
      apiVersion: str('APIVersion of this object: borealis.dev/v1alpha1.'),
      kind: str(`Kind of this object: ${input.kind}.`),
      metadata: { type: 'object' }, // the apiserver forbids anything else here
      spec: input.spec,
      status: input.status,
    },
    ['spec'],
    input.rootRules ? { 'x-kubernetes-validations': input.rootRules } : {},
  );
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${input.plural}.${GROUP}`,
      labels: { 'app.kubernetes.io/part-of': 'borealis' },
    },
    spec: {
      group: GROUP,
      names: {
        kind: input.kind,
        listKind: `${input.kind}List`,
        plural: input.plural,
        singular: input.singular,
        shortNames: input.shortNames,
        categories: ['borealis'],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: input.columns,
          schema: { openAPIV3Schema },
        },
      ],
    },
  };
}

export function globalDatabaseCrd(): CustomResourceDefinition {
  return crd({
    kind: 'GlobalDatabase',
    plural: 'globaldatabases',
    singular: 'globaldatabase',
    shortNames: ['gdb'],
    spec: globalDatabaseSpecSchema,
    status: globalDatabaseStatusSchema,
    rootRules: [
      {
        rule: 'size(self.metadata.name) <= 24',
        message:
          'metadata.name must be at most 24 characters (it prefixes the names of the Services and StatefulSets of every region)',
      },
    ],
    columns: [
      {
        name: 'Primary',
        type: 'string',
        jsonPath: '.status.primaryRegion',
        description: 'Region serving as primary.',
      },
      {
        name: 'Epoch',
        type: 'integer',
        jsonPath: '.status.epoch',
        description: 'Current primary term.',
      },
      {
        name: 'Regions',
        type: 'string',
        jsonPath: '.status.regionsReady',
        description: 'Ready regions / declared regions.',
      },
      {
        name: 'Max-Lag',
        type: 'number',
        jsonPath: '.status.maxLagSeconds',
        description: 'Largest secondary lag, seconds.',
      },
      { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'Lifecycle phase.' },
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: 'Age.' },
      {
        name: 'Region-States',
        type: 'string',
        jsonPath: '.status.regionStates',
        description: 'Every region as name=role/epoch/lag (kubectl get -o wide).',
        priority: 1,
      },
    ],
  });
}

export function failoverDrillCrd(): CustomResourceDefinition {
  return crd({
    kind: 'FailoverDrill',
    plural: 'failoverdrills',
    singular: 'failoverdrill',
    shortNames: ['drill'],
    spec: failoverDrillSpecSchema,
    status: failoverDrillStatusSchema,
    columns: [
      {
        name: 'Database',
        type: 'string',
        jsonPath: '.spec.globalDatabase',
        description: 'GlobalDatabase drilled.',
      },
      {
        name: 'Type',
        type: 'string',
        jsonPath: '.spec.type',
        description: 'switchover or failover.',
      },
      {
        name: 'From',
        type: 'string',
        jsonPath: '.status.from',
        description: 'Primary before the drill.',
      },
      { name: 'To', type: 'string', jsonPath: '.status.to', description: 'Region promoted.' },
      { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'Current phase.' },
      {
        name: 'RTO',
        type: 'number',
        jsonPath: '.status.rtoSeconds',
        description: 'Recovery time, seconds.',
      },
      {
        name: 'RPO',
        type: 'integer',
        jsonPath: '.status.rpoTransactions',
        description: 'Lost transactions.',
      },
      {
        name: 'Result',
        type: 'string',
        jsonPath: '.status.result',
        description: 'Succeeded or Failed.',
      },
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: 'Age.' },
    ],
  });
}

export function allCrds(): CustomResourceDefinition[] {
  return [globalDatabaseCrd(), failoverDrillCrd()];
}

/** File name of each CRD in charts/borealis/crds/. */
export function crdFileName(c: CustomResourceDefinition): string {
  return `${c.metadata.name}.yaml`;
}
