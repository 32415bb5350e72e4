import { z } from 'zod';

const regionName = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,30}$/, 'must be lower-case letters, digits and dashes, starting with a letter (e.g. "us-east")');

const identifier = z
  .string()
  .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case PostgreSQL identifier (letters, digits, _)');

const port = z.number().int().min(0).max(65535);

/** The region agent's configuration: a JSON file given with --config (or BOREALIS_AGENT_CONFIG). */
export const agentConfigSchema = z
  .object({
    /** This region's name; also the name of its NATS cluster. */
    region: regionName,
    /** Role at start-up. */
    role: z.enum(['primary', 'secondary']),
    /** The primary term this agent starts in (positive integer). */
    epoch: z.number().int().positive(),
    /** The name of the primary region (where the source stream lives). */
    primaryRegion: regionName,
    database: z.object({
      /** Connection URL of this region's PostgreSQL for the agent (a superuser or replication-capable role). */
      url: z.string().startsWith('postgres', 'must be a postgres:// or postgresql:// URL'),
      /** The replicated database name (used in slot, stream and subject names). */
      name: identifier,
    }),
    nats: z.object({
      /** URLs of this region's NATS servers (never another region's). */
      servers: z.array(z.string().min(1)).min(1, 'needs at least one NATS server URL'),
    }),
    stream: z
      .object({
        /** Bounded retention: maximum age of a message. */
        maxAgeSeconds: z.number().positive().default(24 * 3600),
        /** Bounded retention: maximum bytes of the stream. */
        maxBytes: z.number().int().positive().default(1024 * 1024 * 1024),
        /** JetStream de-duplication window. */
        duplicateWindowSeconds: z.number().positive().default(120),
      })
      .default({ maxAgeSeconds: 24 * 3600, maxBytes: 1024 * 1024 * 1024, duplicateWindowSeconds: 120 }),
    capture: z
      .object({
        /** Unacknowledged publishes in flight before capture starts packing transactions into one message. */
        maxInFlight: z.number().int().min(1).max(4096).default(64),
        /** Most transactions packed into one message under load. */
        maxBatchTransactions: z.number().int().min(1).default(500),
        /** Largest message body; larger transactions are split into ordered chunks. */
        maxMessageBytes: z.number().int().min(1024).max(8 * 1024 * 1024).default(512 * 1024),
      })
      .default({ maxInFlight: 64, maxBatchTransactions: 500, maxMessageBytes: 512 * 1024 }),
    apply: z
      .object({
        /** Most transactions applied in one PostgreSQL transaction when behind (group apply). */
        maxGroupTransactions: z.number().int().min(1).default(1000),
      })
      .default({ maxGroupTransactions: 1000 }),
    heartbeat: z
      .object({
        /** Interval of heartbeat commits on the primary (DESIGN: 100–250 ms). */
        intervalMs: z.number().int().min(20).max(10_000).default(200),
      })
      .default({ intervalMs: 200 }),
    seed: z
      .object({
        /** URL of the primary's PostgreSQL, used to seed this region from a consistent snapshot. */
        sourceUrl: z.string().startsWith('postgres', 'must be a postgres:// or postgresql:// URL').optional(),
        /** Folder with pg_dump and pg_restore (defaults to PATH). */
        pgBinDir: z.string().optional(),
      })
      .default({}),
    http: z
      .object({
        host: z.string().default('127.0.0.1'),
        port: port.default(0),
      })
      .default({ host: '127.0.0.1', port: 0 }),
    log: z
      .object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') })
      .default({ level: 'info' }),
    /** The Data API (POST /v1/execute, /v1/transaction; docs/data-api.md). Served only when a token is set. */
    dataApi: z
      .object({
        /** Bearer token every Data API request (and every forwarded write between agents) must carry. */
        token: z.string().min(16, 'must be at least 16 characters').optional(),
        /** PostgreSQL URL the Data API runs client SQL as (default: database.url); use a non-superuser role. */
        databaseUrl: z.string().startsWith('postgres', 'must be a postgres:// or postgresql:// URL').optional(),
        /** Connections of the Data API's pool. */
        poolSize: z.number().int().min(1).max(200).default(10),
        /** Largest accepted request body (413 above). */
        maxBodyBytes: z.number().int().min(1024).max(64 * 1024 * 1024).default(1024 * 1024),
        /** Time limit of a request when it names none, ms. */
        timeoutMs: z.number().int().min(10).default(5_000),
        /** Largest time limit a request may ask for, ms. */
        maxTimeoutMs: z.number().int().min(10).default(30_000),
        /** Most rows one statement may return (400 above). */
        maxRows: z.number().int().min(1).default(10_000),
        /** Most statements in one POST /v1/transaction. */
        maxStatements: z.number().int().min(1).default(100),
        /** After a failed forward to the primary, writes fail at once (503, retryable) for this long, ms. */
        unreachableHoldMs: z.number().int().min(0).default(500),
      })
      .strict()
      .prefault({}),
    /** The other regions' agents (HTTP base URLs, through the inter-region links): write forwarding, global waits. */
    peers: z.array(z.object({ region: regionName, http: z.string().url() }).strict()).default([]),
    /** Promotion (docs/promotion.md): the epoch store on the control NATS cluster, the write lease, admin API. */
    control: z
      .object({
        /** URLs of the control NATS cluster's servers (the epoch store). Without them the lease is not checked. */
        servers: z.array(z.string().min(1)).default([]),
        /** The epoch store's KV bucket. */
        bucket: z.string().regex(/^[A-Za-z0-9_-]+$/).default('borealis_epochs'),
        /** Write lease of a primary: client commits stop this long after the last confirmed renewal. */
        leaseMs: z.number().int().min(200).max(60_000).default(2_500),
        /**
         * Where the write lease comes from: "store" (renewed by the agent from the epoch store at control.servers;
         * without servers it falls back to "none"), "admin" (pushed by the promotion authority through POST
         * /admin/lease — the operator on Kubernetes), "none" (no lease; fencing only by /admin/fence).
         */
        leaseFrom: z.enum(['store', 'admin', 'none']).default('store'),
        /** Lease renewal interval (each renewal reads the epoch store). */
        renewMs: z.number().int().min(20).max(10_000).default(250),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type AgentConfig = z.infer<typeof agentConfigSchema>;
export type AgentConfigInput = z.input<typeof agentConfigSchema>;
