/**
 * Example stack: a Node.js and a Python function on a HotSwap platform, each with an alias `live`.
 * New versions of `hello` reach `live` through a canary rollout that `pulumi up` waits for; `hello`
 * also answers an HTTP route (GET /hello) and `greeter` runs on a schedule. The platform comes from
 * a StackReference to the platform stack (this repository's Pulumi project).
 */
import * as pulumi from "@pulumi/pulumi";
import * as hotswap from "hotswap/pulumi";

const config = new pulumi.Config();

// The platform stack exports the API's URL and a deployer key (a secret; the admin key is for managing keys).
const platform = new pulumi.StackReference("platform", { name: config.get("platformStack") ?? "organization/hotswap/dev" });
const provider = new hotswap.Provider("hotswap", {
  endpoint: platform.requireOutput("apiEndpoint") as pulumi.Output<string>,
  apiKey: platform.requireOutput("deployerKey") as pulumi.Output<string>,
});

// Any change to the code or to these settings publishes a new immutable version.
const hello = new hotswap.Function(
  "hello",
  {
    runtime: "nodejs20",
    handler: "index.handler",
    code: "./functions/hello",
    memory: "256 MB",
    timeout: "10 seconds",
    environment: {
      GREETING: config.get("greeting") ?? "Hello",
      FAIL: String(config.getBoolean("fail") ?? false),
    },
  },
  { provider },
);

const greeter = new hotswap.Function(
  "greeter",
  {
    runtime: "python3.12",
    handler: "handler.handler",
    code: new pulumi.asset.FileArchive("./functions/greeter"),
    memory: "128 MB",
    timeout: "5 seconds",
  },
  { provider },
);

// A new version of hello gets 10% of live's traffic for 5 minutes, then all of it; an error rate
// over 5% or a p99 over 500 ms rolls it back, and `pulumi up` fails with the reason.
const helloLive = new hotswap.Alias(
  "hello-live",
  {
    function: hello,
    name: "live",
    version: hello.latestVersion,
    rollout: {
      strategy: "canary",
      percentage: 10,
      duration: "5 minutes",
      analysis: { interval: "30 seconds", maxErrorRate: 0.05, maxP99: "500 ms", minRequests: 20 },
      timeout: "30 minutes",
    },
  },
  { provider },
);

// No rollout: greeter's live alias moves to each new version at once.
const greeterLive = new hotswap.Alias("greeter-live", { function: greeter, name: "live", version: greeter.latestVersion }, { provider });

// hello as an API backend: GET /hello answers at <endpoint>/fn/hello (and on the gateway port),
// publicly, through the live alias, so the canary moves this route's traffic too.
new hotswap.Trigger(
  "hello-route",
  {
    function: hello,
    qualifier: helloLive.name,
    type: "Http",
    config: { methods: ["GET"], path: "/hello", auth: "none", cors: { allowOrigins: ["*"], allowMethods: ["GET"] } },
  },
  { provider },
);

// greeter on a schedule: every morning at 8 in Berlin, with a fixed event.
new hotswap.Trigger(
  "greeter-schedule",
  {
    function: greeter,
    qualifier: greeterLive.name,
    type: "Scheduled",
    config: { schedule: "0 8 * * *", timezone: "Europe/Berlin", input: { name: "team", lang: "de" } },
  },
  { provider },
);

export const endpoint = provider.endpoint;
export const helloRouteUrl = pulumi.interpolate`${provider.endpoint}/fn/hello`;
export const helloUrl = pulumi.interpolate`${provider.endpoint}/api/v1/functions/${hello.name}/invoke?qualifier=live`;
export const helloLiveVersion = helloLive.version;
export const helloArn = hello.arn;
export const greeterUrl = pulumi.interpolate`${provider.endpoint}/api/v1/functions/${greeter.name}/invoke?qualifier=live`;
export const greeterLiveVersion = greeterLive.version;
