/**
 * The plain client must stay serializable by Pulumi's closure serializer: the SDK's dynamic
 * providers capture it, and Pulumi's provider host cannot load zod or HotSwap's modules. A run-time
 * zod import reachable from plain.ts fails here, before it fails a `pulumi up`.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { createPlainApiClient } from "./plain.ts";

test("a provider using the plain client serializes without zod or module requires", async () => {
  const provider = {
    async read(id: string, props: { endpoint: string; apiKey: string }) {
      const api = createPlainApiClient({ baseUrl: props.endpoint, apiKey: props.apiKey });
      const r = await api.functions.get(id);
      return { id, props: r.ok ? r.value : {} };
    },
  };
  const serialized = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
  assert.doesNotMatch(serialized.text, /zod|require\(/);
  assert.match(serialized.text, /\/api\/v1\/functions/);
});
