/**
 * Code store adapter on the S3 protocol (MinIO in deployments, s3rver in tests, AWS S3):
 * objects at `<prefix><sha[0:2]>/<sha>.zip`. Content addressing makes puts idempotent (the same
 * key, the same bytes). Errors name S3 and the endpoint, never credentials.
 */
import { createHash } from "node:crypto";
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import type { CodeObject, CodeStore, StoredCode } from "./code-store.ts";
import { checkSha256, CodeCorruptError, objectName, sha256Hex } from "./code-integrity.ts";

export interface S3CodeStoreOptions {
  /** S3 endpoint URL. @example "http://minio:9000" */
  endpoint: string;
  bucket: string;
  /** @default "us-east-1" when empty */
  region: string;
  /** Static credentials; when absent the AWS default provider chain is used (env, IRSA, instance role). */
  accessKeyId?: string;
  secretAccessKey?: string;
  /** Key prefix for code objects. @default "code/" */
  prefix?: string;
  /** Bound on the whole ping(), retries included. @default 3000 */
  pingTimeoutMs?: number;
}

const CONNECTION_TIMEOUT_MS = 2_000;
/** Idle socket bound; a 50 MB upload keeps the socket busy, so this only catches stalls. */
const SOCKET_TIMEOUT_MS = 30_000;
const REQUEST_TIMEOUT_MS = 300_000;
const MAX_ATTEMPTS = 3;
/** A code object's key below the prefix: `<sha[0:2]>/<sha>.zip`. */
const OBJECT_KEY = /^[0-9a-f]{2}\/([0-9a-f]{64})\.zip$/;

export class S3CodeStore implements CodeStore {
  readonly kind = "s3" as const;
  readonly bucket: string;
  readonly prefix: string;
  /** The endpoint without any user:password part, for messages. */
  readonly endpoint: string;
  private readonly client: S3Client;
  private readonly pingTimeoutMs: number;
  private readonly region: string;

  constructor(opts: S3CodeStoreOptions) {
    this.bucket = opts.bucket;
    this.prefix = opts.prefix ?? "code/";
    this.endpoint = redactEndpoint(opts.endpoint);
    this.pingTimeoutMs = opts.pingTimeoutMs ?? 3_000;
    this.region = opts.region || "us-east-1";
    this.client = new S3Client({
      endpoint: opts.endpoint,
      region: this.region,
      forcePathStyle: true,
      // MinIO and s3rver do not all understand the SDK's newer default checksums.
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
      maxAttempts: MAX_ATTEMPTS,
      requestHandler: {
        connectionTimeout: CONNECTION_TIMEOUT_MS,
        socketTimeout: SOCKET_TIMEOUT_MS,
        requestTimeout: REQUEST_TIMEOUT_MS,
        throwOnRequestTimeout: true,
      },
      ...(opts.accessKeyId && opts.secretAccessKey
        ? { credentials: { accessKeyId: opts.accessKeyId, secretAccessKey: opts.secretAccessKey } }
        : {}),
    });
  }

  /** Create the bucket when it does not exist. Idempotent; call once at start-up. */
  async init(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
      return;
    } catch (e) {
      if (!isNotFound(e)) throw this.failure("checking the bucket", e);
    }
    try {
      await this.client.send(
        new CreateBucketCommand({
          Bucket: this.bucket,
          // AWS wants the region spelled out everywhere but us-east-1; MinIO and s3rver ignore it.
          ...(this.region !== "us-east-1" ? { CreateBucketConfiguration: { LocationConstraint: this.region as never } } : {}),
        }),
      );
    } catch (e) {
      const name = (e as { name?: string }).name;
      if (name !== "BucketAlreadyOwnedByYou" && name !== "BucketAlreadyExists") throw this.failure("creating the bucket", e);
    }
  }

  async put(data: Buffer): Promise<StoredCode> {
    const sha256 = sha256Hex(data);
    const key = this.key(sha256);
    const stored = { sha256, size: data.length, location: this.location(key) };
    // Uploaded again even when the object exists: that is what refreshes its LastModified, which the
    // collector's grace period counts from (a self-copy would too on AWS and MinIO, but not on every
    // S3 server), and it also repairs a damaged copy. Publishing identical bytes is rare enough.
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: data,
          ContentType: "application/zip",
          // Integrity in transit: the server rejects the upload if the bytes it got differ.
          ContentMD5: createHash("md5").update(data).digest("base64"),
          Metadata: { sha256 },
        }),
      );
    } catch (e) {
      throw this.failure(`uploading ${key}`, e);
    }
    return stored;
  }

  async get(sha256: string): Promise<Buffer | null> {
    const sha = checkSha256(sha256);
    const key = this.key(sha);
    let data: Buffer;
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (!res.Body) throw new Error("empty response body");
      const bytes = await res.Body.transformToByteArray();
      data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    } catch (e) {
      if (isNotFound(e)) return null;
      throw this.failure(`downloading ${key}`, e);
    }
    const actual = sha256Hex(data);
    if (actual !== sha) throw new CodeCorruptError(sha, actual, this.location(key));
    return data;
  }

  async has(sha256: string): Promise<boolean> {
    const key = this.key(checkSha256(sha256));
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (e) {
      if (isNotFound(e)) return false;
      throw this.failure(`checking ${key}`, e);
    }
  }

  async stat(sha256: string): Promise<CodeObject | null> {
    const sha = checkSha256(sha256);
    const key = this.key(sha);
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { sha256: sha, size: head.ContentLength ?? 0, modifiedAt: head.LastModified ?? new Date(0) };
    } catch (e) {
      if (isNotFound(e)) return null;
      throw this.failure(`checking ${key}`, e);
    }
  }

  async *list(): AsyncIterable<CodeObject> {
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix, ContinuationToken: token }));
      } catch (e) {
        throw this.failure(`listing ${this.prefix}`, e);
      }
      for (const o of page.Contents ?? []) {
        const sha = o.Key ? OBJECT_KEY.exec(o.Key.slice(this.prefix.length))?.[1] : undefined;
        if (sha) yield { sha256: sha, size: o.Size ?? 0, modifiedAt: o.LastModified ?? new Date(0) };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async delete(sha256: string): Promise<void> {
    const key = this.key(checkSha256(sha256));
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (e) {
      if (!isNotFound(e)) throw this.failure(`deleting ${key}`, e);
    }
  }

  /** HeadBucket, bounded by pingTimeoutMs including retries. */
  async ping(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }), { abortSignal: AbortSignal.timeout(this.pingTimeoutMs) });
    } catch (e) {
      throw this.failure("reaching the bucket", e);
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  private key(sha256: string): string {
    return `${this.prefix}${objectName(sha256)}`;
  }

  private location(key: string): string {
    return `s3://${this.bucket}/${key}`;
  }

  /** An Error naming S3, the endpoint, the bucket and what failed; the SDK error is kept as `cause`. */
  private failure(doing: string, e: unknown): Error {
    const err = e as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    const status = err.$metadata?.httpStatusCode ? ` (HTTP ${err.$metadata.httpStatusCode})` : "";
    const reason = err.name === "TimeoutError" || err.name === "AbortError" ? "timed out" : `${err.name ?? "Error"}: ${err.message || "no message"}`;
    return new Error(`S3 code store at ${this.endpoint}, bucket "${this.bucket}": ${doing} failed${status}: ${reason}`, { cause: e });
  }
}

/** A missing object (or, for HeadBucket, a missing bucket). A missing bucket on an object call is a real error. */
function isNotFound(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  if (err.name === "NoSuchBucket") return false;
  return err.name === "NotFound" || err.name === "NoSuchKey" || err.$metadata?.httpStatusCode === 404;
}

function redactEndpoint(endpoint: string): string {
  try {
    const u = new URL(endpoint);
    u.username = "";
    u.password = "";
    return u.toString().replace(/\/$/, "");
  } catch {
    return "(invalid endpoint URL)";
  }
}
