export { BOOTSTRAP_SQL, HEARTBEAT_SQL, LOCAL_TABLES } from './bootstrap-sql.js';
export { APPLICATION_NAME, SESSION_OPTIONS } from './session.js';
export { bootstrapDatabase, waitForPostgres } from './bootstrap.js';
