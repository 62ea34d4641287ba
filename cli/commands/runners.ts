/** `hotswap runners ls [--all]`: the runner fleet: health, capacity, load and warm instances. */
import type { Command } from "commander";
import { clientAction, must } from "../command-kit.ts";
import { formatTable } from "../output.ts";

export function registerRunnerCommands(program: Command): void {
  const runners = program.command("runners").description("the runners that execute functions");
  runners
    .command("ls")
    .description("list live runners")
    .option("--all", "also runners that died or stopped")
    .action(
      clientAction(async ({ api, out }, o: { all?: boolean }) => {
        const list = must(await api.runners.list({ includeGone: o.all === true }), "listing runners");
        out.result(list, () =>
          formatTable(list.runners, [
            ["ID", (r) => r.id],
            ["POOL", (r) => r.pool],
            ["BACKEND", (r) => r.backend],
            ["STATUS", (r) => `${r.status}${r.healthy ? "" : " (unhealthy)"}`],
            ["INFLIGHT", (r) => r.load.inflight],
            ["INSTANCES", (r) => `${r.load.instances}/${r.capacity.maxInstances ?? "∞"}`],
            ["MEMORY MB", (r) => `${r.load.memoryMb}/${r.capacity.memoryMb ?? "∞"}`],
            ["WARM", (r) => r.warm.map((w) => `${w.function}:v${w.version}×${w.instances}`).join(" ")],
            ["HEARTBEAT", (r) => (r.heartbeatAgeMs === null ? null : `${r.heartbeatAgeMs} ms ago`)],
          ]),
        );
      }),
    );
}
