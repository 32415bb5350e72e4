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

-- Promotion state of this region (docs/promotion.md): its role and epoch survive an agent restart.
CREATE TABLE IF NOT EXISTS borealis.agent_state (
  id             int PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  epoch          bigint NOT NULL,
  role           text NOT NULL CHECK (role IN ('primary', 'secondary')),
  primary_region text NOT NULL,
  history        jsonb NOT NULL DEFAULT '[]',
  updated_at     timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- Write lease of a primary (fencing): while a row exists, client writes commit only before valid_until.
-- The agent renews it only after reading its own epoch back from the epoch store.
CREATE TABLE IF NOT EXISTS borealis.lease (
  id          int PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  epoch       bigint NOT NULL,
  valid_until timestamptz NOT NULL
);

CREATE OR REPLACE FUNCTION borealis.check_lease() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
  l record;
BEGIN
  SELECT epoch, valid_until INTO l FROM borealis.lease WHERE id = 1;
  IF FOUND AND l.valid_until < clock_timestamp() THEN
    RAISE EXCEPTION 'borealis: this region is fenced (write lease of epoch % ended at %); it no longer accepts writes', l.epoch, l.valid_until
      USING ERRCODE = '25006';
  END IF;
  RETURN NULL;
END
$fn$;

-- A deferred constraint trigger checks the lease at COMMIT, so a transaction begun before a freeze cannot
-- commit after it once the lease ended.
CREATE OR REPLACE FUNCTION borealis.ensure_lease_trigger(rel oid) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
  c record;
BEGIN
  SELECT cl.oid, n.nspname, cl.relname, cl.relpersistence, cl.relkind
    INTO c FROM pg_class cl JOIN pg_namespace n ON n.oid = cl.relnamespace WHERE cl.oid = rel;
  IF NOT FOUND OR c.relkind <> 'r' OR c.relpersistence <> 'p' OR c.nspname IN ('borealis', 'pg_catalog', 'information_schema') THEN
    RETURN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = rel AND tgname = 'borealis_lease') THEN
    EXECUTE format('CREATE CONSTRAINT TRIGGER borealis_lease AFTER INSERT OR UPDATE OR DELETE ON %I.%I DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION borealis.check_lease()', c.nspname, c.relname);
  END IF;
END
$fn$;

CREATE OR REPLACE FUNCTION borealis.ensure_lease_triggers_all() RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
  r record;
BEGIN
  FOR r IN SELECT cl.oid FROM pg_class cl JOIN pg_namespace n ON n.oid = cl.relnamespace
           WHERE cl.relkind = 'r' AND cl.relpersistence = 'p'
             AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'borealis')
             AND n.nspname NOT LIKE 'pg_toast%' LOOP
    PERFORM borealis.ensure_lease_trigger(r.oid);
  END LOOP;
END
$fn$;

-- On promotion: every sequence owned by a column (borealis.ddl_log's too) moves past the column's highest value, every other one
-- past the position the last replicated heartbeat carried (DESIGN §3 Sequences).
CREATE OR REPLACE FUNCTION borealis.advance_sequences() RETURNS int
LANGUAGE plpgsql AS $fn$
DECLARE
  r record;
  hi bigint;
  cur bigint;
  n int := 0;
BEGIN
  FOR r IN SELECT s.oid AS seq, format('%I.%I', sn.nspname, s.relname) AS seqname,
                  format('%I.%I', tn.nspname, t.relname) AS tbl, a.attname AS col
             FROM pg_class s JOIN pg_namespace sn ON sn.oid = s.relnamespace
             JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
             JOIN pg_class t ON t.oid = d.refobjid JOIN pg_namespace tn ON tn.oid = t.relnamespace
             JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
            WHERE s.relkind = 'S' LOOP
    EXECUTE format('SELECT max(%I)::bigint FROM %s', r.col, r.tbl) INTO hi;
    SELECT last_value INTO cur FROM pg_sequences WHERE format('%I.%I', schemaname, sequencename) = r.seqname;
    IF hi IS NOT NULL AND (cur IS NULL OR cur < hi) THEN
      PERFORM setval(r.seqname, hi, true);
      n := n + 1;
    END IF;
  END LOOP;
  PERFORM borealis.sync_sequences(coalesce((SELECT sequences FROM borealis.heartbeat ORDER BY beat_at DESC LIMIT 1), '{}'::jsonb));
  RETURN n;
END
$fn$;

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

-- Records each top-level DDL statement (one row per statement, with its command tag) in
-- borealis.ddl_log, in the DDL's own transaction, so it replicates in order with the data.
-- Apply finds the statement in the logged query string by its position among the statements
-- carrying that tag (a client may send several statements, DDL and DML, in one string).
CREATE OR REPLACE FUNCTION borealis.log_ddl() RETURNS event_trigger
LANGUAGE plpgsql AS $fn$
DECLARE
  r record;
  persistent boolean := false;
  any_command boolean := false;
BEGIN
  IF current_setting('borealis.in_ddl_trigger', true) = 'on' THEN
    RETURN;
  END IF;
  IF current_setting('borealis.skip_drop', true) = 'on' THEN
    PERFORM set_config('borealis.skip_drop', 'off', true);
    RETURN;
  END IF;
  PERFORM set_config('borealis.in_ddl_trigger', 'on', true);
  FOR r IN SELECT * FROM pg_event_trigger_ddl_commands() LOOP
    any_command := true;
    IF r.schema_name IS NULL OR (r.schema_name NOT LIKE 'pg_temp%' AND r.schema_name <> 'borealis') THEN
      persistent := true;
    END IF;
    IF r.object_type = 'table' AND r.command_tag IN ('CREATE TABLE', 'ALTER TABLE', 'CREATE TABLE AS', 'SELECT INTO') THEN
      PERFORM borealis.ensure_replica_identity(r.objid);
      -- A primary under a write lease (docs/promotion.md) fences new tables too.
      IF EXISTS (SELECT 1 FROM borealis.lease) THEN
        PERFORM borealis.ensure_lease_trigger(r.objid);
      END IF;
    END IF;
  END LOOP;
  PERFORM set_config('borealis.in_ddl_trigger', 'off', true);
  IF any_command AND NOT persistent THEN
    RETURN;
  END IF;
  INSERT INTO borealis.ddl_log (search_path, query, command_tags)
  VALUES (current_setting('search_path'), current_query(), ARRAY[tg_tag]);
END
$fn$;

-- A DROP of temporary or borealis objects only is not replicated.
CREATE OR REPLACE FUNCTION borealis.log_drop() RETURNS event_trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  IF current_setting('borealis.in_ddl_trigger', true) = 'on' THEN
    RETURN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_event_trigger_dropped_objects()
                 WHERE original AND NOT is_temporary AND coalesce(schema_name, '') <> 'borealis') THEN
    PERFORM set_config('borealis.skip_drop', 'on', true);
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
export const LOCAL_TABLES = new Set([
  'borealis.apply_position',
  'borealis.lost_transactions',
  'borealis.agent_state',
  'borealis.lease',
]);

/** The heartbeat upsert: commits the beat time and every sequence's position (DESIGN §3 Sequences). */
export const HEARTBEAT_SQL = `
INSERT INTO borealis.heartbeat (region, epoch, beat_at, sequences)
VALUES ($1, $2, clock_timestamp(),
        (SELECT coalesce(jsonb_object_agg(format('%I.%I', schemaname, sequencename), last_value), '{}'::jsonb)
           FROM pg_sequences WHERE last_value IS NOT NULL AND schemaname <> 'borealis'))
ON CONFLICT (region) DO UPDATE
  SET epoch = excluded.epoch, beat_at = excluded.beat_at, sequences = excluded.sequences`;
