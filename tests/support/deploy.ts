/**
 * The tests' one way to deploy and invoke a function, built on the typed API client (client/):
 * create a function, publish one version per code package (a fixture directory, in-memory files
 * or a zip), optionally point an alias at a version, and invoke it. Every step asserts its answer,
 * so a test reads as the scenario it checks. `invoke` reports the raw answer whatever its status
 * (and a missing answer as status 0), because invocation tests assert on error statuses and headers.
 */
import assert from "node:assert/strict";
import { createApiClient, invokeCall, type ApiClient, type ApiResult, type InvokeOptions } from "../../client/index.ts";
import type { CreateFunctionInput } from "../../protocol/api/functions.ts";
import { zipFiles, zipFixture } from "./zip.ts";

/** A control plane to talk to: a TestPlatform, a fleet ControlPlane, anything with a URL and an admin key. */
export interface ApiTarget {
  url: string;
  key: string;
}

const clients = new WeakMap<ApiTarget, ApiClient>();

/** The validating API client for `target`, authenticated with its admin key (one per target). */
export function apiOf(target: ApiTarget): ApiClient {
  let api = clients.get(target);
  if (!api) {
    api = createApiClient({ baseUrl: target.url, apiKey: target.key, timeoutMs: 60_000 });
    clients.set(target, api);
  }
  return api;
}

/** The value of a successful call; fails the test with the API's code and message otherwise. */
export function expectOk<T>(result: ApiResult<T>, what: string, status?: number): T {
  assert.ok(result.ok, `${what}: ${result.ok ? "" : `${result.error.code} (HTTP ${result.error.status}): ${result.error.message}`}`);
  if (status !== undefined) assert.equal(result.status, status, `${what}: HTTP ${result.status}, expected ${status}`);
  return result.value;
}

/** A code package: a fixture directory name under tests/fixtures/functions, in-memory files, or a zip. */
export type Code = { fixture: string } | { files: Record<string, string | Uint8Array> } | Uint8Array;

function zipOf(code: Code): Uint8Array {
  if (code instanceof Uint8Array) return code;
  if ("fixture" in code) return zipFixture(code.fixture);
  return zipFiles(code.files);
}

/** In-memory CommonJS handler files (`index.js` plus a package.json that makes it CommonJS). */
export function nodeCode(source: string): Code {
  return { files: { "index.js": source, "package.json": '{"type":"commonjs"}' } };
}

export interface DeploySpec extends Partial<CreateFunctionInput> {
  name: string;
  /** Published in order as versions 1..n. */
  code: Code | Code[];
  /** Point this alias at `version` (default: the last version published). */
  alias?: { name: string; version?: number; description?: string; additionalVersionWeights?: Record<string, number> };
}

export interface Deployed {
  name: string;
  /** The versions published, in order. */
  versions: number[];
  /** The last version published. */
  version: number;
}

/** Create the function (runtime nodejs20, handler index.handler unless given), publish its code, and set the alias. */
export async function deployFunction(target: ApiTarget, spec: DeploySpec): Promise<Deployed> {
  const { code, alias, ...settings } = spec;
  const api = apiOf(target);
  expectOk(await api.functions.create({ runtime: "nodejs20", handler: "index.handler", ...settings }), `creating function ${spec.name}`, 201);
  const versions: number[] = [];
  for (const c of Array.isArray(code) ? code : [code]) versions.push(await publishCode(target, spec.name, c));
  const version = versions[versions.length - 1]!;
  if (alias) {
    const body = {
      version: alias.version ?? version,
      ...(alias.description !== undefined ? { description: alias.description } : {}),
      ...(alias.additionalVersionWeights !== undefined ? { routingConfig: { additionalVersionWeights: alias.additionalVersionWeights } } : {}),
    };
    expectOk(await api.aliases.put(spec.name, alias.name, body), `creating alias ${spec.name}:${alias.name}`, 201);
  }
  return { name: spec.name, versions, version };
}

/** Publish a code package as the function's next version (sent as application/zip); its number. */
export async function publishCode(target: ApiTarget, name: string, code: Code): Promise<number> {
  return expectOk(await apiOf(target).versions.publish(name, zipOf(code)), `publishing a version of ${name}`, 201).version;
}

/** An invocation's answer as the test sees it; status 0 and `fetchError` when no answer came. */
export interface InvokeAnswer {
  status: number;
  /** The answer parsed as JSON (undefined when it is not JSON). */
  json: any;
  text: string;
  headers: Headers;
  fetchError?: string;
}

/** POST /api/v1/functions/{name}/invoke with `event` as JSON; never throws. */
export async function invokeFunction(target: ApiTarget, name: string, event: unknown = {}, opts: InvokeOptions = {}): Promise<InvokeAnswer> {
  const sent = await apiOf(target).transport.send(invokeCall(name, event, opts), opts);
  if (!sent.ok) return { status: 0, json: undefined, text: "", headers: new Headers(), fetchError: sent.error.message };
  const { status, json, text, headers } = sent.answer;
  return { status, json, text, headers };
}
