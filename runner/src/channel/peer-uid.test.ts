/** peerUid: the uid owning the client end of a loopback connection, from the kernel's socket tables. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { findSocketOwner, peerUid } from "./peer-uid.ts";

const TABLE = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1001 1 0000000000000000 100 0 0 10 0
   1: 0100007F:C350 0100007F:1F90 01 00000000:00000000 00:00000000 00000000 200007        0 1002 1 0000000000000000 20 4 30 10 -1
   2: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 1003 1 0000000000000000 20 4 30 10 -1
`;

test("finds the owner of the client socket (local = client port, remote = server port), not the server's", () => {
  assert.equal(findSocketOwner(TABLE, 0xc350, 0x1f90), 200007);
  assert.equal(findSocketOwner(TABLE, 0x1f90, 0xc350), 0, "the reverse direction is the server's own socket");
  assert.equal(findSocketOwner(TABLE, 0xc351, 0x1f90), undefined);
});

test("a real loopback connection is attributed to the uid of the process that opened it", { skip: process.getuid?.() !== 0 && "needs root to connect as another uid" }, async () => {
  const seen: Array<number | undefined> = [];
  const server = http.createServer((req, res) => {
    seen.push(peerUid(req.socket.remotePort!, req.socket.localPort!));
    res.end("ok");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  try {
    await fetch(`http://127.0.0.1:${port}/`).then((r) => r.text());
    const child = spawn(process.execPath, ["-e", `fetch("http://127.0.0.1:${port}/").then(r => r.text()).then(() => process.exit(0), () => process.exit(1))`], { uid: 65534, gid: 65534, stdio: "ignore" });
    assert.equal(await new Promise((r) => child.on("exit", r)), 0);
    assert.deepEqual(seen, [0, 65534]);
  } finally {
    server.close();
  }
});
