/**
 * Pulumi entry point (Pulumi.yaml `main: infra/`): validate the stack's `hotswap:*` config, declare
 * the platform, export its outputs. `pulumi stack output apiEndpoint` and
 * `pulumi stack output adminKey --show-secrets` (or `deployerKey`, what function stacks should use) read these.
 */
import pkg from "../package.json" with { type: "json" };
import { loadStackConfig } from "./config.ts";
import { createPlatform } from "./program.ts";

const outputs = createPlatform(loadStackConfig(pkg.version)).outputs();

export const target = outputs.target;
export const apiEndpoint = outputs.apiEndpoint;
export const consoleUrl = outputs.consoleUrl;
export const adminKey = outputs.adminKey;
export const deployerKey = outputs.deployerKey;
export const namespace = outputs.namespace;
export const jaegerUrl = outputs.jaegerUrl;
export const prometheusUrl = outputs.prometheusUrl;
export const grafanaUrl = outputs.grafanaUrl;
export const grafanaAdminPassword = outputs.grafanaAdminPassword;
export const runnerPools = outputs.runnerPools;
export const kubeconfig = outputs.kubeconfig;
export const clusterName = outputs.clusterName;
