/**
 * Functions' asynchronous-invocation settings (functions.event_invoke_config): Lambda's
 * FunctionEventInvokeConfig, stored with every field filled in and the time it was last put.
 */
import { eq } from "drizzle-orm";
import type { EventInvokeConfig } from "../../../../protocol/api/event-invoke-config.ts";
import type { Db } from "../database.ts";
import { functions, type JsonObject } from "../schema.ts";

export interface StoredEventInvokeConfig extends EventInvokeConfig {
  lastModified: string;
}

/** `config` is undefined when the function exists without one (the defaults apply). */
export type EventInvokeConfigLookup = { found: false } | { found: true; config?: StoredEventInvokeConfig };

export interface EventInvokeConfigsRepository {
  get(functionName: string): Promise<EventInvokeConfigLookup>;
  /** False when the function does not exist. */
  put(functionName: string, config: StoredEventInvokeConfig): Promise<boolean>;
  /** Back to the defaults; false when the function does not exist. */
  clear(functionName: string): Promise<boolean>;
}

export function createEventInvokeConfigsRepository(db: Db): EventInvokeConfigsRepository {
  const write = async (functionName: string, value: JsonObject | null) => {
    const rows = await db
      .update(functions)
      .set({ eventInvokeConfig: value })
      .where(eq(functions.name, functionName))
      .returning({ name: functions.name });
    return rows.length > 0;
  };
  return {
    async get(functionName) {
      const [row] = await db.select({ c: functions.eventInvokeConfig }).from(functions).where(eq(functions.name, functionName));
      if (!row) return { found: false };
      return row.c ? { found: true, config: row.c as unknown as StoredEventInvokeConfig } : { found: true };
    },
    put: (functionName, config) => write(functionName, config as unknown as JsonObject),
    clear: (functionName) => write(functionName, null),
  };
}
