/**
 * Test support: signs requests with the reference signer `@smithy/signature-v4` (the one
 * inside `@aws-sdk/client-lambda`), so `verifySigV4` is checked against AWS's own code
 * rather than against itself.
 */
import { createHash, createHmac, type Hash, type Hmac } from "node:crypto";
import { SignatureV4 } from "@smithy/signature-v4";
import type { SigV4Request } from "../../platform/src/auth/sigv4.ts";

type SourceData = string | ArrayBuffer | ArrayBufferView;

function toBuffer(data: SourceData): Buffer {
  if (typeof data === "string") return Buffer.from(data, "utf8");
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

/** node:crypto sha256 in the shape smithy's signer expects (plain hash, or HMAC when given a key). */
export class NodeSha256 {
  readonly #secret?: SourceData;
  #hash!: Hash | Hmac;
  constructor(secret?: SourceData) {
    this.#secret = secret;
    this.reset();
  }
  update(data: Uint8Array): void {
    this.#hash.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest());
  }
  reset(): void {
    this.#hash = this.#secret === undefined ? createHash("sha256") : createHmac("sha256", toBuffer(this.#secret));
  }
}

/** Same escaping as the SDK's query serializer, so the wire query is what the SDK would send. */
function escapeUri(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export interface SignOptions {
  accessKeyId: string;
  secretAccessKey: string;
  method?: string;
  /** Path as the SDK puts it on the wire (already percent-encoded). */
  path: string;
  query?: Record<string, string | string[]>;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  signingDate?: Date;
  region?: string;
  service?: string;
  /** false: no x-amz-content-sha256 header (the body is hashed by the verifier). @default true */
  applyChecksum?: boolean;
}

/** A signed request as the server would see it, with WHATWG Headers (tests edit and forward them). */
export type SignedRequest = Omit<SigV4Request, "headers" | "query"> & { headers: Headers; query: string };

/** Sign with smithy and return the request as the server would see it. */
export async function signWithSmithy(o: SignOptions): Promise<SignedRequest> {
  const signer = new SignatureV4({
    credentials: { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey },
    region: o.region ?? "us-east-1",
    service: o.service ?? "lambda",
    sha256: NodeSha256,
    applyChecksum: o.applyChecksum ?? true,
  });
  const body = typeof o.body === "string" ? new TextEncoder().encode(o.body) : (o.body ?? new Uint8Array());
  const signed = await signer.sign(
    {
      method: o.method ?? "POST",
      protocol: "http:",
      hostname: "localhost",
      port: 8080,
      path: o.path,
      query: o.query ?? {},
      headers: { host: "localhost:8080", "content-type": "application/json", ...(o.headers ?? {}) },
      body,
    },
    { signingDate: o.signingDate ?? new Date() },
  );
  const query = Object.entries(o.query ?? {})
    .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${escapeUri(k)}=${escapeUri(x)}`))
    .join("&");
  return { method: signed.method, path: o.path, query, headers: new Headers(signed.headers), body };
}
