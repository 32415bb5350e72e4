export { FaultInjectionError, type FaultInjector, type FaultTarget } from './faults.js';
export {
  DockerApiError,
  DockerClient,
  DEFAULT_DOCKER_SOCKET,
  type ContainerInspect,
  type DockerClientOptions,
} from './docker.js';
export {
  KubeFaultInjector,
  regionNodeName,
  regionPodSelector,
  type DockerApi,
  type KubeFaultInjectorOptions,
} from './kube-faults.js';
export {
  LedgerProber,
  ProberError,
  LEDGER_TABLE,
  type LedgerEntry,
  type LedgerProberOptions,
} from './prober.js';
export { OperatorDrillHarness, type RegionUrlResolver } from './harness.js';
