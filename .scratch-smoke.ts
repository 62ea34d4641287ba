import { DockerBackend } from "./runner/src/backends/docker/index.ts";
import { fixtureDir, fixtureSpec } from "./runner/src/backends/backend.contract.ts";
const b = new DockerBackend({ runnerId: "smoke-" + process.pid, network: "host", onLog: (i, s, l) => console.log(`[${i} ${s}] ${l}`) });
const t = () => performance.now();
try {
  let t0 = t();
  await b.open(); console.log("open", (t() - t0).toFixed(0));
  console.log(await b.runtimes());
  for (const [fx, rt] of [["node-cjs", "nodejs20"], ["python-echo", "python3.12"]] as const) {
    t0 = t();
    const spec = fixtureSpec(fx, rt);
    const inst = await b.start({ runtime: rt, protocol: "fast", memorySize: 128, spec, codeDir: fixtureDir(fx) });
    console.log("fresh start", rt, (t() - t0).toFixed(0));
    t0 = t();
    const r = await inst.invoke({ requestId: "r1", payload: Buffer.from('{"a":1}'), deadlineMs: Date.now() + 3000 });
    console.log("invoke", (t() - t0).toFixed(1), r.kind, r.kind !== "platform-error" ? r.payload.toString().slice(0, 200) : r);
    t0 = t(); await inst.stop(); console.log("stop", (t() - t0).toFixed(0), await inst.exited);
  }
  t0 = t();
  const stem = await b.start({ runtime: "nodejs20", protocol: "fast", memorySize: 128 });
  console.log("stem start", (t() - t0).toFixed(0));
  t0 = t();
  await stem.specialise(fixtureSpec("node-cjs", "nodejs20"), fixtureDir("node-cjs"));
  console.log("specialise", (t() - t0).toFixed(1));
  const r = await stem.invoke({ requestId: "r2", payload: Buffer.from('{"b":2}'), deadlineMs: Date.now() + 3000 });
  console.log(r.kind, r.kind !== "platform-error" ? r.payload.toString().slice(0, 100) : r);
  t0 = t();
  const api = await b.start({ runtime: "provided", protocol: "runtime-api", memorySize: 128, spec: fixtureSpec("provided-bash", "provided"), codeDir: fixtureDir("provided-bash") });
  console.log("provided start", (t() - t0).toFixed(0));
  const r3 = await api.invoke({ requestId: "r3", payload: Buffer.from('{"c":3}'), deadlineMs: Date.now() + 3000 });
  console.log(r3.kind, r3.kind !== "platform-error" ? r3.payload.toString().slice(0, 100) : r3);
} catch (e) { console.error("ERR", e); }
finally { const t0 = t(); await b.close(); console.log("close", (t() - t0).toFixed(0)); }
