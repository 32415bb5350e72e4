export { seedFromPrimary, SeedError, type SeedOptions } from './seed.js';
