/**
 * Security regression tests for the process backend as the embedded default runs it (as root):
 * findings 1 (a function reads the control plane's environment and the data dir), 2 (a function
 * rewrites its own or another function's code; a tampered cached tree is trusted) and 3 (a
 * detached grandchild outlives the timeout; a grandchild allocates past the memory limit).
 * Each attack is made by a real hostile function through the HTTP API and must fail.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startPlatform, type TestPlatform } from "../support/platform.ts";
import { IS_CI } from "../support/services.ts";
import { waitFor } from "../support/wait-for.ts";
import { hostileZip, victimZip } from "./hostile-function.ts";

const isRoot = process.getuid?.() === 0;
if (!isRoot && IS_CI) throw new Error("CI=true: the sandbox suite needs root (the process backend sandboxes only as root)");

/** Ports listening on 127.0.0.1 now (state 0A in /proc/net/tcp). */
function loopbackListeners(): number[] {
  return readFileSync("/proc/net/tcp", "latin1")
    .split("\n")
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((c) => c.length > 3 && c[3] === "0A" && c[1]!.startsWith("0100007F:"))
    .map((c) => parseInt(c[1]!.split(":")[1]!, 16));
}

/** Whether `pid` is a live (non-zombie) process. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

describe("process backend sandbox (root)", { skip: isRoot ? false : "needs root: without it the process backend isolates nothing (and says so)" }, () => {
  let p: TestPlatform;
  let dataDir: string;
  let cacheDir: string;
  let victimSha: string;
  // Built once: a zip records its entries' times, and version 2 must carry the very same bytes.
  const victim = victimZip();

  const deploy = async (name: string, zip: Buffer, settings: Record<string, unknown> = {}) => {
    const created = await p.api("POST", "/api/v1/functions", { name, runtime: "nodejs20", handler: "index.handler", ...settings });
    assert.equal(created.status, 201, created.text);
    const v = await p.api("POST", `/api/v1/functions/${name}/versions`, zip, { "content-type": "application/zip" });
    assert.equal(v.status, 201, v.text);
    return v.json as { version: number; codeSha256: string };
  };
  const invoke = async (name: string, event: unknown) => {
    const r = await p.api("POST", `/api/v1/functions/${name}/invoke`, JSON.stringify(event), { "content-type": "application/json" });
    return r;
  };
  const attack = async (event: Record<string, unknown>) => {
    const r = await invoke("hostile", event);
    assert.equal(r.status, 200, r.text);
    return r.json as { ok: boolean; code?: string; value?: string };
  };

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "hs-sec-data-"));
    // As an older version left it: open to everyone. The server must close it.
    await chmod(dataDir, 0o755);
    cacheDir = join(await mkdtemp(join(tmpdir(), "hs-sec-cache-")), "cache");
    p = await startPlatform("embedded", { HOTSWAP_DATA_DIR: dataDir, RUNNER_CODE_CACHE_DIR: cacheDir });
    await deploy("hostile", hostileZip(), { timeout: 2, memorySize: 128 });
    victimSha = (await deploy("victim", victim)).codeSha256;
    assert.equal((await invoke("victim", {})).status, 200);
  });
  after(async () => {
    await p?.close();
    await rm(dataDir, { recursive: true, force: true });
    await rm(join(cacheDir, ".."), { recursive: true, force: true });
  });

  test("each instance runs as an unprivileged uid of the sandbox range, in a private temp dir outside the data dir", async () => {
    const me = (await invoke("hostile", { action: "whoami" })).json;
    assert.ok(me.uid >= 200000 && me.uid <= 265535, `uid ${me.uid}`);
    assert.equal(me.gid, me.uid);
    assert.ok(!me.tmpdir.startsWith(dataDir) && !me.taskRoot.startsWith(dataDir) && !me.cwd.startsWith(dataDir), JSON.stringify(me));
    assert.equal(me.cwd, me.taskRoot);
    assert.equal(me.home, me.tmpdir);
    const other = (await invoke("victim", {})).json;
    assert.notEqual(other.taskRoot, me.taskRoot);
    const tmp = await attack({ action: "private-tmp" });
    assert.ok(tmp.ok, JSON.stringify(tmp));
    assert.equal((await stat(me.tmpdir)).mode & 0o777, 0o700);
  });

  test("finding 1: the function can read neither the control plane's environment nor the data dir", async () => {
    const environ = await attack({ action: "read", path: `/proc/${process.pid}/environ` });
    assert.deepEqual(environ, { ok: false, code: "EACCES" });
    const me = (await invoke("hostile", { action: "whoami" })).json;
    assert.equal(me.ppid, process.pid, "the instance's parent is the control plane (embedded runner)");
    assert.deepEqual(await attack({ action: "read", path: join(dataDir, "secret.key") }), { ok: false, code: "EACCES" });
    await stat(join(dataDir, "secret.key")); // it exists: the refusal is the sandbox, not a missing file
    assert.deepEqual(await attack({ action: "list", path: dataDir }), { ok: false, code: "EACCES" });
    assert.equal((await stat(dataDir)).mode & 0o777, 0o700, "the server tightened the data dir to 0700");
  });

  test("finding 2: the function can read no other function's code, and write neither its own nor another's", async () => {
    const me = (await invoke("hostile", { action: "whoami" })).json;
    const victimRoot = (await invoke("victim", {})).json.taskRoot as string;
    assert.deepEqual(await attack({ action: "read", path: join(victimRoot, "index.js") }), { ok: false, code: "EACCES" });
    assert.deepEqual(await attack({ action: "list", path: cacheDir }), { ok: false, code: "EACCES" });
    assert.deepEqual(await attack({ action: "read", path: join(cacheDir, victimSha, "index.js") }), { ok: false, code: "EACCES" });
    for (const path of [join(victimRoot, "index.js"), join(cacheDir, victimSha, "index.js"), join(me.taskRoot, "index.js"), join(me.taskRoot, "new.js")]) {
      const w = await attack({ action: "write", path });
      assert.equal(w.ok, false, `wrote ${path}`);
      assert.ok(["EACCES", "EPERM"].includes(w.code!), `${path}: ${w.code}`);
    }
    for (const path of [me.taskRoot, join(me.taskRoot, "index.js")]) {
      assert.deepEqual(await attack({ action: "chmod", path }), { ok: false, code: "EPERM" }, path);
    }
    assert.deepEqual(await attack({ action: "unlink", path: join(me.taskRoot, "index.js") }), { ok: false, code: "EACCES" });
    assert.equal((await invoke("victim", {})).json.marker, "original");
    assert.equal((await invoke("hostile", { action: "whoami" })).json.marker, "original");
  });

  test("finding 2: a cached tree changed behind the runner's back is extracted again for the next version using it", async () => {
    const handler = join(cacheDir, victimSha, "index.js");
    await chmod(join(cacheDir, victimSha), 0o755);
    await chmod(handler, 0o644);
    await writeFile(handler, "exports.handler = async () => ({ marker: 'pwned' });\n");
    await chmod(handler, 0o444);
    await chmod(join(cacheDir, victimSha), 0o555);
    // Version 2 with the same zip (and a new setting, so it gets instances of its own): a cold
    // start from the same cached tree.
    const updated = await p.api("PUT", "/api/v1/functions/victim", { environment: { RELEASE: "2" } });
    assert.equal(updated.status, 200, updated.text);
    const v2 = await p.api("POST", `/api/v1/functions/victim/versions`, victim, { "content-type": "application/zip" });
    assert.equal(v2.status, 201, v2.text);
    assert.equal(v2.json.codeSha256, victimSha);
    const r = await invoke("victim", {});
    assert.equal(r.headers.get("x-hotswap-version"), "2");
    assert.equal(r.headers.get("x-hotswap-cold-start"), "true");
    assert.equal(r.json.marker, "original");
    assert.match(await readFile(handler, "utf8"), /'original'/);
  });

  test("finding 3: a detached grandchild (setsid) dies with its instance when the invocation times out", { timeout: 30_000 }, async () => {
    const { pid } = (await invoke("hostile", { action: "sleeper" })).json as { pid: number };
    assert.ok(alive(pid), "the grandchild runs");
    const r = await invoke("hostile", { action: "hang" });
    assert.equal(r.json.error?.code ?? r.json.errorType, "TimeoutError", r.text);
    await waitFor(`grandchild ${pid} to be gone after the timeout`, () => !alive(pid), { timeoutMs: 5000 });
  });

  test("finding 3: a detached grandchild allocating past the memory limit is stopped", { timeout: 30_000 }, async () => {
    const { pid } = (await invoke("hostile", { action: "hog" })).json as { pid: number };
    let peakKb = 0;
    await waitFor(
      `memory hog ${pid} to be stopped`,
      () => {
        // Anonymous memory is what the hog allocated (and what its cgroup is charged for); VmRSS
        // also counts the node binary's pages, which the runner's group already holds.
        const m = /RssAnon:\s+(\d+)/.exec((() => { try { return readFileSync(`/proc/${pid}/status`, "latin1"); } catch { return ""; } })());
        if (m) peakKb = Math.max(peakKb, Number(m[1]));
        return !alive(pid);
      },
      { timeoutMs: 15_000, intervalMs: 20 },
    );
    // memorySize 128 MB plus the cgroup's margin (64 MB): never the 346 MB of finding 3.
    assert.ok(peakKb < 200 * 1024, `the hog reached ${Math.round(peakKb / 1024)} MB`);
  });
});

describe("finding 4: a Runtime API answers only its own instance (process backend, root)", { skip: isRoot ? false : "needs root" }, () => {
  let p: TestPlatform;
  let dataDir: string;
  // The host's own services (Postgres, RabbitMQ...): not the platform's, and not all speak HTTP.
  let hostListeners: number[] = [];
  before(async () => {
    hostListeners = loopbackListeners();
    dataDir = await mkdtemp(join(tmpdir(), "hs-sec-rtapi-"));
    p = await startPlatform("embedded", { HOTSWAP_DATA_DIR: dataDir });
    for (const [name, zip, protocol] of [["hostile", hostileZip(), "fast"], ["victim", victimZip(), "runtime-api"]] as const) {
      assert.equal((await p.api("POST", "/api/v1/functions", { name, runtime: "nodejs20", handler: "index.handler", timeout: 5, protocol })).status, 201);
      assert.equal((await p.api("POST", `/api/v1/functions/${name}/versions`, zip, { "content-type": "application/zip" })).status, 201);
    }
  });
  after(async () => {
    await p?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  test("another function polling every loopback listener for /next gets 403 from the victim's Runtime API, and the victim keeps working", async () => {
    const first = await p.api("POST", "/api/v1/functions/victim/invoke", "{}", { "content-type": "application/json" });
    assert.equal(first.status, 200, first.text); // the victim's instance is warm: its Runtime API listens, its runtime parked on /next
    const r = await p.api("POST", "/api/v1/functions/hostile/invoke", JSON.stringify({ action: "poll-runtime-apis", ignore: hostListeners }), { "content-type": "application/json" });
    assert.equal(r.status, 200, r.text);
    const statuses = Object.values(r.json as Record<string, number | string>);
    assert.ok(statuses.includes(403), `no Runtime API refused the attacker: ${r.text}`);
    assert.ok(!statuses.includes(200) && !statuses.includes("parked"), `the attacker reached a Runtime API's /next: ${r.text}`);
    const again = await p.api("POST", "/api/v1/functions/victim/invoke", "{}", { "content-type": "application/json" });
    assert.equal(again.status, 200, again.text);
    assert.equal(again.json.marker, "original");
  });
});
