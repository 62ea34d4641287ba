/**
 * A loopback HTTP server a function can wait on: GET /<name> is held until the test releases
 * <name>, and the test can await the request's arrival. It lets a test prove an ordering across
 * processes (the first chunk of a streamed response arrived while the handler was still waiting
 * here) without sleeps.
 */
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface SignalServer {
  /** The URL a function GETs to wait for `name`. */
  url(name: string): string;
  /** Resolves when a function is waiting on `name`. */
  arrived(name: string): Promise<void>;
  /** Answer the function waiting on `name` (now, or as soon as it arrives). */
  release(name: string): void;
  close(): Promise<void>;
}

export async function startSignalServer(host = "127.0.0.1"): Promise<SignalServer> {
  const slots = new Map<string, { res?: ServerResponse; released: boolean; arrived: () => void; arrivedP: Promise<void> }>();
  const slot = (name: string) => {
    let s = slots.get(name);
    if (!s) {
      let arrived!: () => void;
      const arrivedP = new Promise<void>((r) => (arrived = r));
      s = { released: false, arrived, arrivedP };
      slots.set(name, s);
    }
    return s;
  };
  const server = createServer((req, res) => {
    const s = slot((req.url ?? "/").slice(1));
    s.res = res;
    s.arrived();
    if (s.released) res.end("go");
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (name) => `http://${host}:${port}/${name}`,
    arrived: (name) => slot(name).arrivedP,
    release(name) {
      const s = slot(name);
      s.released = true;
      s.res?.end("go");
    },
    async close() {
      for (const s of slots.values()) s.res?.end();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
