export { restoreList, seedFromPrimary, SeedError, type SeedOptions } from './seed.js';
export { recreateDatabase } from './reset.js';
