/**
 * Render the Kubernetes manifests a stack would apply, without a cluster or the Pulumi engine:
 *
 *   npm run infra:render -- --stack k8s --out rendered/            # one YAML file per object
 *   npm run infra:render -- --stack k8s --out rendered/ --single   # one multi-document hotswap.yaml
 *
 * Runs the program under Pulumi's mocks with the stack's config file (Pulumi.<stack>.yaml), so the
 * output is exactly what the program declares. Secrets carry freshly generated credentials; the
 * images must be pullable by the cluster. Progress goes to stderr.
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import pkg from "../package.json" with { type: "json" };
import { REPO_ROOT } from "./components/images.ts";
import { parseStackConfig, type StackConfig } from "./config.ts";
import { runUnderMocks } from "./render/mocks.ts";
import { toManifests, writeManifests, type Manifest } from "./render/manifests.ts";
import { readStackConfig, stackFilePath } from "./render/stack-file.ts";

export interface RenderResult {
  config: StackConfig;
  manifests: Manifest[];
  /** Every resource the program declared (for the summary). */
  resourceCount: number;
}

/** Run the program for `stack` under mocks and collect its Kubernetes objects. */
export async function renderStack(stack: string, options: { root?: string; randomness?: "deterministic" | "random" } = {}): Promise<RenderResult> {
  const root = options.root ?? REPO_ROOT;
  const raw = readStackConfig(stackFilePath(root, stack));
  const config = parseStackConfig(raw, { stack, defaultVersion: pkg.version });
  if (config.target === "docker") {
    throw new Error(`stack "${stack}" targets docker; rendering writes Kubernetes manifests, so it needs a kubernetes or aws stack`);
  }
  const { createPlatform } = await import("./program.ts");
  const { mocks } = await runUnderMocks(() => createPlatform(config), { stack, config: raw, randomness: options.randomness ?? "random" });
  return { config, manifests: toManifests(mocks.resources), resourceCount: mocks.resources.length };
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { stack: { type: "string" }, out: { type: "string" }, single: { type: "boolean", default: false }, help: { type: "boolean", short: "h" } },
  });
  if (values.help || !values.stack || !values.out) {
    process.stderr.write("usage: npm run infra:render -- --stack <name> --out <dir> [--single]\n");
    return values.help ? 0 : 2;
  }
  const log = (line: string) => process.stderr.write(`${line}\n`);
  log(`render: running the hotswap program for stack "${values.stack}" under mocks (Pulumi.${values.stack}.yaml)`);
  const { config, manifests, resourceCount } = await renderStack(values.stack);
  const outDir = resolve(values.out);
  const written = writeManifests(manifests, outDir, values.single ? "single" : "files");
  log(`render: ${resourceCount} resources declared, ${manifests.length} Kubernetes objects, written to ${outDir} (${written.length} file${written.length === 1 ? "" : "s"})`);
  if (config.target === "aws") log("render: aws stack: only the objects applied on the EKS cluster are rendered; the VPC, cluster and node groups are not");
  log("render: Secrets hold freshly generated credentials; keep the output private");
  log(`render: apply with: kubectl apply -f ${values.out}${values.single ? "/hotswap.yaml" : ""}`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: Error) => {
      process.stderr.write(`render: ${err.message}\n`);
      process.exit(1);
    },
  );
}
