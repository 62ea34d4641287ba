import { test } from "node:test";
import assert from "node:assert/strict";
import type { networkInterfaces } from "node:os";
import { firstHost, gatewayAddress, type NetworkInfo } from "./networking.ts";

type Interfaces = ReturnType<typeof networkInterfaces>;

const v4 = (address: string, cidr: string) => ({ address, netmask: "255.255.0.0", family: "IPv4" as const, mac: "02:42:00:00:00:00", internal: false, cidr });

// What Debian's docker.io 20.10 reports for the default bridge: a subnet, no gateway.
const DEFAULT_BRIDGE: NetworkInfo = {
  Id: "fd0c34ee7a00b03c11e925f5693f17a3334ce7267a9238eafe2da4027bd830af",
  Driver: "bridge",
  IPAM: { Config: [{ Subnet: "172.17.0.0/16" }] },
  Options: { "com.docker.network.bridge.default_bridge": "true", "com.docker.network.bridge.name": "docker0" },
};

test("uses the IPAM gateway when the network lists one", () => {
  assert.equal(gatewayAddress({ IPAM: { Config: [{ Subnet: "172.20.0.0/16", Gateway: "172.20.0.1" }] } }, {}), "172.20.0.1");
});

test("without a listed gateway, uses the IPv4 address of the network's bridge interface", () => {
  const ifs: Interfaces = { docker0: [v4("172.17.0.1", "172.17.0.1/16")], eth0: [v4("10.0.0.5", "10.0.0.5/24")] };
  assert.equal(gatewayAddress(DEFAULT_BRIDGE, ifs), "172.17.0.1");
});

test("prefers the bridge address inside the network's subnet when the bridge has several", () => {
  const ifs: Interfaces = { docker0: [v4("192.168.9.1", "192.168.9.1/24"), v4("172.17.0.1", "172.17.0.1/16")] };
  assert.equal(gatewayAddress(DEFAULT_BRIDGE, ifs), "172.17.0.1");
});

test("a user-defined bridge without the name option is found as br-<first 12 of its id>", () => {
  const info: NetworkInfo = { Id: "0123456789abcdef", Driver: "bridge", IPAM: { Config: [{ Subnet: "172.30.0.0/16" }] }, Options: {} };
  assert.equal(gatewayAddress(info, { "br-0123456789ab": [v4("172.30.0.1", "172.30.0.1/16")] }), "172.30.0.1");
});

test("falls back to the subnet's first address when this host has no such interface (the runner in a container)", () => {
  assert.equal(gatewayAddress({ ...DEFAULT_BRIDGE, IPAM: { Config: [{ Subnet: "10.99.0.0/16" }] } }, {}), "10.99.0.1");
});

test("undefined when there is neither a gateway, a bridge interface nor an IPv4 subnet", () => {
  assert.equal(gatewayAddress({ Driver: "macvlan", IPAM: { Config: [] } }, {}), undefined);
  assert.equal(gatewayAddress({ Driver: "bridge", IPAM: { Config: [{ Subnet: "fd00::/64" }] }, Options: null }, {}), undefined);
});

test("firstHost computes the first address of an IPv4 subnet, normalising host bits", () => {
  assert.equal(firstHost("172.17.0.0/16"), "172.17.0.1");
  assert.equal(firstHost("10.1.2.77/24"), "10.1.2.1");
  assert.equal(firstHost("10.1.2.3/32"), undefined);
  assert.equal(firstHost("nonsense"), undefined);
});
