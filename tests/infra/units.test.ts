/** Readable units ("512 MB", "0.5 vCPU", "15 days") convert to what each target needs. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { isSize, toCpuQuantity, toGigabytes, toMegabytes, toPrometheusDuration, toQuantity, toSeconds } from "../../infra/units.ts";
import { subnetCidr } from "../../infra/targets/aws-network.ts";

test("sizes are binary and become Kubernetes quantities", () => {
  assert.equal(toMegabytes("512 MB"), 512);
  assert.equal(toMegabytes("10 GB"), 10240);
  assert.equal(toQuantity("10 GB"), "10Gi");
  assert.equal(toQuantity("1.5 GB"), "1536Mi");
  assert.equal(toGigabytes("512 MB"), 1);
  assert.equal(isSize("10G"), false);
  assert.equal(isSize("0 MB"), false);
  assert.throws(() => toMegabytes("lots" as never), { message: '"lots" must be a size like "512 MB" or "10 GB"' });
});

test("CPU and durations convert to millicores, seconds and Prometheus syntax", () => {
  assert.equal(toCpuQuantity("0.5 vCPU"), "500m");
  assert.equal(toCpuQuantity("2 vCPU"), "2000m");
  assert.equal(toSeconds("10 minutes"), 600);
  assert.equal(toPrometheusDuration("15 days"), "15d");
  assert.equal(toPrometheusDuration("90 minutes"), "90m");
  assert.equal(toPrometheusDuration("2 hours"), "2h");
});

test("a VPC CIDR splits into equal subnets", () => {
  assert.equal(subnetCidr("10.0.0.0/16", 4, 0), "10.0.0.0/20");
  assert.equal(subnetCidr("10.0.0.0/16", 4, 1), "10.0.16.0/20");
  assert.equal(subnetCidr("10.0.0.0/16", 4, 8), "10.0.128.0/20");
  assert.equal(subnetCidr("172.16.0.0/18", 4, 15), "172.16.60.0/22");
});
