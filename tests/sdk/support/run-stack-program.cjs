// The packed-package test's stack-program runner (packed-sdk.test.ts), in plain JavaScript: copied into a stack project
// and run there with plain `node` (no tsx), so `@pulumi/pulumi` and `hotswap/pulumi` resolve from
// that project's node_modules as they do under `pulumi up`. Runs one stack program (argv[2], CommonJS
// or ES module) under `pulumi.runtime.setMocks`, answering like the HotSwap providers and a platform
// stack (the outputs in argv[3]), and prints one JSON document: the resources with their inputs
// (secrets unwrapped, their names listed) and the program's outputs.
//
// Usage: node run-stack-program.cjs <program> <project> <platform outputs JSON> [<config JSON>]
"use strict";
const pulumi = require("@pulumi/pulumi");
const { pathToFileURL } = require("node:url");

const isSecret = (v) => v !== null && typeof v === "object" && v[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig;
const unsecret = (v) =>
  isSecret(v) ? unsecret(v.value) : Array.isArray(v) ? v.map(unsecret) : v !== null && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unsecret(x)])) : v;

async function main() {
  const [program, project, outputsJson, configJson] = process.argv.slice(2);
  const platformOutputs = JSON.parse(outputsJson);
  const resources = [];
  const mocks = {
    newResource(args) {
      const inputs = unsecret(args.inputs);
      resources.push({ type: args.type, name: args.name, inputs, secretInputs: Object.keys(args.inputs).filter((k) => isSecret(args.inputs[k])) });
      switch (args.type) {
        case "pulumi:pulumi:StackReference":
          return { id: inputs.name, state: { name: inputs.name, outputs: platformOutputs, secretOutputNames: ["adminKey", "deployerKey"] } };
        case "pulumi-nodejs:dynamic/hotswap:Function":
          return { id: inputs.name, state: { ...args.inputs, latestVersion: 1, arn: `arn:aws:lambda:us-east-1:000000000000:function:${inputs.name}` } };
        default:
          return { id: `${args.name}-id`, state: args.inputs };
      }
    },
    call(args) {
      return args.inputs;
    },
  };
  await pulumi.runtime.setMocks(mocks, project, "dev", false);
  pulumi.runtime.setAllConfig(JSON.parse(configJson || "{}"));
  const exported = await import(pathToFileURL(program).href);
  await pulumi.runtime.disconnect();
  const outputs = {};
  for (const [name, value] of Object.entries(exported)) {
    if (name === "default" || name === "module.exports") continue;
    outputs[name] = await new Promise((resolve) => pulumi.output(value).apply(resolve));
  }
  process.stdout.write(JSON.stringify({ resources, outputs }));
}

main().catch((e) => {
  process.stderr.write(`${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
