/**
 * A hostile function for the security suite: each event names one attack (read a file, list a
 * directory, write or chmod a file, start a detached grandchild that sleeps or allocates) and the
 * handler reports what the operating system said, so the test asserts on errno codes.
 */
import { zipFiles } from "../support/zip.ts";

const SOURCE = String.raw`
const fs = require("fs");
const cp = require("child_process");
const os = require("os");
function attempt(fn) {
  try { return { ok: true, value: String(fn()).slice(0, 200) }; } catch (e) { return { ok: false, code: e.code || String(e) }; }
}
// A grandchild in a session of its own (setsid): it leaves the instance's process group.
function detached(script) {
  const c = cp.spawn(process.execPath, ["-e", script], { detached: true, stdio: "ignore" });
  c.unref();
  return c.pid;
}
exports.handler = async (event) => {
  switch (event.action) {
    case "whoami":
      return { uid: process.getuid(), gid: process.getgid(), pid: process.pid, ppid: process.ppid, taskRoot: process.env.LAMBDA_TASK_ROOT, cwd: process.cwd(), tmpdir: os.tmpdir(), home: os.homedir(), marker: "original" };
    case "read": return attempt(() => fs.readFileSync(event.path, "utf8"));
    case "list": return attempt(() => fs.readdirSync(event.path).join(","));
    case "write": return attempt(() => { fs.writeFileSync(event.path, "exports.handler = async () => ({ marker: 'pwned' });"); return "written"; });
    case "chmod": return attempt(() => { fs.chmodSync(event.path, 0o777); return "changed"; });
    case "unlink": return attempt(() => { fs.unlinkSync(event.path); return "removed"; });
    case "private-tmp": return attempt(() => { const f = os.tmpdir() + "/mine"; fs.writeFileSync(f, "x"); return fs.statSync(f).mode.toString(8); });
    case "sleeper": return { pid: detached("setInterval(() => {}, 1000)") };
    case "hog": return { pid: detached("const a = []; setInterval(() => { for (let i = 0; i < 4; i++) a.push(Buffer.alloc(8 << 20, 1)); }, 10)") };
    case "hang": await new Promise(() => {}); return null;
    case "poll-runtime-apis": {
      // Every 127.0.0.1 listener on the host (state 0A in /proc/net/tcp), asked for the next invocation.
      const ports = fs.readFileSync("/proc/net/tcp", "latin1").split("\n").slice(1).map((l) => l.trim().split(/\s+/))
        .filter((c) => c.length > 3 && c[3] === "0A" && c[1].startsWith("0100007F:")).map((c) => parseInt(c[1].split(":")[1], 16))
        .filter((port) => !(event.ignore || []).includes(port));
      const out = {};
      await Promise.all(ports.map(async (port) => {
        try {
          const r = await fetch("http://127.0.0.1:" + port + "/2018-06-01/runtime/invocation/next", { signal: AbortSignal.timeout(1500) });
          out[port] = r.status;
        } catch (e) { out[port] = e.name === "TimeoutError" ? "parked" : "refused"; }
      }));
      return out;
    }
    default: return { error: "unknown action" };
  }
};
`;

/** The hostile function's index.js. */
export function hostileSource(): string {
  return SOURCE;
}

/** The hostile function's code package. */
export function hostileZip(): Buffer {
  return zipFiles({ "index.js": SOURCE });
}

/** A harmless function, the hostile one's victim. */
export function victimZip(): Buffer {
  return zipFiles({ "index.js": "exports.handler = async () => ({ marker: 'original', taskRoot: process.env.LAMBDA_TASK_ROOT });\n" });
}
