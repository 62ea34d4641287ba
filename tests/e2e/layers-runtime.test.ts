/**
 * End-to-end: functions running with layers, on the process backend (sandboxed when run as root)
 * and on the Docker backend. A Node function requiring modules only its layers provide, a Python
 * function importing from `python/` and `python/lib/python3.x/site-packages`, a layer's binary on
 * PATH, later layers overriding earlier ones file by file, layers read-only, and each version
 * running exactly the layers it was published with. Stems are on for nodejs20, so a version with
 * layers must not be served by one (a stem's NODE_PATH was fixed before it knew its layers).
 */
import assert from "node:assert/strict";
import { after, before, describe } from "node:test";
import { zipSync, strToU8, type Zippable } from "fflate";
import { it, startPlatform, type TestPlatform } from "../support/platform.ts";
import { apiOf, expectOk, invokeFunction, nodeCode, publishCode } from "../support/deploy.ts";
import { zipFiles } from "../support/zip.ts";
import { dockerSkipReason, testRunnerId } from "../docker/support.ts";

/** A zip whose entries keep unix modes (an executable stays executable). */
function zipWithModes(files: Record<string, [string, number]>): Buffer {
  const z: Zippable = {};
  for (const [name, [text, mode]] of Object.entries(files)) z[name] = [strToU8(text), { os: 3, attrs: ((0o100000 | mode) << 16) >>> 0 }];
  return Buffer.from(zipSync(z));
}

const LAYERS: Record<string, { zip: Buffer; runtimes?: string[] }> = {
  greet: { zip: zipFiles({ "nodejs/node_modules/greet/index.js": "module.exports = (n) => `hello ${n} from a layer`;" }), runtimes: ["nodejs20"] },
  "which-a": { zip: zipFiles({ "nodejs/node_modules/which/index.js": "module.exports = 'a';", "nodejs/node_modules/only-a/index.js": "module.exports = 'only a';" }) },
  "which-b": { zip: zipFiles({ "nodejs/node_modules/which/index.js": "module.exports = 'b';" }) },
  tool: { zip: zipWithModes({ "bin/layer-tool": ["#!/bin/sh\necho tool-ok\n", 0o755] }) },
  pylib: {
    zip: zipFiles({
      "python/pylayer.py": "def hi():\n    return 'python layer'\n",
      "python/lib/python3.11/site-packages/sitelayer.py": "VALUE = 'site-packages 3.11'\n",
      "python/lib/python3.12/site-packages/sitelayer.py": "VALUE = 'site-packages 3.12'\n",
    }),
    runtimes: ["python3.11", "python3.12"],
  },
};

const NODE_HANDLER = `
const { execFileSync } = require("child_process");
const fs = require("fs");
exports.handler = async () => {
  let write = "written";
  try { fs.writeFileSync(process.env.HOTSWAP_LAYERS_DIR + "/nodejs/planted.js", "x"); } catch (e) { write = e.code; }
  return {
    greet: require("greet")("you"),
    which: require("which"),
    onlyA: require("only-a"),
    tool: execFileSync("layer-tool").toString().trim(),
    layersDir: process.env.HOTSWAP_LAYERS_DIR,
    write,
  };
};`;

const WHICH_HANDLER = `exports.handler = async () => require("which");`;

const PY_HANDLER = `
import subprocess
import pylayer
import sitelayer

def handler(event, context):
    return {"hi": pylayer.hi(), "site": sitelayer.VALUE, "tool": subprocess.check_output(["layer-tool"]).decode().strip()}
`;

function layersSuite(label: string, env: () => Promise<Record<string, string> | string>, expectOpt: (dir: string) => void): void {
  describe(`layers at run time (${label})`, () => {
    let p: TestPlatform | undefined;
    let skip: string | undefined;
    before(async () => {
      const e = await env();
      if (typeof e === "string") skip = e;
      else p = await startPlatform("embedded", { RUNNER_STEMS: "1", RUNNER_STEM_RUNTIMES: "nodejs20", RUNNER_STEM_MEMORY_MB: "256", ...e });
      if (p) {
        const api = apiOf(p);
        for (const [name, l] of Object.entries(LAYERS)) expectOk(await api.layers.publish(name, l.zip, { compatibleRuntimes: l.runtimes }), `publishing layer ${name}`, 201);
      }
    });
    after(async () => {
      await p?.close();
    });
    const platform = (t: { skip(m: string): void }) => {
      if (skip) t.skip(skip);
      return p;
    };

    it("a Node function requires modules only its layers provide, runs a layer's binary from PATH, and cannot write to the layers", async () => {
      const pl = platform({ skip: () => {} });
      if (!pl) return;
      const api = apiOf(pl);
      expectOk(await api.functions.create({ name: "node-layers", runtime: "nodejs20", handler: "index.handler", layers: ["greet:1", "tool:1", "which-a:1", "which-b:1"] }), "create", 201);
      await publishCode(pl, "node-layers", nodeCode(NODE_HANDLER));
      const r = await invokeFunction(pl, "node-layers", {});
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.greet, "hello you from a layer");
      assert.equal(r.json.tool, "tool-ok");
      assert.equal(r.json.which, "b", "the later layer's file wins");
      assert.equal(r.json.onlyA, "only a", "the earlier layer's other files stay");
      assert.notEqual(r.json.write, "written", "layers are read-only");
      assert.match(r.json.write, /^(EROFS|EACCES|EPERM)$/);
      expectOpt(r.json.layersDir);
    });

    it("each version runs exactly the layers it was published with, in their order", async () => {
      const pl = platform({ skip: () => {} });
      if (!pl) return;
      const api = apiOf(pl);
      expectOk(await api.functions.create({ name: "order", runtime: "nodejs20", handler: "index.handler", layers: ["which-b:1", "which-a:1"] }), "create", 201);
      await publishCode(pl, "order", nodeCode(WHICH_HANDLER));
      expectOk(await api.functions.update("order", { layers: ["which-a:1", "which-b:1"] }), "update", 200);
      await publishCode(pl, "order", nodeCode(WHICH_HANDLER));
      expectOk(await api.functions.update("order", { layers: [] }), "update", 200);
      await publishCode(pl, "order", nodeCode(WHICH_HANDLER));
      const v1 = await invokeFunction(pl, "order", {}, { qualifier: "1" });
      assert.equal(v1.status, 200, v1.text);
      assert.equal(v1.json, "a");
      const v2 = await invokeFunction(pl, "order", {}, { qualifier: "2" });
      assert.equal(v2.json, "b");
      const v3 = await invokeFunction(pl, "order", {}, { qualifier: "3" });
      assert.equal(v3.status, 500, v3.text);
      assert.match(v3.text, /Cannot find module 'which'/, "without layers, the module is gone");
    });

    it("a Python function imports from python/ and python/lib/python3.x/site-packages and runs a layer's binary", async () => {
      const pl = platform({ skip: () => {} });
      if (!pl) return;
      const api = apiOf(pl);
      expectOk(await api.functions.create({ name: "py-layers", runtime: "python3.11", handler: "main.handler", layers: ["pylib:1", "tool:1"] }), "create", 201);
      await publishCode(pl, "py-layers", { files: { "main.py": PY_HANDLER } });
      const r = await invokeFunction(pl, "py-layers", {});
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json, { hi: "python layer", site: "site-packages 3.11", tool: "tool-ok" });
    });
  });
}

layersSuite(
  "process backend",
  async () => ({}),
  (dir) => assert.ok(typeof dir === "string" && dir.startsWith("/") && dir !== "/opt", `a per-version layer directory, not /opt: ${dir}`),
);

layersSuite(
  "docker backend",
  async () => (await dockerSkipReason()) ?? { RUNNER_BACKEND: "docker", RUNNER_DOCKER_NETWORK: "host", RUNNER_ID: testRunnerId("layers") },
  (dir) => assert.equal(dir, "/opt"),
);
