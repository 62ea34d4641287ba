/**
 * A runner process for the crash test: opens the sandbox as runner `argv[2]`, starts one instance
 * of the hostile function from code dir `argv[3]` (over `argv[4]`: fast or runtime-api), has it
 * start a detached sleeper, prints `{ instancePid, sleeperPid, cgroupPids }` and waits to be killed.
 */
import { ProcessBackend } from "../../../runner/src/backends/process/index.ts";
import { Sandbox, parseUidRange } from "../../../runner/src/sandbox/index.ts";
import { functionSpec } from "../../support/function-spec.ts";

const [runnerId, codeDir, protocol] = process.argv.slice(2) as [string, string, "fast" | "runtime-api"];
const sandbox = await Sandbox.open({ mode: "auto", uidRange: parseUidRange("200000-265535"), pidsMax: 256, runnerId });
const backend = new ProcessBackend({ sandbox });
const spec = functionSpec({ functionName: "hostile", protocol, timeout: 30 });
const instance = await backend.start({ runtime: "nodejs20", protocol, memorySize: 128, spec, codeDir });
const r = await instance.invoke({ requestId: "r1", payload: Buffer.from(JSON.stringify({ action: "sleeper" })), deadlineMs: Date.now() + 10_000 });
if (r.kind !== "success") throw new Error(JSON.stringify(r));
const { pid: sleeperPid } = JSON.parse(r.payload.toString()) as { pid: number };
const inst = backend.liveInstances[0]!;
process.stdout.write(`${JSON.stringify({ instancePid: inst.pid, sleeperPid, cgroupPids: inst.cgroupPids() })}\n`);
setInterval(() => {}, 1000);
