/**
 * How containers and the runner reach each other: which network function containers join, the
 * address they dial for the fast channel and the Runtime API (127.0.0.1 with host networking, the
 * network's gateway otherwise, or what the operator configured), the address the runner's
 * listeners bind, and a container's own address, which alone may use its Runtime API.
 */
import type Docker from "dockerode";
import type { Isolation } from "./container-spec.ts";

const IP_ADDRESS = /^(\d{1,3}(\.\d{1,3}){3}|[0-9a-fA-F:]*:[0-9a-fA-F:]*)$/;

export interface NetworkingOptions {
  network?: string;
  runtimeApiHost?: string;
  listenHost?: string;
  pidsLimit?: number;
  tmpSizeMb?: number;
}

export interface Networking {
  isolation: Isolation;
  /** Host containers dial (HOTSWAP_CHANNEL_TCP, AWS_LAMBDA_RUNTIME_API). */
  advertiseHost: string;
  /** Address the runner's listeners bind. */
  listenHost: string;
}

export async function resolveNetworking(docker: Docker, opts: NetworkingOptions): Promise<Networking> {
  const network = opts.network ?? "bridge";
  let advertise = opts.runtimeApiHost;
  if (!advertise) {
    if (network === "host") advertise = "127.0.0.1";
    else {
      const info = (await docker.getNetwork(network).inspect()) as { IPAM?: { Config?: Array<{ Gateway?: string }> } };
      advertise = info.IPAM?.Config?.find((c) => c.Gateway)?.Gateway;
      if (!advertise) throw new Error(`Docker network "${network}" has no gateway address; set RUNNER_RUNTIME_API_HOST to the address containers use to reach the runner`);
    }
  }
  const listenHost = opts.listenHost ?? (IP_ADDRESS.test(advertise) ? advertise : "0.0.0.0");
  const extraHosts = advertise === "host.docker.internal" && network !== "host" ? ["host.docker.internal:host-gateway"] : [];
  return {
    advertiseHost: advertise,
    listenHost,
    isolation: { network, extraHosts, pidsLimit: opts.pidsLimit ?? 512, tmpSizeMb: opts.tmpSizeMb ?? 512 },
  };
}

/** A list of peer addresses to be known later (once the container has started). */
export function peerList(): { promise: Promise<string[]>; resolve(list: string[]): void; reject(e: Error): void } {
  let resolve!: (list: string[]) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<string[]>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {});
  return { promise, resolve, reject };
}

/** The container's address on `network` (assigned when the container starts). */
export async function containerAddresses(container: Docker.Container, network: string): Promise<string[]> {
  const info = await container.inspect();
  const ip = info.NetworkSettings.Networks?.[network]?.IPAddress;
  if (!ip) throw new Error(`the container has no address on the network "${network}"`);
  return [ip];
}
