export { RegionAgent } from './agent.js';
