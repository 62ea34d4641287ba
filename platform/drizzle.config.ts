/**
 * drizzle-kit configuration: generates SQL migrations from `src/db/schema.ts` into `migrations/`.
 * Run `npm run db:generate` after changing the schema and commit the generated SQL unchanged.
 * Paths are relative to the repository root, where npm scripts run.
 */
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "postgresql",
  schema: "./platform/src/db/schema.ts",
  out: "./platform/migrations",
  strict: true,
  verbose: true,
});
