/**
 * HTTPS on the control plane: `hotswap server` with HOTSWAP_TLS_CERT/KEY (a certificate made at test
 * time by a test CA) answers the API over HTTPS to a client that trusts the CA, and refuses one that
 * does not; SIGHUP reloads the certificate: new connections get the new one, while a keep-alive
 * connection opened before goes on being served.
 */
import assert from "node:assert/strict";
import { copyFile, mkdtemp, rm } from "node:fs/promises";
import { Agent, request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TLSSocket } from "node:tls";
import { test } from "node:test";
import { generateApiKey } from "../../platform/src/auth/api-key.ts";
import { startServer, stopAll, waitForOutput } from "../support/cli.ts";
import { makeTestCa } from "../support/tls-certs.ts";

function get(url: string, path: string, opts: { ca?: Buffer; agent?: Agent; key?: string }) {
  return new Promise<{ status: number; subject: string; socket: TLSSocket }>((resolve, reject) => {
    const req = request(new URL(path, url), { ca: opts.ca, agent: opts.agent, headers: opts.key ? { authorization: `Bearer ${opts.key}` } : {} }, (res) => {
      const socket = res.socket as TLSSocket;
      const subject = String(socket.getPeerCertificate().subject?.CN);
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode!, subject, socket }));
    });
    req.on("error", reject);
    req.end();
  });
}

test("the control plane serves HTTPS with HOTSWAP_TLS_CERT/KEY and reloads the certificate on SIGHUP without dropping a connection", { timeout: 120_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), "hs-tls-"));
  const servers = [];
  try {
    const ca = makeTestCa(dir);
    const first = ca.issue("first");
    const second = ca.issue("second");
    const certFile = join(dir, "serving.pem");
    const keyFile = join(dir, "serving.key");
    await copyFile(first.certFile, certFile);
    await copyFile(first.keyFile, keyFile);
    const key = generateApiKey().key;
    const server = await startServer({ HOTSWAP_DATA_DIR: join(dir, "data"), HOTSWAP_ADMIN_KEY: key, PORT: "0", HOST: "127.0.0.1", HOTSWAP_TLS_CERT: certFile, HOTSWAP_TLS_KEY: keyFile, LOG_LEVEL: "info" });
    servers.push(server);
    assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);

    const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: ca.ca });
    const before = await get(server.url, "/api/v1/functions", { agent, key });
    assert.equal(before.status, 200);
    assert.equal(before.subject, "first");
    // A client that does not trust the test CA is refused by its own TLS check.
    await assert.rejects(get(server.url, "/health", {}), /self-signed|unable to verify|self signed/i);

    await copyFile(second.certFile, certFile);
    await copyFile(second.keyFile, keyFile);
    server.child.kill("SIGHUP");
    await waitForOutput(server, /TLS certificate reloaded/, 10_000);

    // The keep-alive connection opened before the reload is still served (same socket, old certificate).
    const reused = await get(server.url, "/api/v1/functions", { agent, key });
    assert.equal(reused.status, 200);
    assert.equal(reused.socket, before.socket, "the request went over the connection opened before the reload");
    assert.equal(reused.subject, "first");
    // A new connection gets the new certificate.
    const fresh = await get(server.url, "/health", { ca: ca.ca, agent: new Agent({ ca: ca.ca }) });
    assert.equal(fresh.status, 200);
    assert.equal(fresh.subject, "second");
    agent.destroy();
    assert.equal(server.child.exitCode, null, "SIGHUP did not stop the server");
  } finally {
    await stopAll(servers);
    await rm(dir, { recursive: true, force: true });
  }
});
