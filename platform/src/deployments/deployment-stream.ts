/**
 * One deployment followed live as Server-Sent Events (GET /api/v1/deployments/{id}/events): an
 * `event: deployment` with the whole view at once, then another whenever the view changes (status,
 * weights, events, the current windows' metrics), read every `intervalMs` from whichever replica
 * serves the stream (the orchestrator may run on another); `: heartbeat` comments while nothing
 * changes; and once the deployment has finished, a last view and `event: end`. The stream is
 * pulled: a client that stops reading stops the reads.
 */
import { DEPLOYMENT_END_EVENT, DEPLOYMENT_EVENT } from "../../../protocol/api/deployments.ts";

const encoder = new TextEncoder();
const FINAL = new Set(["Succeeded", "RolledBack", "Failed"]);

export interface DeploymentStreamOptions {
  /** How often the view is read for changes. @default 1000 */
  intervalMs?: number;
  /** Interval of the `: heartbeat` comment that keeps proxies from closing an idle stream. @default 15000 */
  heartbeatMs?: number;
}

/** `read` returns the deployment's current view (DeploymentView as JSON-ready data). */
export function deploymentStream(read: () => Promise<{ status: string }>, opts: DeploymentStreamOptions = {}): ReadableStream<Uint8Array> {
  const intervalMs = opts.intervalMs ?? 1000;
  const heartbeatMs = opts.heartbeatMs ?? 15_000;
  let last = "";
  let lastWrite = Date.now();
  let ended = false;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  const sleep = (ms: number) =>
    new Promise<void>((r) => {
      wake = r;
      timer = setTimeout(r, ms);
    });
  return new ReadableStream<Uint8Array>(
    {
      start: (controller) => controller.enqueue(encoder.encode("retry: 2000\n\n")),
      pull: async (controller) => {
        if (ended) {
          controller.close();
          return;
        }
        for (;;) {
          const view = await read();
          const text = JSON.stringify(view);
          if (text !== last) {
            last = text;
            lastWrite = Date.now();
            let chunk = `event: ${DEPLOYMENT_EVENT}\ndata: ${text}\n\n`;
            if (FINAL.has(view.status)) {
              ended = true;
              chunk += `event: ${DEPLOYMENT_END_EVENT}\ndata: ${JSON.stringify({ status: view.status })}\n\n`;
            }
            controller.enqueue(encoder.encode(chunk));
            return;
          }
          if (Date.now() - lastWrite >= heartbeatMs) {
            lastWrite = Date.now();
            controller.enqueue(encoder.encode(": heartbeat\n\n"));
            return;
          }
          await sleep(intervalMs);
          if (ended) return;
        }
      },
      cancel: () => {
        ended = true;
        clearTimeout(timer);
        wake?.();
      },
    },
    { highWaterMark: 1 },
  );
}
