/** The process backend's sandbox: a uid, a temp dir and a cgroup per instance (see sandbox.ts). */
export { Sandbox, InstanceSandbox, cgroupMemoryBytes, type SandboxOptions, type SandboxUser, type SandboxLog } from "./sandbox.ts";
export { parseUidRange, type UidRange } from "./uid-claims.ts";
