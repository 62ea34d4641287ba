/**
 * The whole backend contract again with the sandbox on (as root): every runtime, protocol, stem,
 * timeout, OOM and crash behaves the same when each instance runs as its own uid, in its own
 * cgroup, from its own view of the code.
 */
import { runBackendContract } from "../backend.contract.ts";
import { Sandbox, parseUidRange } from "../../sandbox/index.ts";
import { ProcessBackend } from "./process-backend.ts";
import { IS_CI } from "../../../../tests/support/services.ts";

if (process.getuid?.() !== 0 && IS_CI) throw new Error("CI=true: the sandboxed contract needs root (the process backend sandboxes only as root)");
if (process.getuid?.() === 0) {
  runBackendContract("process, sandboxed", async () => {
    const sandbox = await Sandbox.open({ mode: "auto", uidRange: parseUidRange("200000-265535"), pidsMax: 1024, runnerId: `contract-${process.pid}` });
    return new ProcessBackend({ sandbox });
  });
}
