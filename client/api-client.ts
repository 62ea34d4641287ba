/**
 * The HotSwap API client: one method per endpoint, grouped by resource, each returning an
 * ApiResult. Built over a Transport; whether answers are checked against the API's schemas is the
 * transport's `validate` option (index.ts's createApiClient sets it, plain.ts's does not).
 */
import { aliasesEndpoints } from "./aliases.ts";
import { asyncEndpoints } from "./async.ts";
import { deploymentsEndpoints } from "./deployments.ts";
import { functionsEndpoints } from "./functions.ts";
import { invokeEndpoint, lambdaEndpoints } from "./invoke.ts";
import { logsEndpoints } from "./logs.ts";
import { runnersEndpoints, systemEndpoints } from "./system.ts";
import { createTransport, type ClientOptions, type Transport } from "./transport.ts";
import { versionsEndpoints } from "./versions.ts";
import { usageEndpoints } from "./usage.ts";
import { triggersEndpoints } from "./triggers.ts";
import { auditEndpoints, secretsEndpoints } from "./audit.ts";
import { keysEndpoints } from "./keys.ts";
import { layersEndpoints } from "./layers.ts";

export function buildApiClient(options: ClientOptions) {
  const transport: Transport = createTransport(options);
  return {
    /** The control plane's base URL, without a trailing slash. */
    baseUrl: transport.baseUrl,
    functions: functionsEndpoints(transport),
    versions: versionsEndpoints(transport),
    aliases: aliasesEndpoints(transport),
    deployments: deploymentsEndpoints(transport, options),
    triggers: triggersEndpoints(transport),
    /** A function's log lines (`functionLogs`) and live tail (`follow`). */
    logs: logsEndpoints(transport, options),
    runners: runnersEndpoints(transport),
    system: systemEndpoints(transport),
    /** POST /api/v1/functions/{name}/invoke?qualifier=. */
    invoke: invokeEndpoint(transport),
    /** The Lambda-compatible path. */
    lambda: lambdaEndpoints(transport),
    /** Usage and cost: `functionUsage(name, query)` and `usage(query)`. */
    ...usageEndpoints(transport),
    /** Asynchronous invocation, invocation records and event-invoke configs. */
    async: asyncEndpoints(transport),
    /** The audit trail of management writes (admin only). */
    audit: auditEndpoints(transport),
    /** Re-seal every stored secret under the server's current key (admin only). */
    secrets: secretsEndpoints(transport),
    /** API key management (admins). */
    keys: keysEndpoints(transport),
    /** Lambda-style layers: publish, list, versions, get, delete. */
    layers: layersEndpoints(transport),
    /** The underlying transport, for an endpoint this client does not cover yet. */
    transport,
  };
}

export type ApiClient = ReturnType<typeof buildApiClient>;
