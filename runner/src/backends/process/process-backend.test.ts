/**
 * The process backend: the shared backend contract, plus what only child processes have
 * (interpreter discovery, environment scrubbing, heap flags, log lines, process groups, no orphans).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { chmodSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FunctionLogRecord } from "../../../../protocol/function-logs.ts";
import { BackendUnavailableError, InitError, type Instance } from "../backend.ts";
import { fixtureDir, fixtureSpec, runBackendContract } from "../backend.contract.ts";
import { nodeHeapMb, ProcessBackend } from "./process-backend.ts";
import type { ProcessInstance } from "./process-instance.ts";
import { discoverRuntime } from "./runtime-discovery.ts";
import { waitFor } from "../../../../tests/support/wait-for.ts";
import { javaMissing } from "../../../../tests/support/java-function.ts";

runBackendContract("process", async () => new ProcessBackend());

const IS_CI = process.env.CI === "true" || process.env.CI === "1";

/** Pids of every process in a process group (scanning /proc). */
function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) === pgid && fields[0] !== "Z") out.push(Number(name));
    } catch {
      // exited while we looked
    }
  }
  return out;
}

/**
 * Members of a process group once SIGKILL has been delivered: none, after the kernel's moment to
 * reap them; the wait fails naming those still there after 2 s.
 */
function survivors(pgid: number): Promise<number[]> {
  return waitFor(`process group ${pgid} to be empty`, () => groupMembers(pgid), { until: (left) => left.length === 0, timeoutMs: 2000 });
}

async function invokeJson(inst: Instance, event: unknown): Promise<any> {
  const r = await inst.invoke({ requestId: `r-${Math.random()}`, payload: Buffer.from(JSON.stringify(event)), deadlineMs: Date.now() + 3000 });
  assert.equal(r.kind, "success", JSON.stringify(r));
  return JSON.parse((r as { payload: Buffer }).payload.toString());
}

describe("process backend specifics", () => {
  let dir: string;
  const logs: FunctionLogRecord[] = [];
  let backend: ProcessBackend;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "hs-process-backend-"));
    backend = new ProcessBackend({ logOutput: { sink: { write: (records) => logs.push(...records) } }, initTimeoutMs: 3000 });
  });
  after(async () => {
    await backend.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** A code directory holding a `bootstrap` script. */
  async function customRuntime(name: string, script: string, mode = 0o755): Promise<string> {
    const d = join(dir, name);
    await rm(d, { recursive: true, force: true });
    await import("node:fs/promises").then((fs) => fs.mkdir(d));
    await writeFile(join(d, "bootstrap"), script);
    await chmod(join(d, "bootstrap"), mode);
    return d;
  }

  test("gives the child only the base, Lambda and function variables", async () => {
    process.env.DATABASE_URL = "postgres://secret@db/prod";
    try {
      const inst = await backend.start({ runtime: "nodejs20", protocol: "fast", memorySize: 128, spec: fixtureSpec("node-env", "nodejs20"), codeDir: fixtureDir("node-env") });
      const env = await invokeJson(inst, {});
      const allowed = new Set([
        ...["PATH", "LANG", "TZ", "HOME", "AWS_REGION", "AWS_DEFAULT_REGION", "LAMBDA_TASK_ROOT", "_HANDLER", "FOO", "HOTSWAP_CONCURRENCY"],
        ...["AWS_EXECUTION_ENV", "LAMBDA_RUNTIME_DIR"],
      ]);
      const unexpected = Object.keys(env).filter((k) => !allowed.has(k) && !k.startsWith("AWS_LAMBDA_"));
      assert.deepEqual(unexpected, []);
      assert.equal(env.DATABASE_URL, undefined);
      assert.equal(env.LANG, "C.UTF-8");
      assert.equal(env.TZ, "UTC");
      assert.equal(env.HOME, "/tmp");
      assert.equal(env.LAMBDA_TASK_ROOT, fixtureDir("node-env"));
      assert.equal(env.AWS_EXECUTION_ENV, "AWS_Lambda_nodejs20.x");
      assert.match(env.LAMBDA_RUNTIME_DIR, /runtimes\/node$/, "the directory of the Node bootstrap");
      await inst.stop();
    } finally {
      delete process.env.DATABASE_URL;
    }
  });

  test("starts node with a V8 heap limit derived from memorySize", async () => {
    const spec = fixtureSpec("node-runtime-info", "nodejs20", { memorySize: 256 });
    const inst = await backend.start({ runtime: "nodejs20", protocol: "fast", memorySize: 256, spec, codeDir: fixtureDir("node-runtime-info") });
    const info = await invokeJson(inst, {});
    assert.ok(info.execArgv.includes(`--max-old-space-size=${nodeHeapMb(256)}`), JSON.stringify(info.execArgv));
    assert.ok(info.heapLimitMb < 256, `heap limit ${info.heapLimitMb} MB leaves headroom under 256 MB`);
    assert.equal(info.cwd, fixtureDir("node-runtime-info"));
    await inst.stop();
  });

  test("sends each stdout and stderr line of the function to its log output, without the request tag", async () => {
    const inst = await backend.start({ runtime: "nodejs20", protocol: "fast", memorySize: 128, spec: fixtureSpec("node-logs", "nodejs20"), codeDir: fixtureDir("node-logs") });
    await invokeJson(inst, { tag: "t1" });
    await inst.stop();
    const mine = logs.filter((r) => r.instanceId === inst.id).map((r) => `${r.stream}:${r.message}`);
    assert.deepEqual(mine, ["stdout:log line one", "stdout:log line two", "stdout:log line three", "stderr:error line for t1"]);
  });

  test("close() leaves no process behind, including a custom runtime's curl", async () => {
    const own = new ProcessBackend();
    const instances = [
      await own.start({ runtime: "nodejs20", protocol: "fast", memorySize: 128 }),
      await own.start({ runtime: "nodejs20", protocol: "runtime-api", memorySize: 128, spec: fixtureSpec("node-cjs", "nodejs20", { protocol: "runtime-api" }), codeDir: fixtureDir("node-cjs") }),
      await own.start({ runtime: "python3.11", protocol: "fast", memorySize: 128 }),
      await own.start({ runtime: "provided", protocol: "runtime-api", memorySize: 128, spec: fixtureSpec("provided-bash", "provided"), codeDir: fixtureDir("provided-bash") }),
    ] as ProcessInstance[];
    const groups = instances.map((i) => i.pgid);
    const bash = groupMembers(instances[3].pgid);
    assert.ok(bash.length >= 2, "bash and its curl (parked on /next) share the instance's process group");
    await own.close();
    for (const g of groups) assert.deepEqual(await survivors(g), [], `process group ${g} is empty`);
    await assert.rejects(own.start({ runtime: "nodejs20", protocol: "fast", memorySize: 128 }), BackendUnavailableError);
  });

  test("stop() kills an instance that ignores SIGTERM once the grace period is over", async () => {
    const code = await customRuntime(
      "ignores-term",
      `#!/bin/bash\ntrap '' TERM\ncurl -s "http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/invocation/next" >/dev/null\nwhile true; do sleep 0.05; done\n`,
    );
    const inst = (await backend.start({ runtime: "provided", protocol: "runtime-api", memorySize: 128, spec: fixtureSpec("ignores-term", "provided"), codeDir: code })) as ProcessInstance;
    const t0 = Date.now();
    await inst.stop(300);
    assert.ok(Date.now() - t0 >= 250, "it waited for the grace period");
    const exit = await inst.exited;
    assert.equal(exit.reason, "stopped");
    assert.equal(exit.signal, "SIGKILL");
    assert.deepEqual(await survivors(inst.pgid), []);
  });

  test("a bootstrap that exits before asking for work is an InitError quoting its stderr", async () => {
    const code = await customRuntime("exits-early", `#!/bin/sh\necho "error while loading shared libraries: libfoo.so" >&2\nexit 2\n`);
    await assert.rejects(backend.start({ runtime: "provided", protocol: "runtime-api", memorySize: 128, spec: fixtureSpec("exits-early", "provided"), codeDir: code }), (e: unknown) => {
      assert.ok(e instanceof InitError);
      assert.equal(e.errorType, "Runtime.ExitError");
      assert.match(e.message, /exit code 2/);
      assert.match(e.message, /libfoo\.so/);
      return true;
    });
  });

  test("a bootstrap that never becomes ready is killed at the init timeout", async () => {
    const quick = new ProcessBackend({ initTimeoutMs: 300 });
    const code = await customRuntime("never-ready", "#!/bin/sh\nexec sleep 30\n");
    await assert.rejects(quick.start({ runtime: "provided", protocol: "runtime-api", memorySize: 128, spec: fixtureSpec("never-ready", "provided"), codeDir: code }), (e: unknown) => {
      assert.ok(e instanceof InitError);
      assert.equal(e.errorType, "Runtime.InitTimeout");
      return true;
    });
    assert.equal(quick.liveInstances.length, 0);
    await quick.close();
  });

  test("a bootstrap without the executable bit is an InitError saying to chmod it", async () => {
    const code = await customRuntime("not-executable", "#!/bin/sh\nexit 0\n", 0o644);
    await assert.rejects(backend.start({ runtime: "provided", protocol: "runtime-api", memorySize: 128, spec: fixtureSpec("x", "provided"), codeDir: code }), /chmod 755 bootstrap/);
  });

  test("the provided runtime's /init/error becomes an InitError with its type and message", async () => {
    const code = await customRuntime(
      "init-error",
      `#!/bin/sh\ncurl -s -X POST -H "Lambda-Runtime-Function-Error-Type: Runtime.NoSuchHandler" -d '{"errorMessage":"handler not found: foo","errorType":"Runtime.NoSuchHandler"}' "http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/init/error"\nexit 1\n`,
    );
    await assert.rejects(backend.start({ runtime: "provided", protocol: "runtime-api", memorySize: 128, spec: fixtureSpec("x", "provided"), codeDir: code }), (e: unknown) => {
      assert.ok(e instanceof InitError);
      assert.equal(e.errorType, "Runtime.NoSuchHandler");
      assert.equal(e.message, "handler not found: foo");
      return true;
    });
  });

  test("start() rejects with BackendUnavailableError naming what to install for a missing runtime", { skip: process.version.startsWith("v22.") }, async () => {
    const bare = new ProcessBackend({ searchPath: "", interpreters: {} });
    await assert.rejects(bare.start({ runtime: "nodejs22", protocol: "fast", memorySize: 128 }), (e: unknown) => {
      assert.ok(e instanceof BackendUnavailableError);
      assert.equal(e.code, "RuntimeUnavailable");
      assert.match(e.message, /install Node\.js 22/);
      return true;
    });
    await bare.close();
  });
});

describe("runtime discovery", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "hs-discovery-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test("skips a candidate that does not run (a broken shim) and uses the next one", async () => {
    const shim = join(dir, "python3.11");
    await writeFile(shim, "#!/bin/sh\necho 'pyenv: python3.11: command not found' >&2\nexit 127\n");
    await chmod(shim, 0o755);
    const r = await discoverRuntime("python3.11", { searchPath: dir });
    if (!r.available) return; // no real python3.11 on this host either: nothing more to check
    assert.notEqual(r.using, shim);
    assert.match(r.version ?? "", /^3\.11\./);
  });

  test("rejects an interpreter of the wrong version and says which versions it found", async () => {
    const r = await discoverRuntime("nodejs22", { searchPath: "", interpreters: { nodejs22: process.execPath } });
    if (process.version.startsWith("v22.")) return assert.equal(r.available, true);
    assert.equal(r.available, false);
    assert.ok(r.reason?.includes(`is ${process.version}`), r.reason);
  });

  test("ruby3.1: skips a ruby of another version and finds Debian's ruby, asking each for its real path and version", async () => {
    const other = join(dir, "ruby");
    await writeFile(other, "#!/bin/sh\nprintf '/opt/ruby27/bin/ruby\\n2.7.8\\n'\n");
    await chmod(other, 0o755);
    const r = await discoverRuntime("ruby3.1", { searchPath: dir });
    if (!r.available) {
      assert.ok(!IS_CI, `CI=true requires ruby3.1: ${r.reason}`);
      assert.match(r.reason ?? "", new RegExp(`${other} is 2\\.7\\.8`));
      return assert.match(r.reason ?? "", /apt-get install ruby/);
    }
    assert.notEqual(r.using, "/opt/ruby27/bin/ruby");
    assert.match(r.version ?? "", /^3\.1\./);
    const configured = await discoverRuntime("ruby3.1", { searchPath: "", interpreters: { "ruby3.1": other } });
    assert.equal(configured.using, r.using, "a configured ruby of the wrong version is passed over too");
  });

  test("java17: skips a java that does not run, finds a Java 17 and compiles the bootstrap into an empty cache", { skip: javaMissing() }, async () => {
    const broken = join(dir, "java");
    await writeFile(broken, "#!/bin/sh\nexit 1\n");
    await chmod(broken, 0o755);
    const cache = join(dir, "java-cache");
    const r = await discoverRuntime("java17", { searchPath: `${dir}:${process.env.PATH}`, javaCacheDir: cache });
    assert.equal(r.available, true, r.reason);
    assert.notEqual(r.using, broken);
    assert.match(r.version ?? "", /^17\./);
    assert.ok(r.interpreter?.classpath?.startsWith(`${cache}/`), r.interpreter?.classpath);
    assert.ok(readdirSync(join(r.interpreter!.classpath!, "com", "amazonaws", "services", "lambda", "runtime")).includes("RequestHandler.class"));
  });

  test("java17: the bootstrap cache is readable by sandbox users even when made under umask 077 (as `hotswap server` runs)", { skip: javaMissing() }, async () => {
    const cache = join(dir, "java-cache-umask");
    const old = process.umask(0o077);
    try {
      const r = await discoverRuntime("java17", { javaCacheDir: cache });
      assert.equal(r.available, true, r.reason);
      assert.equal(statSync(cache).mode & 0o777, 0o755);
      // A cache left 700 by an older runner is opened when it is reused.
      chmodSync(cache, 0o700);
      const again = await discoverRuntime("java17", { javaCacheDir: cache });
      assert.equal(again.interpreter?.classpath, r.interpreter?.classpath);
      assert.equal(statSync(cache).mode & 0o777, 0o755);
    } finally {
      process.umask(old);
    }
  });

  test("resolves the node that runs the runner for its own major version", async () => {
    const id = `nodejs${process.versions.node.split(".")[0]}` as "nodejs20";
    const r = await discoverRuntime(id, { searchPath: "" });
    assert.equal(r.available, true);
    assert.equal(r.version, process.version);
  });
});
