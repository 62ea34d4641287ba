/**
 * Child-process entry for the example-stack test: runs a stack program (argv[2], with the current
 * directory as its project directory, as Pulumi does) under the SDK mocks and prints one JSON
 * document with the recorded resources and the stack's outputs.
 *
 * Usage: node --import tsx run-example.ts <index.ts> <project> <stack> <config JSON>
 */
import * as pulumi from "@pulumi/pulumi";
import { pathToFileURL } from "node:url";
import { SdkMocks, isSecret, unsecret, valueOf } from "./mocks.ts";

const [program, project, stack, configJson] = process.argv.slice(2);
const mocks = new SdkMocks();
await pulumi.runtime.setMocks(mocks, project!, stack!, false);
pulumi.runtime.setAllConfig(JSON.parse(configJson ?? "{}"));
const exported = (await import(pathToFileURL(program!).href)) as Record<string, pulumi.Input<unknown>>;
await pulumi.runtime.disconnect();
const outputs: Record<string, unknown> = {};
for (const [name, value] of Object.entries(exported)) outputs[name] = await valueOf(value);
const resources = mocks.resources.map((r) => ({
  type: r.type,
  name: r.name,
  inputs: unsecret(r.inputs),
  secretInputs: Object.keys(r.inputs).filter((k) => isSecret(r.inputs[k])),
}));
process.stdout.write(JSON.stringify({ resources, outputs }));
