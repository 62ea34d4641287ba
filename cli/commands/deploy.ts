/**
 * `hotswap deploy <dir> --name <fn>`: zip the directory deterministically, create the function (or
 * update its configuration when settings are given), publish a version, and with `--alias` move the
 * alias to it: directly, or through a rollout (`--strategy canary|linear|bluegreen`) that it
 * follows to the end with a progress display. Exit 5 when the rollout is rolled back or fails.
 */
import { Option, type Command } from "commander";
import type { ApiClient } from "../../client/index.ts";
import type { CreateDeploymentInput, DeploymentStrategy } from "../../protocol/api/deployments.ts";
import { decimal, must, wholeNumber, clientAction } from "../command-kit.ts";
import { zipDirectory } from "../code-zip.ts";
import { isoDuration, parseCliDuration } from "../durations.ts";
import { CliError, EXIT } from "../exit-codes.ts";
import { addFunctionSettingOptions, functionSettingsOf, type FunctionSettingOptions } from "../function-settings.ts";
import { deploymentExitCode, followDeployment, weightsText } from "../rollout-follow.ts";
import type { Printer } from "../output.ts";

interface DeployOptions extends FunctionSettingOptions {
  name: string;
  versionDescription?: string;
  alias?: string;
  strategy?: "direct" | "canary" | "linear" | "bluegreen";
  percentage?: number;
  duration?: string;
  interval?: string;
  analysisInterval?: string;
  maxErrorRate?: number;
  minRequests?: number;
  wait: boolean;
}

const STRATEGY: Record<string, DeploymentStrategy> = { canary: "Canary", linear: "Linear", bluegreen: "BlueGreen" };

/** The deployment body for the chosen strategy, with the CLI's defaults (canary 10 % for 5m, linear 10 % every 1m, blue/green window 5m). */
export function deploymentBody(fn: string, version: number, alias: string, o: DeployOptions): CreateDeploymentInput {
  const ms = (text: string | undefined, fallback: string, what: string) => isoDuration(parseCliDuration(text ?? fallback, what));
  const strategy = STRATEGY[o.strategy!]!;
  const config: Record<string, unknown> =
    strategy === "Canary"
      ? { canaryPercentage: o.percentage ?? 10, canaryDuration: ms(o.duration, "5m", "--duration") }
      : strategy === "Linear"
        ? { stepPercentage: o.percentage ?? 10, stepInterval: ms(o.interval, "1m", "--interval") }
        : { rollbackWindow: ms(o.duration, "5m", "--duration") };
  const analysis: Record<string, unknown> = {};
  if (o.analysisInterval !== undefined) analysis.interval = ms(o.analysisInterval, "", "--analysis-interval");
  if (o.maxErrorRate !== undefined) analysis.maxErrorRate = o.maxErrorRate;
  if (o.minRequests !== undefined) analysis.minRequests = o.minRequests;
  return { functionName: fn, version, alias, strategy, config, ...(Object.keys(analysis).length > 0 ? { analysis } : {}) };
}

async function ensureFunction(api: ApiClient, out: Printer, o: DeployOptions) {
  const settings = functionSettingsOf(o);
  const existing = await api.functions.get(o.name);
  if (!existing.ok && existing.error.status === 404) {
    if (o.runtime === undefined || o.handler === undefined) {
      throw new CliError(`function "${o.name}" does not exist yet: give --runtime and --handler to create it.`, EXIT.usage);
    }
    const f = must(await api.functions.create({ name: o.name, ...settings, runtime: o.runtime, handler: o.handler }), `creating function "${o.name}"`);
    out.info(`Created function ${f.name} (${f.runtime}, ${f.handler}).`);
    return f;
  }
  const f = must(existing, `reading function "${o.name}"`);
  if (Object.keys(settings).length === 0) return f;
  const updated = must(await api.functions.update(o.name, settings), `updating function "${o.name}"`);
  out.info(`Updated the configuration of ${updated.name}.`);
  return updated;
}

export function registerDeployCommand(program: Command): void {
  addFunctionSettingOptions(
    program
      .command("deploy <dir>")
      .description("zip <dir>, create or update the function, publish a version, and optionally move an alias to it")
      .requiredOption("--name <function>", "the function to deploy to (created when missing: then --runtime and --handler are required)"),
  )
    .option("--version-description <text>", "a description of the published version")
    .option("--alias <alias>", "move this alias (e.g. live) to the new version")
    .addOption(new Option("--strategy <strategy>", "how --alias moves: at once, or through a rollout followed to its end").choices(["direct", "canary", "linear", "bluegreen"]))
    .option("--percentage <n>", "canary: percent of traffic on the new version (default 10); linear: step size (default 10)", decimal)
    .option("--duration <d>", "canary: how long the canary runs (default 5m); bluegreen: the rollback window (default 5m)")
    .option("--interval <d>", "linear: time between steps (default 1m)")
    .option("--analysis-interval <d>", "analysis window of the rollout (API default 30s)")
    .option("--max-error-rate <rate>", "roll back when the new version's error rate exceeds this (0-1, API default 0.05)", decimal)
    .option("--min-requests <n>", "requests a window needs before it is judged (API default 20)", wholeNumber)
    .option("--no-wait", "start the rollout and return without following it")
    .addHelpText("after", "\nExamples:\n  hotswap deploy ./hello --name hello --runtime nodejs20 --handler index.handler --alias live\n  hotswap deploy ./hello --name hello --alias live --strategy canary --percentage 10 --duration 5m")
    .action(
      clientAction(async (ctx, dir: string, o: DeployOptions) => {
        if (o.strategy !== undefined && o.strategy !== "direct" && o.alias === undefined) throw new CliError("--strategy needs --alias (the alias the rollout moves).", EXIT.usage);
        const pkg = await zipDirectory(dir);
        const { api, out } = ctx; // after the usage checks: only now are credentials needed
        out.info(`Packaged ${pkg.fileCount} file(s) from ${dir}: ${pkg.zip.length} bytes, sha256 ${pkg.sha256}.`);
        const fn = await ensureFunction(api, out, o);
        const published = must(await api.versions.publish(o.name, pkg.zip, { description: o.versionDescription }), `publishing a version of "${o.name}"`);
        out.info(`Published ${o.name} version ${published.version}.`);
        const result: Record<string, unknown> = { function: fn, version: published };
        let code: number = EXIT.ok;
        if (o.alias !== undefined) {
          const existing = await api.aliases.get(o.name, o.alias);
          if (o.strategy === undefined || o.strategy === "direct" || (!existing.ok && existing.error.status === 404)) {
            if (o.strategy !== undefined && o.strategy !== "direct") out.info(`Alias ${o.alias} does not exist yet: created at version ${published.version} directly (there is no version to roll out from).`);
            const alias = must(await api.aliases.put(o.name, o.alias, { version: published.version }), `moving alias "${o.alias}" of "${o.name}"`);
            out.info(`Alias ${o.name}:${alias.name} → v${alias.version}.`);
            result.alias = alias;
          } else {
            must(existing, `reading alias "${o.alias}" of "${o.name}"`);
            const started = must(await api.deployments.create(deploymentBody(o.name, published.version, o.alias, o)), `starting a ${o.strategy} rollout of "${o.name}"`);
            out.info(`Rollout ${started.deploymentId}: ${started.strategy} of ${o.name}:${o.alias} from v${started.fromVersion ?? "-"} to v${started.toVersion}.`);
            if (!o.wait) {
              result.deployment = started;
            } else {
              const done = await followDeployment(api, started.deploymentId);
              result.deployment = done;
              code = deploymentExitCode(done);
              out.info(`Rollout ${done.deploymentId} ${done.status}${done.reason ? `: ${done.reason}` : ""} (${weightsText(done.currentWeights)}).`);
            }
          }
        }
        out.result(result, () => `Deployed ${o.name} version ${published.version} (sha256 ${published.codeSha256.slice(0, 12)}).`);
        return code;
      }),
    );
}
