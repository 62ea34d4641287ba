/**
 * How containers and the runner reach each other: which network function containers join, the
 * address they dial for the fast channel and the Runtime API (127.0.0.1 with host networking, the
 * network's gateway otherwise, or what the operator configured), the address the runner's
 * listeners bind, and a container's own address, which alone may use its Runtime API.
 *
 * The gateway is not always in the network's IPAM config: Debian's docker.io 20.10 lists only the
 * subnet of the default `bridge` network. The host's side of a bridge network is then the address
 * of its bridge interface (the `com.docker.network.bridge.name` option, docker0 by default, br-<id>
 * for a user-defined network), and failing that the subnet's first address, which is where the
 * engine puts the bridge unless told otherwise. The fallback matters: os.networkInterfaces() omits
 * a bridge without carrier, which docker0 is until its first container runs.
 */
import { networkInterfaces } from "node:os";
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
      advertise = gatewayAddress((await docker.getNetwork(network).inspect()) as NetworkInfo);
      if (!advertise) {
        throw new Error(
          `Docker network "${network}" has no gateway address, no bridge interface on this host and no IPv4 subnet; ` +
            `set RUNNER_RUNTIME_API_HOST to the address containers use to reach the runner`,
        );
      }
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

/** The parts of `docker network inspect` the gateway is found from. */
export interface NetworkInfo {
  Id?: string;
  Driver?: string;
  IPAM?: { Config?: Array<{ Subnet?: string; Gateway?: string }> | null };
  Options?: Record<string, string> | null;
}

type Interfaces = ReturnType<typeof networkInterfaces>;

/**
 * The address containers on a network use to reach the host: the IPAM gateway when listed, else
 * the IPv4 address of the network's bridge interface, else the first address of its IPv4 subnet.
 * Undefined when none of these exists. `interfaces` is injectable for tests.
 */
export function gatewayAddress(info: NetworkInfo, interfaces: Interfaces = networkInterfaces()): string | undefined {
  const configs = info.IPAM?.Config ?? [];
  const listed = configs.find((c) => c.Gateway)?.Gateway;
  if (listed) return listed.split("/")[0];
  const bridge = bridgeName(info);
  const subnets = configs.map((c) => c.Subnet).filter((s): s is string => s !== undefined && s.includes("."));
  if (bridge !== undefined) {
    const addrs = (interfaces[bridge] ?? []).filter((a) => a.family === "IPv4");
    // Prefer the bridge address inside the network's subnet (a bridge may carry more than one).
    const inSubnet = addrs.find((a) => subnets.some((s) => inIpv4Subnet(a.address, s)));
    const found = inSubnet ?? addrs[0];
    if (found) return found.address;
  }
  return subnets.length > 0 ? firstHost(subnets[0]) : undefined;
}

/** The host interface of a bridge network: its option, or Docker's default name (docker0 / br-<first 12 of the id>). */
function bridgeName(info: NetworkInfo): string | undefined {
  const named = info.Options?.["com.docker.network.bridge.name"];
  if (named) return named;
  if (info.Driver !== undefined && info.Driver !== "bridge") return undefined;
  if (info.Options?.["com.docker.network.bridge.default_bridge"] === "true") return "docker0";
  return info.Id ? `br-${info.Id.slice(0, 12)}` : undefined;
}

function ipv4ToInt(ip: string): number | undefined {
  const parts = ip.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return undefined;
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

function intToIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

function parseSubnet(cidr: string): { base: number; mask: number } | undefined {
  const [ip, bitsText] = cidr.split("/");
  const base = ipv4ToInt(ip);
  const bits = Number(bitsText);
  if (base === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32) return undefined;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return { base: (base & mask) >>> 0, mask };
}

function inIpv4Subnet(ip: string, cidr: string): boolean {
  const n = ipv4ToInt(ip);
  const net = parseSubnet(cidr);
  return n !== undefined && net !== undefined && ((n & net.mask) >>> 0) === net.base;
}

/** The subnet's first usable address (172.17.0.0/16 → 172.17.0.1). */
export function firstHost(cidr: string): string | undefined {
  const net = parseSubnet(cidr);
  if (net === undefined || net.mask === 0xffffffff) return undefined;
  return intToIpv4((net.base + 1) >>> 0);
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
