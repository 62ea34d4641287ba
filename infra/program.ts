/**
 * The HotSwap Pulumi program as a function of validated stack configuration, so the entry point
 * (index.ts), the manifest renderer and the tests all run exactly the same code.
 */
import { statSync } from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "./config.ts";
import { Platform } from "./components/platform.ts";

/** Group owning the Docker socket, so the non-root runners can use it. "0" when it cannot be read. */
export function dockerSocketGroup(socket: string): string {
  try {
    return String(statSync(socket).gid);
  } catch {
    return "0";
  }
}

/** Declare the whole platform for one stack. */
export function createPlatform(config: StackConfig): Platform {
  const c = config;
  return new Platform("hotswap", {
    target: c.target,
    version: c.version,
    logLevel: c.logLevel,
    adminKey: c.adminKey,
    // The key is a secret in the stack (`pulumi config set --secret`); keep it one in the state.
    runnerTls: c.runnerTls && ("secretName" in c.runnerTls ? c.runnerTls : { ...c.runnerTls, key: pulumi.secret(c.runnerTls.key) }),
    images: c.images,
    controlPlane: c.controlPlane,
    runnerPools: c.runnerPools,
    data: c.data,
    observability: c.observability,
    docker: c.target === "docker" ? { ...c.docker, socketGroup: c.docker.socketGroup ?? dockerSocketGroup(c.docker.socket) } : undefined,
    kubernetes: c.kubernetes,
    aws: c.target === "aws" ? { region: c.awsRegion!, ...c.aws } : undefined,
  });
}
