/**
 * Helpers for the SDK tests: code directories on disk, packaged and cached the way
 * `hotswap.Function` does it in a program, and checked provider inputs for a test platform.
 */
import assert from "node:assert/strict";
import { mkdtemp, mkdir, rm, writeFile, chmod } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { buildCodePackage, cacheCodePackage, type CodeSource } from "../../../infra/sdk/code-package.ts";
import { functionProvider } from "../../../infra/sdk/function-provider.ts";
import { aliasProvider } from "../../../infra/sdk/alias-provider.ts";
import type { FunctionInputs } from "../../../infra/sdk/function-inputs.ts";
import type { AliasInputs } from "../../../infra/sdk/alias-inputs.ts";

export const FIXTURES = new URL("../../fixtures/functions/", import.meta.url).pathname;

/** A well-formed key that no platform knows, for tests that never reach an API. */
export const FAKE_KEY = "hs_test1234_abcdefghijklmnopqrstuvwxyzABCDEF0123";

const dirs: string[] = [];

/** Writes files (path → content; a leading "+x " marks an executable) into a fresh temp directory. */
export async function codeDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "hs-sdk-code-"));
  dirs.push(dir);
  for (const [path, content] of Object.entries(files)) {
    const p = join(dir, path);
    await mkdir(dirname(p), { recursive: true });
    const executable = content.startsWith("+x ");
    await writeFile(p, executable ? content.slice(3) : content);
    await chmod(p, executable ? 0o755 : 0o644);
  }
  return dir;
}

export async function removeCodeDirs(): Promise<void> {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

/** A Node handler that answers with a marker, so a test can tell versions apart. */
export function nodeHandler(marker: string): Record<string, string> {
  return {
    "index.js": `exports.handler = async (event) => ({ marker: ${JSON.stringify(marker)}, echo: event, memory: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? null });\n`,
    "package.json": '{ "type": "commonjs" }\n',
  };
}

/** Packages code as the Function resource does in the program: zip, hash, write to the cache. */
export async function packageCode(code: CodeSource): Promise<{ sha256: string; size: number }> {
  const pkg = await buildCodePackage(code);
  await cacheCodePackage(pkg);
  return { sha256: pkg.sha256, size: pkg.size };
}

export interface Conn {
  url: string;
  key: string;
}

/** Checked Function inputs, asserting that check accepted them. */
export async function functionInputs(p: Conn, name: string, code: CodeSource, overrides: Record<string, unknown> = {}): Promise<FunctionInputs> {
  const pkg = await packageCode(code);
  const result = await functionProvider.check!({}, {
    endpoint: p.url,
    apiKey: p.key,
    name,
    runtime: "nodejs20",
    handler: "index.handler",
    codeSha256: pkg.sha256,
    codeSize: pkg.size,
    ...overrides,
  });
  assert.deepEqual(result.failures, []);
  return result.inputs as FunctionInputs;
}

/** Checked Alias inputs, asserting that check accepted them. */
export async function aliasInputs(p: Conn, functionName: string, name: string, version: number, overrides: Record<string, unknown> = {}): Promise<AliasInputs> {
  const result = await aliasProvider.check!({}, { endpoint: p.url, apiKey: p.key, functionName, name, version, ...overrides });
  assert.deepEqual(result.failures, []);
  return result.inputs as AliasInputs;
}

/** Replaces `pulumi.log.info`/`warn` while `fn` runs and returns what was logged. */
export async function captureLogs<T>(fn: () => Promise<T>): Promise<{ result?: T; error?: Error; lines: string[] }> {
  const pulumi = await import("@pulumi/pulumi");
  const log = pulumi.log as unknown as Record<"info" | "warn", (msg: string) => Promise<void>>;
  const saved = { info: log.info, warn: log.warn };
  const lines: string[] = [];
  log.info = async (msg: string) => void lines.push(msg);
  log.warn = async (msg: string) => void lines.push(`warn: ${msg}`);
  try {
    return { result: await fn(), lines };
  } catch (e) {
    return { error: e as Error, lines };
  } finally {
    log.info = saved.info;
    log.warn = saved.warn;
  }
}
