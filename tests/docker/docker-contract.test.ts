/**
 * The docker backend against the ExecutionBackend contract, unchanged: the same behaviour, errors
 * and Runtime API as the process backend, with every instance in a container built offline.
 * Needs Docker and the runtime images (see tests/docker/support.ts); skips with the reason
 * otherwise, and fails under CI=true.
 */
import { runBackendContract } from "../../runner/src/backends/backend.contract.ts";
import { dockerSkipReason, testBackend } from "./support.ts";

await dockerSkipReason();
runBackendContract("docker", async () => testBackend("contract"));
