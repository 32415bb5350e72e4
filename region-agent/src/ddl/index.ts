export { findDdlStatement, splitStatements, statementMatchesTag } from './split.js';
