/** The console build: a bundle with hashed script and stylesheet named by index.html, and a staleness check that notices a changed source. */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { buildConsole, staleReason } from "./build-console.ts";

describe("build-console", () => {
  const dirs: string[] = [];
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it("builds index.html naming hashed assets, and is current until an input changes", async () => {
    const dist = await mkdtemp(join(tmpdir(), "hs-console-dist-"));
    dirs.push(dist);
    const m = await buildConsole(dist);
    assert.match(m.script, /^assets\/console-[A-Z0-9]+\.js$/);
    assert.match(m.style, /^assets\/styles-[A-Z0-9]+\.css$/);
    const html = await readFile(join(dist, "index.html"), "utf8");
    assert.ok(html.includes(`src="/console/${m.script}"`) && html.includes(`href="/console/${m.style}"`));
    assert.doesNotMatch(html, /<script>|<style>|style=/, "no inline script or style (the CSP forbids them)");
    assert.ok(Object.keys(m.inputs).includes("console/src/main.tsx"));
    assert.ok(Object.keys(m.inputs).some((f) => f.startsWith("client/")), "the console is built on the API client");
    assert.equal(await staleReason(dist), undefined);
    // A manifest whose recorded hash no longer matches a source: stale, naming the file.
    const manifest = JSON.parse(await readFile(join(dist, "manifest.json"), "utf8"));
    manifest.inputs["console/src/main.tsx"] = "0".repeat(64);
    await writeFile(join(dist, "manifest.json"), JSON.stringify(manifest));
    assert.equal(await staleReason(dist), "console/src/main.tsx changed");
    await rm(join(dist, "manifest.json"));
    assert.equal(await staleReason(dist), "no bundle");
  });
});
