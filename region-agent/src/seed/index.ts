export { restoreList, seedFromPrimary, SeedError, type SeedOptions } from './seed.js';
