#!/usr/bin/env node
/**
 * HotSwap Node.js bootstrap (zero npm dependencies). Picks the protocol from the environment:
 * - HOTSWAP_CHANNEL_FD / HOTSWAP_CHANNEL_SOCKET / HOTSWAP_CHANNEL_TCP: the fast channel (runtimes/PROTOCOL.md);
 * - otherwise AWS_LAMBDA_RUNTIME_API: the AWS Lambda Runtime API, with _HANDLER and LAMBDA_TASK_ROOT.
 * HOTSWAP_STEM=1 (a stem, started before any code is assigned): warm up (lib/warm-up.mjs) before hello.
 * Its stdout/stderr are the function's log; protocol data only ever crosses the channel.
 */
import net from "node:net";
import { serveFastChannel } from "./lib/fast-channel.mjs";
import { encodeFrame } from "./lib/frame.mjs";
import { serveRuntimeApi } from "./lib/runtime-api.mjs";
import { installLogCapture } from "./lib/log-capture.mjs";
import { installAwsLambdaGlobal } from "./lib/response-stream.mjs";
import { warmUp } from "./lib/warm-up.mjs";

const env = process.env;

// Each line a handler writes carries its request id (lib/log-capture.mjs).
installLogCapture();
// Lambda's global: function modules call awslambda.streamifyResponse while they load.
installAwsLambdaGlobal();

// Leave promptly and cleanly when the runner stops the instance.
process.on("SIGTERM", () => process.exit(0));
process.on("SIGINT", () => process.exit(0));

/**
 * An uncaught exception or unhandled rejection leaves the handler's state unknown: answer the
 * invocations in flight with the error (as AWS does) and exit, so the runner replaces the instance.
 */
let fatalHandler = null;
const onFatal = (kind) => (err) => {
  process.stderr.write(`${kind === "rejection" ? "Unhandled promise rejection" : "Uncaught exception"}: ${err?.stack ?? err}\n`);
  if (fatalHandler) fatalHandler(err, kind);
  else process.exit(1);
};
process.on("uncaughtException", onFatal("exception"));
process.on("unhandledRejection", onFatal("rejection"));
const hooks = { onFatal: (fn) => (fatalHandler = fn) };

function helloFrame(token) {
  const hello = { type: "hello", runtime: "node", version: process.version, pid: process.pid };
  if (token) hello.token = token;
  return encodeFrame(hello);
}

/** One-time token that identifies this instance on a shared TCP listener (HOTSWAP_CHANNEL_TCP). */
const token = env.HOTSWAP_CHANNEL_TOKEN;

/** Whether this instance is a stem: it warms up before hello (the runner counts it ready only then). */
const stem = env.HOTSWAP_STEM === "1";

async function startFast(socket) {
  // The channel variables are ours, not the function's: keep them out of its environment.
  for (const k of ["HOTSWAP_CHANNEL_FD", "HOTSWAP_CHANNEL_SOCKET", "HOTSWAP_CHANNEL_TCP", "HOTSWAP_CHANNEL_TOKEN", "HOTSWAP_STEM"]) delete env[k];
  socket.setNoDelay?.(true);
  if (stem) await warmUp();
  serveFastChannel(socket, hooks);
  socket.write(helloFrame(token));
}

function connectFast(options, what) {
  const socket = net.connect(options);
  socket.once("connect", () => {
    socket.removeAllListeners("error");
    void startFast(socket);
  });
  socket.once("error", (err) => {
    process.stderr.write(`hotswap bootstrap: cannot connect to ${what}: ${err.message}\n`);
    process.exit(1);
  });
}

if (env.HOTSWAP_CHANNEL_FD) {
  const fd = Number(env.HOTSWAP_CHANNEL_FD);
  await startFast(new net.Socket({ fd, readable: true, writable: true }));
} else if (env.HOTSWAP_CHANNEL_SOCKET) {
  connectFast(env.HOTSWAP_CHANNEL_SOCKET, env.HOTSWAP_CHANNEL_SOCKET);
} else if (env.HOTSWAP_CHANNEL_TCP) {
  // host:port, the host possibly a bracketed IPv6 address.
  const addr = env.HOTSWAP_CHANNEL_TCP;
  const colon = addr.lastIndexOf(":");
  connectFast({ host: addr.slice(0, colon).replace(/^\[|\]$/g, ""), port: Number(addr.slice(colon + 1)) }, addr);
} else if (env.AWS_LAMBDA_RUNTIME_API) {
  await serveRuntimeApi(env.AWS_LAMBDA_RUNTIME_API, env, hooks);
} else {
  process.stderr.write("hotswap bootstrap: set HOTSWAP_CHANNEL_FD, HOTSWAP_CHANNEL_SOCKET, HOTSWAP_CHANNEL_TCP or AWS_LAMBDA_RUNTIME_API\n");
  process.exit(2);
}
