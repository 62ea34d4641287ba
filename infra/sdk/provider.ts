/**
 * `hotswap.Provider`: which control plane a stack's functions and aliases live on, and the API key
 * or JWT to use. Resources take it as `{ provider }` in their options; without one they read the
 * stack config `hotswap:endpoint` and `hotswap:apiKey` or `hotswap:token` (secrets).
 *
 * HotSwap's resources are dynamic resources, which Pulumi always runs with its own built-in
 * provider, so this is a component that carries the connection rather than a Pulumi provider
 * plugin: each resource copies `endpoint` and the credential (input `apiKey`, kept secret) into its inputs.
 */
import * as pulumi from "@pulumi/pulumi";
import { UNKNOWN, checkConnection, type CheckFailure } from "./provider-common.ts";

export interface ProviderArgs {
  /**
   * Base URL of the control plane's API.
   * @example "https://hotswap.example.com"
   * @example platform.requireOutput("apiEndpoint") // a StackReference to the platform stack
   */
  endpoint: pulumi.Input<string>;
  /**
   * API key, `hs_<id>_<secret>`. Stored in the stack's state as a secret. Give this or `token`.
   * @default undefined
   * @example platform.requireOutput("deployerKey")
   */
  apiKey?: pulumi.Input<string>;
  /**
   * A JWT from the identity provider the control plane trusts (HOTSWAP_JWT_*), sent as the Bearer
   * credential instead of an API key. Stored as a secret. Give this or `apiKey`.
   * @default undefined
   * @example process.env.HOTSWAP_TOKEN
   */
  token?: pulumi.Input<string>;
}

/** Options of HotSwap's resources: Pulumi's custom-resource options, with a `hotswap.Provider` as `provider`. */
export interface ResourceOptions extends Omit<pulumi.CustomResourceOptions, "provider"> {
  /**
   * The control plane to manage this resource on.
   * @default the stack config `hotswap:endpoint` and `hotswap:apiKey`
   */
  provider?: Provider;
}

export class Provider extends pulumi.ComponentResource {
  /** The control plane's base URL. */
  readonly endpoint: pulumi.Output<string>;
  /** The Bearer credential, the API key or the token (secret). */
  readonly apiKey: pulumi.Output<string>;

  constructor(name: string, args: ProviderArgs, opts?: pulumi.ComponentResourceOptions) {
    const failures: CheckFailure[] = [];
    if (!args || args.endpoint === undefined) failures.push({ property: "endpoint", reason: "endpoint is required: the control plane's base URL" });
    const credential = args?.apiKey ?? args?.token;
    if (args && args.apiKey !== undefined && args.token !== undefined) failures.push({ property: "token", reason: "give apiKey or token, not both" });
    else if (credential === undefined) failures.push({ property: "apiKey", reason: "apiKey or token is required: an API key hs_<id>_<secret>, or a JWT" });
    // Plain strings are checked now; Outputs are checked by every resource's `check` once known.
    if (failures.length === 0) {
      const known = (v: pulumi.Input<string>) => (typeof v === "string" ? v : UNKNOWN);
      checkConnection({ endpoint: known(args.endpoint), apiKey: known(credential!) }, failures);
    }
    if (failures.length > 0) throw new pulumi.RunError(`hotswap.Provider "${name}": ${failures[0]!.reason}`);
    super("hotswap:index:Provider", name, {}, opts);
    this.endpoint = pulumi.output(args.endpoint);
    this.apiKey = pulumi.secret(credential!);
    this.registerOutputs({ endpoint: this.endpoint, apiKey: this.apiKey });
  }
}

/** The connection inputs for a resource: from its provider, else from the stack config. */
export function connectionInputs(kind: string, name: string, provider: Provider | undefined): { endpoint: pulumi.Input<string>; apiKey: pulumi.Input<string> } {
  if (provider !== undefined) {
    if (!(provider instanceof Provider)) {
      throw new pulumi.RunError(`${kind} "${name}": options.provider must be a hotswap.Provider (HotSwap resources cannot use other Pulumi providers).`);
    }
    return { endpoint: provider.endpoint, apiKey: provider.apiKey };
  }
  const config = new pulumi.Config("hotswap");
  const endpoint = config.get("endpoint");
  const apiKey = config.getSecret("apiKey") ?? config.getSecret("token");
  const missing = [endpoint === undefined ? "hotswap:endpoint" : "", apiKey === undefined ? "hotswap:apiKey" : ""].filter((m) => m !== "");
  if (missing.length > 0) {
    throw new pulumi.RunError(
      `${kind} "${name}": no HotSwap control plane to talk to (${missing.join(" and ")} not set). Pass { provider: new hotswap.Provider("hotswap", { endpoint, apiKey }) } in the resource options, or set the stack config: \`pulumi config set hotswap:endpoint <url>\` and \`pulumi config set --secret hotswap:apiKey <key>\`.`,
    );
  }
  return { endpoint: endpoint!, apiKey: apiKey! };
}

/** Splits HotSwap's options into the connection and Pulumi's own options (the API key output kept secret). */
export function splitOptions(kind: string, name: string, opts: ResourceOptions | undefined) {
  const { provider, ...rest } = opts ?? {};
  const connection = connectionInputs(kind, name, provider);
  const pulumiOpts: pulumi.CustomResourceOptions = { ...rest, additionalSecretOutputs: [...(rest.additionalSecretOutputs ?? []), "apiKey"] };
  return { connection, pulumiOpts };
}
