/**
 * The control plane's embedded stores for in-process tests: PGlite in memory with its
 * repositories, an in-memory state store, and a started routing table over both.
 */
import { createRepositories, openDatabase, type Database, type Repositories } from "../../platform/src/db/index.ts";
import { RoutingTable } from "../../platform/src/router/routing-table.ts";
import { MemoryStateStore } from "../../shared/state/memory-state-store.ts";

export interface EmbeddedStores {
  database: Database;
  repos: Repositories;
  state: MemoryStateStore;
  routing: RoutingTable;
  /** Stop the routing table, close the state store and the database. */
  close(): Promise<void>;
}

/** Open fresh embedded stores and start a routing table on them. */
export async function openEmbeddedStores(): Promise<EmbeddedStores> {
  const database = await openDatabase({ kind: "pglite", dir: "memory://" });
  const repos = createRepositories(database.db);
  const state = new MemoryStateStore();
  const routing = new RoutingTable(repos, state);
  await routing.start();
  return {
    database,
    repos,
    state,
    routing,
    async close() {
      await routing.stop();
      await state.close();
      await database.close();
    },
  };
}
