/**
 * S3CodeStore: the contract suite against a real S3-protocol server (s3rver, or TEST_S3_ENDPOINT),
 * plus bucket creation and a fast, credential-free failure when S3 is down.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { startS3Server, type S3TestServer } from "../../tests/support/services.ts";
import { runCodeStoreContract } from "./code-store.contract.ts";
import { createCodeStore } from "./index.ts";
import { S3CodeStore } from "./s3-code-store.ts";

function rawClient(s3: S3TestServer): S3Client {
  return new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
}

runCodeStoreContract("s3", async () => {
  const s3 = await startS3Server();
  const store = new S3CodeStore({ ...s3 });
  await store.init();
  const raw = rawClient(s3);
  return {
    store,
    corrupt: async (sha256, bytes) => {
      await raw.send(new PutObjectCommand({ Bucket: s3.bucket, Key: `code/${sha256.slice(0, 2)}/${sha256}.zip`, Body: bytes }));
    },
    plantForeign: async () => {
      await raw.send(new PutObjectCommand({ Bucket: s3.bucket, Key: `other/${"ab".repeat(32)}.zip`, Body: "outside the prefix" }));
      await raw.send(new PutObjectCommand({ Bucket: s3.bucket, Key: `code/ab/notes.txt`, Body: "not code" }));
    },
    cleanup: async () => {
      raw.destroy();
      await store.close();
      await s3.close();
    },
  };
});

describe("S3CodeStore", () => {
  let s3: S3TestServer;
  before(async () => {
    s3 = await startS3Server();
  });
  after(async () => {
    await s3?.close();
  });

  it("createCodeStore creates the bucket when it is missing, and stores under code/<sha[0:2]>/<sha>.zip", async () => {
    const bucket = `hs-new-${randomBytes(4).toString("hex")}`;
    const store = await createCodeStore({ kind: "s3", endpoint: s3.endpoint, bucket, region: s3.region, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey });
    try {
      assert.equal(store.kind, "s3");
      await store.ping();
      const stored = await store.put(randomBytes(64));
      assert.equal(stored.location, `s3://${bucket}/code/${stored.sha256.slice(0, 2)}/${stored.sha256}.zip`);
      assert.equal(await store.has(stored.sha256), true);
      // init again on an existing bucket is fine
      await (store as S3CodeStore).init();
    } finally {
      await store.close();
    }
  });

  it("ping rejects within 3 s with a message naming S3 and the endpoint, and no credentials, when nothing listens", async () => {
    const port = await unusedPort();
    const endpoint = `http://127.0.0.1:${port}`;
    const secret = "sEcReT-never-printed";
    const store = new S3CodeStore({ endpoint, bucket: "b", region: "us-east-1", accessKeyId: "AKIA-visible-id", secretAccessKey: secret });
    const started = Date.now();
    try {
      await assert.rejects(store.ping(), (e: Error) => {
        assert.match(e.message, /S3/);
        assert.ok(e.message.includes(endpoint), e.message);
        assert.ok(!e.message.includes(secret), e.message);
        assert.ok(!e.message.includes("AKIA-visible-id"), e.message);
        return true;
      });
      assert.ok(Date.now() - started < 3500, `ping took ${Date.now() - started} ms`);
    } finally {
      await store.close();
    }
  });

  it("ping gives up after its timeout when the server accepts but never answers", async () => {
    const sockets = new Set<net.Socket>();
    const server = net.createServer((sock) => sockets.add(sock)); // accepts connections, never replies
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as net.AddressInfo;
    const store = new S3CodeStore({ endpoint: `http://127.0.0.1:${port}`, bucket: "b", region: "us-east-1", accessKeyId: "x", secretAccessKey: "y", pingTimeoutMs: 1000 });
    const started = Date.now();
    try {
      await assert.rejects(store.ping(), /S3 code store at http:\/\/127\.0\.0\.1:\d+.*timed out/);
      assert.ok(Date.now() - started < 2500, `ping took ${Date.now() - started} ms`);
    } finally {
      await store.close();
      for (const sock of sockets) sock.destroy();
      await new Promise((r) => server.close(r));
    }
  });

  it("keeps the credentials of an endpoint URL out of messages", async () => {
    const port = await unusedPort();
    const store = new S3CodeStore({ endpoint: `http://user:pa55word@127.0.0.1:${port}`, bucket: "b", region: "us-east-1", accessKeyId: "x", secretAccessKey: "y" });
    try {
      await assert.rejects(store.ping(), (e: Error) => {
        assert.ok(!e.message.includes("pa55word"), e.message);
        assert.ok(e.message.includes(`http://127.0.0.1:${port}`), e.message);
        return true;
      });
    } finally {
      await store.close();
    }
  });
});

function unusedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}
