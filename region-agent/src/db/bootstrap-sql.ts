import { PUBLICATION } from '../wire/index.js';

/**
 * The `borealis` schema every region carries (idempotent). Local state tables (apply_position,
 * lost_transactions) are never published: capture drops their changes (see LOCAL_TABLES).
 */
export const BOOTSTRAP_SQL = `
CREATE SCHEMA IF NOT EXISTS borealis;

CREATE TABLE IF NOT EXISTS borealis.heartbeat (
  region     text PRIMARY KEY,
  epoch      bigint NOT NULL,
  beat_at    timestamptz NOT NULL,
  sequences  jsonb NOT NULL DEFAULT '{}'
);

CREATE TABLE IF NOT EXISTS borealis.ddl_log (
  id           bigserial PRIMARY KEY,
  txid         bigint NOT NULL DEFAULT txid_current(),
  search_path  text NOT NULL,
  query        text NOT NULL,
  command_tags text[] NOT NULL DEFAULT '{}',
  logged_at    timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE IF NOT EXISTS borealis.apply_position (
  id          int PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  epoch       bigint NOT NULL,
  stream_seq  bigint NOT NULL,
  commit_lsn  pg_lsn NOT NULL,
  commit_ts   timestamptz NOT NULL,
  applied_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  seeded_at   timestamptz
);

CREATE TABLE IF NOT EXISTS borealis.lost_transactions (
  id          bigserial PRIMARY KEY,
  epoch       bigint NOT NULL,
  region      text NOT NULL,
  xid         bigint,
  commit_lsn  pg_lsn,
  commit_ts   timestamptz,
  changes     jsonb NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- A table without a primary key replicates its updates and deletes by every column.
CREATE OR REPLACE FUNCTION borealis.ensure_replica_identity(rel oid) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
  c record;
BEGIN
  SELECT cl.oid, cl.relreplident, n.nspname, cl.relname, cl.relpersistence, cl.relkind
    INTO c FROM pg_class cl JOIN pg_namespace n ON n.oid = cl.relnamespace WHERE cl.oid = rel;
  IF NOT FOUND OR c.relkind NOT IN ('r', 'p') OR c.relpersistence <> 'p' OR c.nspname = 'borealis' THEN
    RETURN;
  END IF;
  IF c.relreplident = 'd' AND NOT EXISTS (SELECT 1 FROM pg_index WHERE indrelid = rel AND indisprimary) THEN
    EXECUTE format('ALTER TABLE %I.%I REPLICA IDENTITY FULL', c.nspname, c.relname);
  END IF;
END
$fn$;

CREATE OR REPLACE FUNCTION borealis.ensure_replica_identity_all() RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
  r record;
BEGIN
  FOR r IN SELECT cl.oid FROM pg_class cl JOIN pg_namespace n ON n.oid = cl.relnamespace
           WHERE cl.relkind IN ('r', 'p') AND cl.relpersistence = 'p' AND cl.relreplident = 'd'
             AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'borealis')
             AND n.nspname NOT LIKE 'pg_toast%' LOOP
    PERFORM borealis.ensure_replica_identity(r.oid);
  END LOOP;
END
$fn$;

-- Records DDL in borealis.ddl_log, in the DDL's own transaction, so it replicates in order with the data.
CREATE OR REPLACE FUNCTION borealis.log_ddl() RETURNS event_trigger
LANGUAGE plpgsql AS $fn$
DECLARE
  tags text[];
  r record;
  persistent boolean := false;
BEGIN
  FOR r IN SELECT * FROM pg_event_trigger_ddl_commands() LOOP
    IF r.schema_name IS NULL OR (r.schema_name NOT LIKE 'pg_temp%' AND r.schema_name <> 'borealis') THEN
      persistent := true;
    END IF;
    IF r.object_type = 'table' AND r.command_tag IN ('CREATE TABLE', 'ALTER TABLE', 'CREATE TABLE AS', 'SELECT INTO') THEN
      PERFORM borealis.ensure_replica_identity(r.objid);
    END IF;
  END LOOP;
  IF NOT persistent THEN
    RETURN;
  END IF;
  SELECT coalesce(array_agg(DISTINCT command_tag), '{}') INTO tags FROM pg_event_trigger_ddl_commands();
  IF NOT EXISTS (SELECT 1 FROM borealis.ddl_log WHERE txid = txid_current() AND query = current_query()) THEN
    INSERT INTO borealis.ddl_log (search_path, query, command_tags)
    VALUES (current_setting('search_path'), current_query(), tags);
  END IF;
END
$fn$;

-- DROP has no rows in pg_event_trigger_ddl_commands(): log it from sql_drop.
CREATE OR REPLACE FUNCTION borealis.log_drop() RETURNS event_trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_event_trigger_dropped_objects()
                 WHERE original AND NOT is_temporary AND coalesce(schema_name, '') <> 'borealis') THEN
    RETURN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM borealis.ddl_log WHERE txid = txid_current() AND query = current_query()) THEN
    INSERT INTO borealis.ddl_log (search_path, query, command_tags)
    VALUES (current_setting('search_path'), current_query(), ARRAY[tg_tag]);
  END IF;
END
$fn$;

DO $do$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = 'borealis_ddl') THEN
    CREATE EVENT TRIGGER borealis_ddl ON ddl_command_end EXECUTE FUNCTION borealis.log_ddl();
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = 'borealis_drop') THEN
    CREATE EVENT TRIGGER borealis_drop ON sql_drop EXECUTE FUNCTION borealis.log_drop();
  END IF;
END
$do$;

-- Sets every sequence named in the heartbeat's map at least to the primary's value.
CREATE OR REPLACE FUNCTION borealis.sync_sequences(seqs jsonb) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
  k text;
  v bigint;
  cur bigint;
BEGIN
  FOR k, v IN SELECT key, value::bigint FROM jsonb_each_text(seqs) LOOP
    IF to_regclass(k) IS NOT NULL THEN
      SELECT s.last_value INTO cur FROM pg_sequences s WHERE format('%I.%I', s.schemaname, s.sequencename) = k;
      IF cur IS NULL OR cur < v THEN
        PERFORM setval(k, v, true);
      END IF;
    END IF;
  END LOOP;
END
$fn$;

DO $do$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = '${PUBLICATION}') THEN
    CREATE PUBLICATION ${PUBLICATION} FOR ALL TABLES;
  END IF;
END
$do$;

SELECT borealis.ensure_replica_identity_all();
`;

/** Tables of the borealis schema that hold region-local state and are never replicated. */
export const LOCAL_TABLES = new Set(['borealis.apply_position', 'borealis.lost_transactions']);

/** The heartbeat upsert: commits the beat time and every sequence's position (DESIGN §3 Sequences). */
export const HEARTBEAT_SQL = `
INSERT INTO borealis.heartbeat (region, epoch, beat_at, sequences)
VALUES ($1, $2, clock_timestamp(),
        (SELECT coalesce(jsonb_object_agg(format('%I.%I', schemaname, sequencename), last_value), '{}'::jsonb)
           FROM pg_sequences WHERE last_value IS NOT NULL AND schemaname <> 'borealis'))
ON CONFLICT (region) DO UPDATE
  SET epoch = excluded.epoch, beat_at = excluded.beat_at, sequences = excluded.sequences`;
