import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { test } from "node:test";
import { armShutdownDeadline, FORCED_EXIT_CODE, WATCHDOG_MARGIN_MS } from "./shutdown-deadline.ts";

const ROOT = new URL("..", import.meta.url).pathname;

test("forces exit 1 after the grace period and the margin, reporting the close step and what is open", async () => {
  let reported: { step: string; resources: string[] } | undefined;
  const t0 = Date.now(); // before arming: the deadline counts from there
  const exited = new Promise<number>((resolve) => {
    armShutdownDeadline({ graceMs: 20, marginMs: 30, watchdog: false, step: () => "closing the database", report: (o) => (reported = o), exit: resolve });
  });
  const keepOpen = setInterval(() => {}, 1000); // an open handle the report should name
  try {
    assert.equal(await exited, FORCED_EXIT_CODE);
  } finally {
    clearInterval(keepOpen);
  }
  assert.ok(Date.now() - t0 >= 45, "not before grace + margin");
  assert.equal(reported?.step, "closing the database");
  assert.ok(reported!.resources.some((r) => /Timeout/.test(r)), JSON.stringify(reported));
});

test("a close that finishes in time disarms it: nothing is forced", async () => {
  let forced = false;
  const d = armShutdownDeadline({ graceMs: 10, marginMs: 10, watchdog: false, step: () => "x", report: () => {}, exit: () => (forced = true) });
  d.disarm();
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(forced, false);
});

test("the watchdog kills a process whose main thread never yields again (where even a second SIGTERM does nothing)", { timeout: 30_000 }, async () => {
  const code = `
    import { armShutdownDeadline } from "./cli/shutdown-deadline.ts";
    armShutdownDeadline({ graceMs: 100, marginMs: 100, step: () => "spinning", report: () => {} });
    setTimeout(() => { process.stdout.write("spinning\\n"); for (;;) {} }, 50);
  `;
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  const t0 = Date.now();
  const ended = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("exit", (c, s) => resolve({ code: c, signal: s })));
  const ms = Date.now() - t0;
  assert.equal(ended.signal, "SIGKILL", out);
  assert.match(out, /spinning/);
  assert.match(out, /main thread is not responding; killing the process/);
  assert.ok(ms < 200 + WATCHDOG_MARGIN_MS + 15_000, `took ${ms} ms`);
});
