/**
 * HTTPS for the control plane's listeners (the API port and the gateway port): the certificate and
 * key come from PEM files (HOTSWAP_TLS_CERT, HOTSWAP_TLS_KEY) and are read again on SIGHUP, when
 * every listener switches to the new pair for new connections (server.setSecureContext), so a
 * renewed certificate takes effect without a restart and without dropping a connection. A pair that
 * does not load (unreadable, mismatched) is refused at start and, on reload, logged while the old one
 * stays in use.
 */
import { readFile } from "node:fs/promises";
import { createServer as createHttpServer, type RequestListener, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { createSecureContext } from "node:tls";

export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

export interface TlsPair {
  cert: Buffer;
  key: Buffer;
}

/** Read and check the pair; the error names the file or says the two do not belong together. */
export async function readTlsPair(files: TlsFiles): Promise<TlsPair> {
  const read = (path: string, what: string) =>
    readFile(path).catch((e: NodeJS.ErrnoException) => {
      throw new Error(`${what} (${path}) cannot be read: ${e.code ?? e.message}`);
    });
  const [cert, key] = await Promise.all([read(files.certFile, "HOTSWAP_TLS_CERT"), read(files.keyFile, "HOTSWAP_TLS_KEY")]);
  try {
    createSecureContext({ cert, key });
  } catch (e) {
    throw new Error(`HOTSWAP_TLS_CERT and HOTSWAP_TLS_KEY do not load as a PEM certificate and its private key: ${(e as Error).message}`);
  }
  return { cert, key };
}

/** An HTTP server, or an HTTPS one serving `tls` (node's https.Server is an http.Server with TLS). */
export function createListener(tls: TlsPair | undefined, handler: RequestListener): Server {
  return tls ? (createHttpsServer({ cert: tls.cert, key: tls.key }, handler) as unknown as Server) : createHttpServer(handler);
}

/** Reloads the pair into every registered listener on SIGHUP, until stopped. */
export class CertificateReloader {
  private readonly servers: Server[] = [];
  private readonly onSignal = () => void this.reload();

  constructor(
    private readonly files: TlsFiles,
    private readonly log: { info(obj: object, msg: string): void; error(obj: object, msg: string): void },
  ) {}

  add(server: Server): void {
    this.servers.push(server);
  }

  start(): void {
    process.on("SIGHUP", this.onSignal);
  }

  stop(): void {
    process.off("SIGHUP", this.onSignal);
  }

  /** Read the files again and serve the new pair to new connections; false (logged) when it does not load. */
  async reload(): Promise<boolean> {
    let pair: TlsPair;
    try {
      pair = await readTlsPair(this.files);
    } catch (e) {
      this.log.error({ err: e }, "TLS certificate reload failed; still serving the previous certificate");
      return false;
    }
    for (const s of this.servers) (s as unknown as { setSecureContext(o: TlsPair): void }).setSecureContext(pair);
    this.log.info({ cert: this.files.certFile }, "TLS certificate reloaded");
    return true;
  }
}
