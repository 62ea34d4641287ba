/**
 * The component conventions, checked over whole platforms on every target: every resource is the
 * child of a component (`{ parent: this }`), and its name starts with its parent's name.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { run, stackConfig } from "./support/infra.ts";

const { parseStackConfig } = await import("../../infra/config.ts");
const { Platform } = await import("../../infra/components/platform.ts");

for (const stack of ["dev", "k8s", "aws"]) {
  test(`${stack}: every resource is parented by a component and named after it`, async () => {
    const config = parseStackConfig(stackConfig(stack), { stack, defaultVersion: "0.1.0" });
    const seen: Array<{ type: string; name: string; parent?: string }> = [];
    // Transformations on a parent apply to all of its descendants: this one only records.
    const record: pulumi.ResourceTransformation = (args) => {
      seen.push({ type: args.type, name: args.name, parent: (args.opts.parent as unknown as { __name?: string } | undefined)?.__name });
      return undefined;
    };
    await run(() => {
      const root = new pulumi.ComponentResource("test:index:Root", "root", {}, { transformations: [record] });
      return new Platform(
        "hotswap",
        {
          ...config,
          aws: config.awsRegion ? { region: config.awsRegion, ...config.aws } : undefined,
          docker: { ...config.docker, socketGroup: "0" },
        },
        { parent: root },
      );
    }, stackConfig(stack), stack);
    const children = seen.filter((r) => r.type !== "test:index:Root" && r.name !== "hotswap");
    assert.ok(children.length > 30, `${children.length} resources`);
    const orphans = children.filter((r) => !r.parent);
    assert.deepEqual(orphans, []);
    const misnamed = children.filter((r) => !r.name.startsWith(`${r.parent}-`)).map((r) => `${r.parent} > ${r.name}`);
    assert.deepEqual(misnamed, []);
  });
}
