export { Heartbeat } from './heartbeat.js';
