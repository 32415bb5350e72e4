export { Apply, ApplyError, RetentionGapError, DivergedError, type ApplyOptions } from './apply.js';
export { readPosition, WRITE_POSITION_SQL, type ApplyPosition } from './position.js';
export { buildStatements, quoteIdent, qualified, type Statement } from './sql.js';
export { DelayWindow } from './delay-window.js';
