/**
 * Database port entry point: open a database (Postgres or PGlite), then build repositories on it.
 *
 *   const database = await openDatabase(config.database);
 *   const repos = createRepositories(database.db);
 */
export { openDatabase, MIGRATIONS_FOLDER, type Database, type DatabaseConfig, type Db } from "./database.ts";
export { DuplicateError, isDuplicateError } from "./errors.ts";
export { createRepositories, type Repositories } from "./repositories/index.ts";
export type * from "./repositories/index.ts";
export type { DeploymentStatus, DeploymentStrategy, JsonObject, RoutingConfig, TriggerType, VersionLayer } from "./schema.ts";
export * as schema from "./schema.ts";
