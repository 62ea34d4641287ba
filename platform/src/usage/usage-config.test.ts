/** The usage settings of the control plane's configuration: defaults, overrides, and precise errors. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { loadConfig } from "../config.ts";
import { DEFAULT_PRICING } from "./cost.ts";
import { DEFAULT_USAGE_FLUSH_MS } from "./usage-observer.ts";

test("defaults: a 5 s flush and Lambda's x86 prices in USD", () => {
  assert.deepEqual(loadConfig({}).usage, { flushIntervalMs: DEFAULT_USAGE_FLUSH_MS, pricing: DEFAULT_PRICING });
  assert.deepEqual(DEFAULT_PRICING, { currency: "USD", pricePerGbSecond: 0.0000166667, pricePerMillionRequests: 0.2 });
});

test("reads HOTSWAP_USAGE_FLUSH_MS and the HOTSWAP_PRICE_* settings", () => {
  const c = loadConfig({ HOTSWAP_USAGE_FLUSH_MS: "250", HOTSWAP_PRICE_PER_GB_SECOND: "0.00002", HOTSWAP_PRICE_PER_MILLION_REQUESTS: "0", HOTSWAP_PRICE_CURRENCY: "EUR" });
  assert.deepEqual(c.usage, { flushIntervalMs: 250, pricing: { currency: "EUR", pricePerGbSecond: 0.00002, pricePerMillionRequests: 0 } });
});

test("refuses a negative or non-numeric price, a bad currency and a flush interval out of range, naming each", () => {
  assert.throws(
    () => loadConfig({ HOTSWAP_PRICE_PER_GB_SECOND: "-1", HOTSWAP_PRICE_PER_MILLION_REQUESTS: "cheap", HOTSWAP_PRICE_CURRENCY: "dollars", HOTSWAP_USAGE_FLUSH_MS: "10" }),
    (e: Error) =>
      /HOTSWAP_PRICE_PER_GB_SECOND/.test(e.message) &&
      /HOTSWAP_PRICE_PER_MILLION_REQUESTS: must be a number/.test(e.message) &&
      /HOTSWAP_PRICE_CURRENCY: must be a 3-letter ISO 4217 code/.test(e.message) &&
      /HOTSWAP_USAGE_FLUSH_MS/.test(e.message),
  );
});
