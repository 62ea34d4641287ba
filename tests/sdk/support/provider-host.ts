/**
 * Runs Pulumi's own dynamic-provider host (`@pulumi/pulumi/cmd/dynamic-provider`, what the engine
 * launches as `pulumi-resource-pulumi-nodejs`) as a plain `node` process, without tsx, in a stack-like
 * project directory, and talks to it over gRPC the way the engine does. The providers reach it in
 * serialized form (the `__provider` input), exactly as `pulumi.dynamic.Resource` produces it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, mkdir, rm, symlink } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import * as pulumi from "@pulumi/pulumi";

const require = createRequire(import.meta.url);
const grpc = require("@grpc/grpc-js");
const provrpc = require("@pulumi/pulumi/proto/provider_grpc_pb");
const provproto = require("@pulumi/pulumi/proto/provider_pb");
const { Struct } = require("google-protobuf/google/protobuf/struct_pb");

const PULUMI_DIR = dirname(require.resolve("@pulumi/pulumi/package.json"));

/** Serializes a provider object the way `pulumi.dynamic.Resource` does. */
export async function serializeProvider(provider: pulumi.dynamic.ResourceProvider): Promise<string> {
  const sf = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
  return sf.text;
}

type Props = Record<string, unknown>;
const struct = (props: Props) => Struct.fromJavaScript(JSON.parse(JSON.stringify(props)));

export class ProviderHost {
  /** Lines the host printed after its port: what the provider logged. */
  readonly output: string[] = [];

  private constructor(
    private readonly child: ChildProcess,
    private readonly client: any,
    private readonly projectDir: string,
  ) {}

  static async start(): Promise<ProviderHost> {
    // A stack-like project: its node_modules has @pulumi/pulumi, nothing of HotSwap's.
    const projectDir = await mkdtemp(join(tmpdir(), "hs-provider-host-"));
    await mkdir(join(projectDir, "node_modules"));
    await symlink(dirname(PULUMI_DIR), join(projectDir, "node_modules", "@pulumi"));
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    const child = spawn(process.execPath, [join(PULUMI_DIR, "cmd", "dynamic-provider", "index.js"), "127.0.0.1:1"], {
      cwd: projectDir,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const lines = createInterface({ input: child.stdout! });
    const stderr: string[] = [];
    child.stderr!.on("data", (d) => stderr.push(String(d)));
    const port = await new Promise<string>((resolve, reject) => {
      lines.once("line", resolve);
      child.once("exit", (code) => reject(new Error(`the provider host exited with ${code}: ${stderr.join("")}`)));
    });
    const client = new provrpc.ResourceProviderClient(`127.0.0.1:${port.trim()}`, grpc.credentials.createInsecure());
    const host = new ProviderHost(child, client, projectDir);
    lines.on("line", (line) => host.output.push(line));
    await host.call("configure", new provproto.ConfigureRequest().setArgs(struct({})).setAcceptsecrets(true));
    return host;
  }

  private call(method: string, request: unknown): Promise<any> {
    return new Promise((resolve, reject) => {
      this.client[method](request, (err: Error | null, res: unknown) => (err ? reject(new Error((err as { details?: string }).details ?? err.message)) : resolve(res)));
    });
  }

  async check(urn: string, olds: Props, news: Props): Promise<{ inputs: Props; failures: Array<{ property: string; reason: string }> }> {
    const res = await this.call("check", new provproto.CheckRequest().setUrn(urn).setOlds(struct(olds)).setNews(struct(news)));
    return {
      inputs: res.getInputs().toJavaScript(),
      failures: res.getFailuresList().map((f: any) => ({ property: f.getProperty(), reason: f.getReason() })),
    };
  }

  async diff(urn: string, id: string, olds: Props, news: Props): Promise<{ changes: "none" | "some" | "unknown"; replaces: string[] }> {
    const res = await this.call("diff", new provproto.DiffRequest().setUrn(urn).setId(id).setOlds(struct(olds)).setNews(struct(news)));
    const changes = res.getChanges() === provproto.DiffResponse.DiffChanges.DIFF_SOME ? "some" : res.getChanges() === provproto.DiffResponse.DiffChanges.DIFF_NONE ? "none" : "unknown";
    return { changes, replaces: res.getReplacesList() };
  }

  async create(urn: string, props: Props): Promise<{ id: string; outs: Props }> {
    const res = await this.call("create", new provproto.CreateRequest().setUrn(urn).setProperties(struct(props)));
    return { id: res.getId(), outs: res.getProperties().toJavaScript() };
  }

  async read(urn: string, id: string, props: Props): Promise<{ id: string; props: Props }> {
    const res = await this.call("read", new provproto.ReadRequest().setUrn(urn).setId(id).setProperties(struct(props)));
    return { id: res.getId(), props: res.getProperties()?.toJavaScript() ?? {} };
  }

  async update(urn: string, id: string, olds: Props, news: Props): Promise<{ outs: Props }> {
    const res = await this.call("update", new provproto.UpdateRequest().setUrn(urn).setId(id).setOlds(struct(olds)).setNews(struct(news)));
    return { outs: res.getProperties().toJavaScript() };
  }

  async delete(urn: string, id: string, props: Props): Promise<void> {
    await this.call("delete", new provproto.DeleteRequest().setUrn(urn).setId(id).setProperties(struct(props)));
  }

  async stop(): Promise<void> {
    this.client.close();
    if (this.child.exitCode === null) {
      const exited = new Promise((resolve) => this.child.once("exit", resolve));
      this.child.kill("SIGTERM");
      await exited;
    }
    await rm(this.projectDir, { recursive: true, force: true });
  }
}
