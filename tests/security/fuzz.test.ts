/**
 * A bounded fuzz of every endpoint (issue 14, build item 10): for each route in /openapi.json and
 * the Lambda-compatible invoke, a fixed number of mutated requests from a seeded PRNG (odd and
 * percent-encoded path parameters, huge and odd query values, odd headers including non-ASCII
 * bytes sent on raw sockets, malformed JSON and zip bodies, wrong content types). Every answer
 * must be below 500 unless it is a function's own error from an invoke, every error must be the
 * API's error document (Lambda's on the Lambda path), and the server must still answer /health.
 * Set FUZZ_SEED to replay a run; the seed is in every failure message.
 */
import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, describe, test } from "node:test";
import { startPlatform, type TestPlatform } from "../support/platform.ts";
import { zipFiles } from "../support/zip.ts";

const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed14);
const PER_ROUTE = 20;
const FUNCTION = "fz";
const LAMBDA_ROUTE = { method: "post", path: "/2015-03-31/functions/{FunctionName}/invocations", query: ["Qualifier"] };

/** mulberry32: small, fast, and the same sequence for the same seed on every machine. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PARAM_VALUES = [
  FUNCTION, "live", "1", "%25E0%A4%A", "%", "%ZZ", "%E0%A4%A", "a".repeat(300), "%2e%2e", "..", "%2F", "%00",
  encodeURIComponent("東京"), "2147483648", "99999999999999999999", "0", "-1", "1e3", "0x10", "x%20y", "%C0%AF",
  "$LATEST", "fz%3A1", "fz%3A2147483648", "arn%3Aaws%3Alambda%3Aus-east-1%3A1%3Afunction%3Afz", "%25",
];
const QUERY_VALUES = ["", "x".repeat(10_000), "%", "%ZZ", encodeURIComponent("東京"), "-1", "2147483648", "99999999999999999999", "$LATEST", "live", "true", "[]", "%00"];
const CONTENT_TYPES = [undefined, "application/json", "application/zip", "application/octet-stream", "text/plain", "multipart/form-data; boundary=x", "application/json; charset=ebcdic", "application/x-www-form-urlencoded", "東京"];
const ZIP = zipFiles({ "index.js": "exports.handler = async (e) => e;", "package.json": '{"type":"commonjs"}' });

function bodies(): Array<string | Buffer> {
  return [
    "",
    "{",
    "[[[",
    "null",
    "[]",
    '"text"',
    "{}",
    '{"name":123,"runtime":[],"version":"x","handler":null}',
    '{"version":2147483648}',
    '{"version":1.5,"routingConfig":{"additionalVersionWeights":{"99999999999":2}}}',
    '{"functionName":"fz","version":-1,"strategy":"Nope"}',
    '{"code":"not base64!!"}',
    '{"code":"UEsDBAo="}',
    "[".repeat(5000) + "]".repeat(5000),
    '{"a":' + "1".repeat(400) + "}",
    Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0x80]),
    ZIP.subarray(0, Math.floor(ZIP.length / 2)),
    Buffer.concat([Buffer.from("PK\x03\x04"), Buffer.alloc(64, 0xff)]),
    ZIP,
    JSON.stringify({ name: `fz${"x".repeat(100)}`, runtime: "nodejs20", handler: "index.handler" }),
  ];
}

const ODD_HEADERS: Array<[string, Buffer]> = [
  ["x-amz-client-context", Buffer.from("e30=")],
  ["x-amz-client-context", Buffer.from(Buffer.from('{"custom":{"city":"東京"}}').toString("base64"))],
  ["x-amz-client-context", Buffer.from("東京", "utf8")],
  ["x-request-id", Buffer.from([0xe6, 0x9d, 0xb1, 0x80, 0xff])],
  ["x-amz-invocation-type", Buffer.from("Event")],
  ["x-amz-invocation-type", Buffer.from([0xc3, 0xa9])],
  ["traceparent", Buffer.from("00-" + "z".repeat(32) + "-" + "0".repeat(16) + "-01")],
  ["x-api-key", Buffer.from([0xff, 0xfe])],
  ["if-match", Buffer.from("\xe9\xe9", "latin1")],
];

interface Route {
  method: string;
  path: string;
  query: string[];
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** One HTTP/1.1 request on a raw socket, so header values can hold any byte. */
function send(port: number, method: string, target: string, headers: Array<[string, Buffer]>, body: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const head = Buffer.concat([
      Buffer.from(`${method.toUpperCase()} ${target} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\ncontent-length: ${body.length}\r\n`),
      ...headers.map(([k, v]) => Buffer.concat([Buffer.from(`${k}: `), v, Buffer.from("\r\n")])),
      Buffer.from("\r\n"),
    ]);
    const chunks: Buffer[] = [];
    const s = connect(port, "127.0.0.1", () => s.write(Buffer.concat([head, body])));
    s.setTimeout(20_000, () => s.destroy(new Error(`no answer to ${method} ${target.slice(0, 200)} in 20 s`)));
    s.on("data", (c) => chunks.push(c));
    s.on("error", reject);
    s.on("close", () => {
      const raw = Buffer.concat(chunks).toString("latin1");
      const m = /^HTTP\/1\.1 (\d{3})/.exec(raw);
      if (!m) return reject(new Error(`no HTTP answer to ${method} ${target.slice(0, 200)}: ${JSON.stringify(raw.slice(0, 200))}`));
      const end = raw.indexOf("\r\n\r\n");
      const headers: Record<string, string> = {};
      for (const line of raw.slice(0, end).split("\r\n").slice(1)) {
        const i = line.indexOf(":");
        headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      let text = Buffer.from(raw.slice(end + 4), "latin1").toString("utf8");
      if (/chunked/i.test(headers["transfer-encoding"] ?? "")) text = unchunk(text);
      resolve({ status: Number(m[1]), headers, body: text });
    });
  });
}

function unchunk(text: string): string {
  let out = "";
  let rest = text;
  for (;;) {
    const nl = rest.indexOf("\r\n");
    if (nl < 0) return out;
    const size = parseInt(rest.slice(0, nl), 16);
    if (!size) return out;
    out += rest.slice(nl + 2, nl + 2 + size);
    rest = rest.slice(nl + 2 + size + 2);
  }
}

function pick<T>(rand: () => number, list: readonly T[]): T {
  return list[Math.floor(rand() * list.length)]!;
}

/** A mutated request for `route`: what to send, and a label that replays it. */
function mutate(rand: () => number, route: Route, key: string) {
  const path = route.path.replace(/\{([^}]+)\}/g, () => {
    const v = pick(rand, PARAM_VALUES);
    // Deleting the function the fuzz invokes would only make later requests 404s.
    return route.method === "delete" && v === FUNCTION ? "gone" : v;
  });
  const query: string[] = [];
  for (const q of route.query) if (rand() < 0.5) query.push(`${q}=${pick(rand, QUERY_VALUES)}`);
  if (rand() < 0.2) query.push(`${pick(rand, ["x", "%", encodeURIComponent("東京"), "limit"])}=${pick(rand, QUERY_VALUES)}`);
  const target = path + (query.length ? `?${query.join("&")}` : "");
  const headers: Array<[string, Buffer]> = [];
  if (rand() < 0.9) headers.push(["authorization", Buffer.from(`Bearer ${key}`)]);
  else if (rand() < 0.5) headers.push(["authorization", Buffer.from("Bearer \xff\xfe", "latin1")]);
  const type = pick(rand, CONTENT_TYPES);
  if (type !== undefined) headers.push(["content-type", Buffer.from(type, "utf8")]);
  const n = Math.floor(rand() * 3);
  for (let i = 0; i < n; i++) headers.push(pick(rand, ODD_HEADERS));
  const chosen = pick(rand, bodies());
  const body = route.method === "get" && rand() < 0.7 ? Buffer.alloc(0) : Buffer.isBuffer(chosen) ? chosen : Buffer.from(chosen, "utf8");
  return { target, headers, body };
}

function isInvoke(route: Route): boolean {
  return route.path.endsWith("/invoke") || route === LAMBDA_ROUTE;
}

function checkAnswer(route: Route, a: Answer, label: string): void {
  const lambda = route === LAMBDA_ROUTE;
  const functionError = lambda ? a.headers["x-amz-function-error"] : a.headers["x-hotswap-function-error"];
  if (isInvoke(route) && functionError) return; // the function's own answer, not the API's
  assert.ok(a.status < 500, `${label}: ${a.status} ${a.body.slice(0, 300)}`);
  if (a.status < 400) return;
  let doc: any;
  try {
    doc = JSON.parse(a.body);
  } catch {
    assert.fail(`${label}: the ${a.status} answer is not JSON: ${a.body.slice(0, 300)}`);
  }
  if (lambda) {
    assert.equal(typeof doc?.message, "string", `${label}: Lambda error shape: ${a.body.slice(0, 300)}`);
    assert.ok(a.headers["x-amzn-errortype"], `${label}: x-amzn-ErrorType`);
  } else {
    assert.equal(typeof doc?.error?.code, "string", `${label}: error shape: ${a.body.slice(0, 300)}`);
    assert.equal(typeof doc?.error?.message, "string", `${label}: error shape: ${a.body.slice(0, 300)}`);
  }
}

describe(`bounded fuzz of every endpoint (FUZZ_SEED=${SEED})`, { timeout: 55_000 }, () => {
  let p: TestPlatform;
  let port: number;
  const routes: Route[] = [];
  before(async () => {
    p = await startPlatform("embedded");
    port = Number(new URL(p.url).port);
    const created = await p.api("POST", "/api/v1/functions", { name: FUNCTION, runtime: "nodejs20", handler: "index.handler", timeout: 5 });
    assert.equal(created.status, 201, created.text);
    const v = await p.api("POST", `/api/v1/functions/${FUNCTION}/versions`, ZIP, { "content-type": "application/zip" });
    assert.equal(v.status, 201, v.text);
    assert.equal((await p.api("PUT", `/api/v1/functions/${FUNCTION}/aliases/live`, { version: 1 })).status, 201);
    const spec = await p.api("GET", "/openapi.json");
    assert.equal(spec.status, 200, spec.text);
    for (const [path, ops] of Object.entries(spec.json.paths as Record<string, Record<string, { parameters?: Array<{ in: string; name: string }> }>>)) {
      for (const [method, op] of Object.entries(ops)) {
        const query = (op.parameters ?? []).filter((x) => x.in === "query").map((x) => x.name);
        routes.push({ method, path, query });
      }
    }
    routes.push(LAMBDA_ROUTE);
  });
  after(async () => {
    await p?.close();
  });

  test("every route answers mutated requests without an undocumented 5xx, in its error shape", async () => {
    assert.ok(routes.length > 10, `only ${routes.length} routes in /openapi.json`);
    const started = Date.now();
    for (const [i, route] of routes.entries()) {
      const rand = prng(SEED + i);
      for (let n = 0; n < PER_ROUTE; n++) {
        const { target, headers, body } = mutate(rand, route, p.key);
        const label = `FUZZ_SEED=${SEED} route ${route.method.toUpperCase()} ${route.path} #${n} → ${route.method.toUpperCase()} ${target.slice(0, 160)} [${headers.map(([k]) => k).join(",")}] body ${body.length} B`;
        const answer = await send(port, route.method, target, headers, body);
        checkAnswer(route, answer, label);
      }
    }
    const health = await fetch(`${p.url}/health`);
    assert.equal(health.status, 200);
    assert.ok(Date.now() - started < 45_000, `the fuzz took ${Date.now() - started} ms`);
  });
});
