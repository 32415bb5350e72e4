export { ddlStatements, splitStatements } from './split.js';
