/**
 * Function logs on the control plane, composed: the ingest (runners' stream → database → live
 * channel), the live-tail hub, retention, and the service the logs API calls. server.ts starts it
 * once the stores are open; `closeTails` ends the live tails as shutdown begins, `stop` drains the
 * ingest and stops the sweeper before the stores close.
 */
import type { StateStore } from "../../../shared/state/state-store.ts";
import type { Repositories } from "../db/index.ts";
import { FunctionLogIngest } from "./log-ingest.ts";
import { LiveTail } from "./live-tail.ts";
import type { FollowerLimits } from "./log-follower.ts";
import { LogRetention, type LogRetentionDefaults } from "./log-retention.ts";
import { LogService } from "./log-service.ts";

export interface FunctionLogsOptions {
  state: StateStore;
  repos: Repositories;
  /** The cluster's key prefix, `hs:<cluster id>:`. */
  namespace: string;
  /** Unique per replica: the ingest's consumer name and the retention gate's holder. */
  replicaId: string;
  defaults: LogRetentionDefaults;
  requireFunction(name: string): Promise<unknown>;
  follower?: FollowerLimits;
  retentionIntervalMs?: number;
  onError?(e: unknown, what: string): void;
}

export interface FunctionLogs {
  service: LogService;
  ingest: FunctionLogIngest;
  live: LiveTail;
  retention: LogRetention;
  /** Ends every live tail with a final `shutdown` event. */
  closeTails(): Promise<void>;
  /** Stores what the ingest read (and what is left in the stream, briefly), stops the sweeper. */
  stop(): Promise<void>;
}

export async function startFunctionLogs(o: FunctionLogsOptions): Promise<FunctionLogs> {
  const live = new LiveTail(o.state, o.follower);
  await live.start();
  const ingest = new FunctionLogIngest({ state: o.state, logs: o.repos.functionLogs, consumer: o.replicaId, onError: o.onError });
  await ingest.start();
  const retention = new LogRetention({
    functions: o.repos.functions,
    logs: o.repos.functionLogs,
    state: o.state,
    namespace: o.namespace,
    holder: o.replicaId,
    defaults: o.defaults,
    intervalMs: o.retentionIntervalMs,
    onError: (e) => o.onError?.(e, "sweeping old function log lines"),
  });
  retention.start();
  return {
    service: new LogService(o.repos.functionLogs, o.requireFunction, live),
    ingest,
    live,
    retention,
    closeTails: () => live.close(),
    async stop() {
      await live.close();
      await retention.stop();
      await ingest.stop();
    },
  };
}

export { FunctionLogIngest, FUNCTION_LOG_GROUP } from "./log-ingest.ts";
export { LiveTail } from "./live-tail.ts";
export { LogRetention } from "./log-retention.ts";
export { LogService } from "./log-service.ts";
