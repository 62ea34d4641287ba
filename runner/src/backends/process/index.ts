/** The process execution backend: instances as child processes on this host. */
export { ProcessBackend, nodeHeapMb, type ProcessBackendOptions } from "./process-backend.ts";
export { ProcessInstance } from "./process-instance.ts";
export { discoverRuntime, discoverRuntimes, type DiscoveryOptions, type Interpreter } from "./runtime-discovery.ts";
export type { FunctionLogOutput } from "../../logs/instance-log.ts";
