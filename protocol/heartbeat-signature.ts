/**
 * Signed heartbeats. A runner's heartbeat decides where invocations go (its `address`), and anyone
 * who can write to the Redis could publish one; so each is sent as `v1.<hmac>.<json>`, the HMAC-SHA256
 * of the JSON under the cluster secret (HOTSWAP_CLUSTER_SECRET, which runners and control planes
 * share). Control planes ignore, with a warning, every heartbeat that is unsigned or badly signed:
 * a writer without the secret cannot redirect invocations to itself.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

const VERSION = "v1";
/** Separates this use of the cluster secret from its others (the runner API's shared secret). */
const CONTEXT = "hotswap heartbeat v1\n";

function mac(json: string, secret: string): string {
  return createHmac("sha256", secret).update(CONTEXT).update(json).digest("hex");
}

/** The message to store and publish for a heartbeat's JSON text. */
export function signHeartbeat(json: string, secret: string): string {
  return `${VERSION}.${mac(json, secret)}.${json}`;
}

/** The heartbeat's JSON text when `message` is signed under `secret`; otherwise why it is not to be trusted. */
export function openHeartbeat(message: string, secret: string): { ok: true; json: string } | { ok: false; reason: string } {
  if (!message.startsWith(`${VERSION}.`)) return { ok: false, reason: "unsigned heartbeat (a runner without HOTSWAP_CLUSTER_SECRET signing, or a forgery)" };
  const dot = message.indexOf(".", VERSION.length + 1);
  if (dot === -1) return { ok: false, reason: "malformed heartbeat signature" };
  const given = Buffer.from(message.slice(VERSION.length + 1, dot), "hex");
  const json = message.slice(dot + 1);
  const expected = Buffer.from(mac(json, secret), "hex");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: "heartbeat signed with another secret (check HOTSWAP_CLUSTER_SECRET on the runner), or a forgery" };
  }
  return { ok: true, json };
}
