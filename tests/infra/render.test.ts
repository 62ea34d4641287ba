/**
 * `npm run infra:render`: the program run under mocks with a stack's config file yields the
 * Kubernetes objects it would apply, every one valid against the Kubernetes OpenAPI schema
 * (kubernetes-models), written as YAML for review or `kubectl apply`.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { parse, parseAllDocuments } from "yaml";
import { REPO_ROOT } from "./support/infra.ts";

const render = await import("../../infra/render.ts");
const renders = new Map<string, ReturnType<typeof render.renderStack>>();
/** Render a stack once per file (deterministic credentials); the tests only read the result. */
const renderStack = (stack: string) => {
  if (!renders.has(stack)) renders.set(stack, render.renderStack(stack, { randomness: "deterministic" }));
  return renders.get(stack)!;
};
const { writeManifests } = await import("../../infra/render/manifests.ts");

/** Validate with the kubernetes-models class for the object's apiVersion and kind; returns the error text, if any. */
async function schemaErrors(obj: { apiVersion: string; kind: string }): Promise<string | undefined> {
  const mod = (await import(`kubernetes-models/${obj.apiVersion}/${obj.kind}`)) as Record<string, new (data: unknown) => { validate(): void }>;
  const Model = mod[obj.kind];
  if (!Model) return `no kubernetes-models class for ${obj.apiVersion} ${obj.kind}`;
  try {
    new Model(obj).validate();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

for (const stack of ["k8s", "aws"]) {
  test(`every object rendered for stack ${stack} validates against the Kubernetes OpenAPI schema`, async () => {
    const { manifests } = await renderStack(stack);
    assert.ok(manifests.length >= 30, `rendered ${manifests.length} objects`);
    const failures: string[] = [];
    for (const m of manifests) {
      const error = await schemaErrors(m);
      if (error) failures.push(`${m.kind}/${m.metadata.name}: ${error}`);
    }
    assert.deepEqual(failures, []);
  });
}

test("the schema check catches an invalid object (so the check above can fail)", async () => {
  const error = await schemaErrors({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "x" }, spec: { replicas: "two", selector: {}, template: {} } } as never);
  assert.match(error ?? "", /replicas must be integer/);
});

test("renders Secrets with their values, a namespace first and policies last", async () => {
  const { manifests } = await renderStack("k8s");
  assert.equal(manifests[0]!.kind, "Namespace");
  assert.equal(manifests.at(-1)!.kind, "NetworkPolicy");
  const secret = manifests.find((m) => m.kind === "Secret" && m.metadata.name === "control-plane-env")!;
  assert.match((secret.stringData as Record<string, string>).HOTSWAP_ADMIN_KEY!, /^hs_[a-z0-9]+_[A-Za-z0-9]{40}$/);
  assert.equal(new Set(manifests.map((m) => `${m.kind}/${m.metadata.name}`)).size, manifests.length, "no object twice");
});

test("writes one YAML file per object, or one multi-document file", async () => {
  const { manifests } = await renderStack("k8s");
  const dir = await mkdtemp(join(tmpdir(), "hs-render-"));
  try {
    writeManifests(manifests, join(dir, "files"));
    const files = (await readdir(join(dir, "files"))).sort();
    assert.equal(files.length, manifests.length);
    assert.equal(files[0], "01-namespace-hotswap.yaml");
    const deployment = parse(await readFile(join(dir, "files", "09-deployment-control-plane.yaml"), "utf8"));
    assert.equal(deployment.kind, "Deployment");
    writeManifests(manifests, join(dir, "single"), "single");
    const docs = parseAllDocuments(await readFile(join(dir, "single", "hotswap.yaml"), "utf8"));
    assert.equal(docs.length, manifests.length);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("the CLI renders a stack to a directory, with progress on stderr and nothing on stdout", async () => {
  const dir = await mkdtemp(join(tmpdir(), "hs-render-cli-"));
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ["--import", "tsx", "infra/render.ts", "--stack", "k8s", "--out", dir], { cwd: REPO_ROOT });
    assert.equal(stdout, "");
    assert.match(stderr, /render: running the hotswap program for stack "k8s" under mocks/);
    assert.match(stderr, /Kubernetes objects, written to/);
    const files = await readdir(dir);
    assert.ok(files.includes("09-deployment-runner-large.yaml"));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("the CLI refuses a docker stack and a missing stack file with a message", async () => {
  const cli = (stack: string) => promisify(execFile)(process.execPath, ["--import", "tsx", "infra/render.ts", "--stack", stack, "--out", join(tmpdir(), "never")], { cwd: REPO_ROOT });
  await Promise.all([
    assert.rejects(cli("dev"), (e: { code: number; stderr: string }) => {
      assert.equal(e.code, 1);
      assert.match(e.stderr, /stack "dev" targets docker; rendering writes Kubernetes manifests, so it needs a kubernetes or aws stack/);
      return true;
    }),
    assert.rejects(cli("nope"), (e: { code: number; stderr: string }) => {
      assert.equal(e.code, 1);
      assert.match(e.stderr, /Pulumi\.nope\.yaml does not exist/);
      return true;
    }),
  ]);
});
