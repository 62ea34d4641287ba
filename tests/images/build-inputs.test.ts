/**
 * The pure parts of scripts/images: which Debian mirror debootstrap uses, which base images a
 * runtime selection needs, and when a content hash changes. No Docker needed.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile, chmod } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parseDeb822Format, parseListFormat, pickMirror } from "../../scripts/images/apt-sources.ts";
import { baseClosure } from "../../scripts/images/base-images.ts";
import { hashTree } from "../../scripts/images/content-hash.ts";

describe("apt sources", () => {
  it("picks the mirror serving bookworm main from a deb822 file, not the security pocket", () => {
    const text = [
      "Types: deb",
      "# http://snapshot.debian.org/archive/debian/20250520T000000Z",
      "URIs: http://deb.debian.org/debian",
      "Suites: bookworm bookworm-updates",
      "Components: main",
      "",
      "Types: deb",
      "URIs: http://deb.debian.org/debian-security",
      "Suites: bookworm-security",
      "Components: main",
    ].join("\n");
    assert.equal(pickMirror(parseDeb822Format(text), "bookworm"), "http://deb.debian.org/debian");
  });

  it("skips disabled deb822 stanzas and deb-src entries", () => {
    const text = "Types: deb-src\nURIs: http://a/debian\nSuites: bookworm\nComponents: main\n\nTypes: deb\nEnabled: no\nURIs: http://b/debian\nSuites: bookworm\nComponents: main\n";
    assert.equal(pickMirror(parseDeb822Format(text), "bookworm"), undefined);
  });

  it("reads one-line entries with options and ignores other suites and schemes", () => {
    const text = [
      "deb cdrom:[Debian]/ bookworm main",
      "deb [arch=amd64 signed-by=/k.gpg] https://mirror.example/debian/ bookworm main contrib # comment",
      "deb https://packages.example/apt cloud-sdk-bookworm main",
    ].join("\n");
    const sources = parseListFormat(text);
    assert.equal(sources.length, 3);
    assert.equal(pickMirror(sources, "bookworm"), "https://mirror.example/debian");
  });
});

describe("base image selection", () => {
  it("builds base-debian before the images layered on it, and nothing unasked", () => {
    assert.deepEqual(baseClosure(["node22"]), ["debian", "node22"]);
    assert.deepEqual(baseClosure(["python3.11"]), ["python3.11"]);
    assert.deepEqual(baseClosure(["python3.12", "node20", "debian"]), ["debian", "node20", "python3.12"]);
  });
});

describe("content hash of a build context", () => {
  it("changes when a file's content or executable bit changes, not when nothing does", async () => {
    const dir = await mkdtemp(join(tmpdir(), "hs-hash-"));
    try {
      await writeFile(join(dir, "Dockerfile"), "FROM x\n");
      await writeFile(join(dir, "bootstrap.mjs"), "console.log(1)\n");
      const first = await hashTree(dir);
      assert.equal(await hashTree(dir), first);
      await chmod(join(dir, "bootstrap.mjs"), 0o755);
      const executable = await hashTree(dir);
      assert.notEqual(executable, first);
      await writeFile(join(dir, "bootstrap.mjs"), "console.log(2)\n");
      assert.notEqual(await hashTree(dir), executable);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
