/**
 * The HTTP gateway's own listener (HOTSWAP_GATEWAY_PORT): Http trigger routes at their bare paths,
 * on the control plane's host, apart from the API so a public API backend need not expose /api.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { answerClientErrors } from "../api/client-error.ts";
import { createListener, type TlsPair } from "../tls/tls-listener.ts";

/** Listen on host:port with the gateway handler (which takes every request). */
export function listenGateway(handler: (req: IncomingMessage, res: ServerResponse) => boolean, host: string, port: number, tls?: TlsPair): Promise<Server> {
  const server = createListener(tls, (req, res) => void handler(req, res));
  answerClientErrors(server);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(server));
  });
}
