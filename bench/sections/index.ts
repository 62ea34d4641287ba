/** The benchmark sections `npm run bench` runs, in order. Add a section by appending it here. */
import type { BenchSection } from "../section.ts";
import { processBackend } from "./process-backend.ts";
import { fleetSection } from "./fleet.ts";
import { dockerBackend } from "./docker-backend.ts";
import { tracingSection } from "./tracing.ts";
import { sandboxCost } from "./sandbox.ts";
import { loggingCost } from "./logging.ts";
import { asyncSection } from "./async.ts";
import { queueSection } from "./queue.ts";
import { rubySection } from "./ruby.ts";
import { densitySection } from "./density.ts";
import { javaSection } from "./java.ts";
import { authSection } from "./auth.ts";

export const SECTIONS: Array<{ name: string; run: BenchSection }> = [
  { name: "process", run: processBackend },
  { name: "fleet", run: fleetSection },
  { name: "docker", run: dockerBackend },
  { name: "tracing", run: tracingSection },
  { name: "sandbox", run: sandboxCost },
  { name: "logging", run: loggingCost },
  { name: "async", run: asyncSection },
  { name: "queue", run: queueSection },
  { name: "ruby", run: rubySection },
  { name: "density", run: densitySection },
  { name: "java", run: javaSection },
  { name: "auth", run: authSection },
];
