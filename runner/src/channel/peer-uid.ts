/**
 * Who is on the other end of a loopback TCP connection: the uid that owns the client's socket,
 * read from the kernel's socket tables (/proc/net/tcp and tcp6). Node exposes no SO_PEERCRED, and
 * a custom runtime only knows `host:port` (AWS_LAMBDA_RUNTIME_API), so this is how a Runtime API
 * server answers only its own instance when every sandboxed instance runs as a uid of its own,
 * with unmodified clients (curl, AWS's runtime interface clients, lambda_runtime).
 */
import { readFileSync } from "node:fs";

const TABLES = ["/proc/net/tcp", "/proc/net/tcp6"];

/** The hex port as the kernel's tables print it (`1F90`). */
function hexPort(port: number): string {
  return port.toString(16).toUpperCase().padStart(4, "0");
}

/**
 * The uid owning the socket whose local port is `clientPort` and remote port `serverPort`, found
 * in the text of a /proc/net/tcp table; undefined when no such socket is listed.
 */
export function findSocketOwner(table: string, clientPort: number, serverPort: number): number | undefined {
  const local = `:${hexPort(clientPort)}`;
  const remote = `:${hexPort(serverPort)}`;
  for (const line of table.split("\n")) {
    // "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode"
    const cols = line.trim().split(/\s+/);
    if (cols.length < 8 || !cols[1]!.endsWith(local) || !cols[2]!.endsWith(remote)) continue;
    const uid = Number(cols[7]);
    if (Number.isInteger(uid)) return uid;
  }
  return undefined;
}

/** The uid owning the client end of a loopback connection; undefined when the tables do not say. */
export function peerUid(clientPort: number, serverPort: number, tables: readonly string[] = TABLES): number | undefined {
  for (const path of tables) {
    let text: string;
    try {
      text = readFileSync(path, "latin1");
    } catch {
      continue;
    }
    const uid = findSocketOwner(text, clientPort, serverPort);
    if (uid !== undefined) return uid;
  }
  return undefined;
}
