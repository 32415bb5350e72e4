export { FaultInjectionError, type FaultInjector, type FaultTarget } from './faults.js';
