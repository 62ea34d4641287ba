/**
 * The web console in Debian's Chromium (playwright-core) against a real embedded platform: sign in
 * with the admin key, create a function, publish two versions by dropping zips, point `live` at v1,
 * invoke it and see its log line in the invoke panel and the live log tail, start a canary of v2
 * and watch the weights move, roll it back, and find the rollback in the audit trail; the other
 * pages render, also 390 px wide. Every step fails on a browser console error or page error, and
 * saves a screenshot of its page under .hotswap/artifacts/console/.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Browser } from "playwright-core";
import { SignJWT } from "jose";
import { ensureConsoleBuilt } from "../../scripts/build-console.ts";
import { CONSOLE_CSP } from "../../platform/src/console/console-assets.ts";
import { startPlatform, type TestPlatform } from "../support/platform.ts";
import { zipFiles } from "../support/zip.ts";
import { chromiumSkipReason, launchChromium, openPage, type WatchedPage } from "./browser.ts";

const FN = "console-hello";
const JWT_SECRET = "console-test-secret-of-32-bytes-or-more";
const AUDIENCE = "hotswap-console-test";
const jwt = (sub: string, roles: string[]) =>
  new SignJWT({ sub, aud: AUDIENCE, roles }).setProtectedHeader({ alg: "HS256" }).setIssuedAt().setExpirationTime("10m").sign(new TextEncoder().encode(JWT_SECRET));
const handler = (version: number) =>
  zipFiles({
    "index.js": `exports.handler = async (event) => { console.log("console-test v${version} hello " + event.name); return { version: ${version}, greeting: "hello " + event.name }; };`,
    "package.json": '{"type":"commonjs"}',
  });

describe("web console", { skip: chromiumSkipReason() }, () => {
  let p: TestPlatform;
  let browser: Browser;
  let w: WatchedPage;
  const step = (name: string, body: () => Promise<void>) =>
    it(name, async () => {
      try {
        await body();
      } finally {
        await w.screenshot(name.replace(/[^a-z0-9]+/gi, "-").toLowerCase()).catch(() => {});
      }
      assert.deepEqual(w.takeErrors(), [], "no browser console or page errors");
    });

  before(async () => {
    await ensureConsoleBuilt();
    p = await startPlatform("embedded", { HOTSWAP_JWT_SECRET: JWT_SECRET, HOTSWAP_JWT_AUDIENCE: AUDIENCE });
    browser = await launchChromium();
    w = await openPage(browser);
    w.page.setDefaultTimeout(20_000);
  });
  after(async () => {
    await browser?.close();
    await p?.close();
  });

  step("serves the console at / with a strict CSP, and signs in with an API key", async () => {
    const res = await w.page.goto(p.url + "/");
    assert.equal(res?.status(), 200);
    assert.equal(res?.headers()["content-security-policy"], CONSOLE_CSP);
    assert.match(CONSOLE_CSP, /default-src 'self'/);
    assert.doesNotMatch(CONSOLE_CSP, /unsafe-inline|unsafe-eval/);
    await w.page.getByLabel("API key or JWT").fill("hs_wrong_" + "x".repeat(32));
    await w.page.getByRole("button", { name: "Sign in" }).click();
    await w.page.getByRole("alert").filter({ hasText: "Unauthorized" }).waitFor();
    // The refused whoami is a 401 the browser logs; that one error, and nothing else, is expected here.
    const refused = w.takeErrors();
    assert.ok(refused.length >= 1 && refused.every((e) => /status of 401 .*\/api\/v1\/whoami/.test(e)), refused.join("\n"));
    await w.page.getByLabel("API key or JWT").fill(p.key);
    await w.page.getByRole("button", { name: "Sign in" }).click();
    await w.page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Functions" }).waitFor();
    for (const page of ["Deployments", "Triggers", "Runners", "Keys", "Audit"]) await w.page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: page }).waitFor();
    const stored = await w.page.evaluate<string | null>(`sessionStorage.getItem("hotswap.console.credential")`);
    assert.ok(stored?.includes(p.key), "the credential is kept in sessionStorage");
  });

  step("creates a function", async () => {
    await w.page.getByLabel("Name").fill(FN);
    await w.page.getByRole("button", { name: "Create function" }).click();
    await w.page.getByRole("heading", { name: FN, level: 1 }).waitFor();
    const fn = await p.api("GET", `/api/v1/functions/${FN}`);
    assert.equal(fn.status, 200);
    assert.equal(fn.json.runtime, "nodejs20");
  });

  step("publishes two versions by dropping zips on the versions tab", async () => {
    await w.page.getByRole("link", { name: "Versions" }).click();
    for (const version of [1, 2]) {
      const bytes = [...handler(version)];
      // A real drop: a DataTransfer holding the zip as a File, built in the page (browser code, as text: this file is type-checked for Node).
      const dataTransfer = await w.page.evaluateHandle(
        `(() => { const dt = new DataTransfer(); dt.items.add(new File([new Uint8Array(${JSON.stringify(bytes)})], "code.zip", { type: "application/zip" })); return dt; })()`,
      );
      await w.page.dispatchEvent("#dropzone", "drop", { dataTransfer });
      await w.page.getByRole("status").filter({ hasText: `Published version ${version}` }).waitFor();
    }
    await w.page.getByRole("cell", { name: "2", exact: true }).waitFor();
    const versions = await p.api("GET", `/api/v1/functions/${FN}/versions`);
    assert.deepEqual(versions.json.versions.map((v: { version: number }) => v.version), [1, 2]);
  });

  step("points the live alias at version 1", async () => {
    await w.page.getByRole("link", { name: "Aliases" }).click();
    await w.page.getByRole("textbox", { name: "Alias", exact: true }).fill("live");
    await w.page.getByRole("textbox", { name: "Version", exact: true }).fill("1");
    await w.page.getByRole("button", { name: "Save alias" }).click();
    await w.page.getByRole("status").filter({ hasText: "Alias live now routes v1 100%" }).waitFor();
    await w.page.getByRole("cell", { name: "v1 100%" }).waitFor();
  });

  let requestId = "";
  step("invokes it and shows the response, cold start and its log line", async () => {
    await w.page.getByRole("link", { name: "Invoke" }).click();
    await w.page.getByLabel("Event (JSON)").fill('{ "name": "browser" }');
    await w.page.getByRole("button", { name: "Invoke", exact: true }).click();
    await w.page.getByTestId("inv-response").filter({ hasText: '"greeting": "hello browser"' }).waitFor();
    assert.equal((await w.page.getByTestId("inv-status").textContent())?.trim(), "200");
    assert.match((await w.page.getByTestId("inv-cold").textContent()) ?? "", /^(yes|no)/);
    await w.page.getByTestId("inv-log").filter({ hasText: "console-test v1 hello browser" }).waitFor();
    requestId = (await w.page.locator(".facts code").textContent()) ?? "";
    assert.match(requestId, /\S{8,}/);
  });

  step("shows the log lines live, filtered by request id", async () => {
    await w.page.getByRole("link", { name: "Logs" }).click();
    const log = w.page.getByRole("log");
    await log.getByText("console-test v1 hello browser").waitFor();
    // A line written while the tail is open arrives through the Server-Sent Events.
    const r = await p.api("POST", `/api/v1/functions/${FN}/invoke`, { name: "live-tail" });
    assert.equal(r.status, 200);
    await log.getByText("console-test v1 hello live-tail").waitFor();
    await w.page.getByLabel("Request id").fill(requestId);
    await w.page.getByRole("button", { name: "Filter" }).click();
    await log.getByText("console-test v1 hello browser").waitFor();
    await log.getByText("console-test v1 hello live-tail").waitFor({ state: "detached" });
  });

  step("shows the usage charts", async () => {
    await w.page.getByRole("link", { name: "Overview" }).click();
    await w.page.getByRole("img", { name: /^Invocations: invocations [1-9]/ }).waitFor();
  });

  step("validates the strategy form, starts a canary, watches the weights move and rolls it back", async () => {
    await w.page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Deployments" }).click();
    const form = w.page.getByRole("form", { name: "Start a deployment" });
    await form.getByRole("textbox", { name: "Function", exact: true }).fill(FN);
    await form.getByRole("textbox", { name: "Version", exact: true }).fill("2");
    await form.getByLabel("Canary share (%)").fill("100");
    await form.getByLabel("Canary duration").fill("ten minutes");
    await form.getByRole("button", { name: "Start deployment" }).click();
    await form.getByText("More than 0 and less than 100").waitFor();
    await form.getByText('"ten minutes" is not an ISO-8601 duration').waitFor();
    assert.equal((await p.api("GET", "/api/v1/deployments")).json.deployments.length, 0, "nothing was sent");
    await form.getByLabel("Canary share (%)").fill("10");
    await form.getByLabel("Canary duration").fill("PT10M");
    await form.getByRole("button", { name: "Start deployment" }).click();
    await w.page.getByRole("heading", { name: /^Deployment / }).waitFor();
    await w.page.getByTestId("dep-weights").filter({ hasText: "v1 90% · v2 10%" }).waitFor();
    await w.page.getByTestId("dep-status").filter({ hasText: "InProgress" }).waitFor();
    await w.page.getByRole("img", { name: /Share of traffic on v2 \(%\): v2 10%/ }).waitFor();
    await w.screenshot("deployment-canary");
    await w.page.getByRole("button", { name: "Roll back" }).click();
    await w.page.getByTestId("dep-status").filter({ hasText: "RolledBack" }).waitFor();
    await w.page.getByTestId("dep-weights").filter({ hasText: /^v1 100%$/ }).waitFor();
    const alias = await p.api("GET", `/api/v1/functions/${FN}/aliases/live`);
    assert.equal(alias.json.version, 1);
    assert.deepEqual(alias.json.routingConfig.additionalVersionWeights, {});
  });

  step("lists the rollback in the audit trail", async () => {
    await w.page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Audit" }).click();
    await w.page.getByRole("row").filter({ hasText: "deployment.rollback" }).waitFor();
    await w.page.getByRole("row").filter({ hasText: "function.create" }).filter({ hasText: `function:${FN}` }).waitFor();
  });

  step("shows runners, triggers and keys", async () => {
    const nav = w.page.getByRole("navigation", { name: "Main" });
    await nav.getByRole("link", { name: "Runners" }).click();
    await w.page.getByRole("cell", { name: new RegExp(`${FN} v1: \\d+/\\d+ warm`) }).waitFor();
    await nav.getByRole("link", { name: "Triggers" }).click();
    await w.page.getByRole("heading", { name: "Create a trigger" }).waitFor();
    await nav.getByRole("link", { name: "Keys" }).click();
    await w.page.getByRole("heading", { name: "Create a key" }).waitFor();
  });

  step("signs a viewer in with a JWT, 390 px wide, and offers it nothing it may not do", async () => {
    const phone = await openPage(browser, { width: 390, height: 844 });
    try {
      await phone.page.goto(p.url + "/");
      await phone.page.getByLabel("API key or JWT").fill(await jwt("vera", ["viewer"]));
      await phone.page.keyboard.press("Enter"); // the form submits from the keyboard
      await phone.page.getByRole("link", { name: FN }).waitFor();
      const overflow = await phone.page.evaluate<number>(`document.documentElement.scrollWidth - window.innerWidth`);
      assert.ok(overflow <= 0, `the page is ${overflow} px wider than the screen`);
      // The list's live alias and usage columns: v1 takes all traffic; the invocations so far are counted.
      const cells = phone.page.getByRole("row").filter({ hasText: FN }).getByRole("cell");
      assert.equal((await cells.nth(3).textContent())?.trim(), "v1 100%");
      assert.match((await cells.nth(4).textContent()) ?? "", /^[1-9]\d*$/);
      await phone.screenshot("functions-390px");
      await phone.page.getByText("vera (viewer)").waitFor();
      const nav = phone.page.getByRole("navigation", { name: "Main" });
      assert.deepEqual(await nav.getByRole("link").allTextContents(), ["Functions", "Deployments", "Triggers", "Runners"]);
      assert.equal(await phone.page.getByRole("heading", { name: "Create a function" }).count(), 0);
      await phone.page.getByRole("link", { name: FN }).click();
      await phone.page.getByRole("heading", { name: FN, level: 1 }).waitFor();
      const tabs = phone.page.getByRole("navigation", { name: "Function sections" });
      // The sections render once the function has loaded (after its heading): wait for them, then read them all.
      await tabs.getByRole("link", { name: "Overview" }).waitFor();
      assert.deepEqual(await tabs.getByRole("link").allTextContents(), ["Overview", "Versions", "Aliases", "Logs", "Configure"], "a viewer may not invoke");
      await tabs.getByRole("link", { name: "Versions" }).click();
      await phone.page.getByRole("cell", { name: "2", exact: true }).waitFor();
      assert.equal(await phone.page.locator("#dropzone").count(), 0, "no upload for a viewer");
      await nav.getByRole("link", { name: "Deployments" }).click();
      await phone.page.getByRole("heading", { name: "Recent deployments" }).waitFor();
      assert.equal(await phone.page.getByRole("heading", { name: "Start a deployment" }).count(), 0);
      await phone.screenshot("deployments-390px-viewer");
      assert.deepEqual(phone.takeErrors(), []);
    } finally {
      await phone.context.close();
    }
  });

  step("signs out and forgets the credential", async () => {
    await w.page.getByRole("button", { name: "Sign out" }).click();
    await w.page.getByLabel("API key or JWT").waitFor();
    assert.equal(await w.page.evaluate<string | null>(`sessionStorage.getItem("hotswap.console.credential")`), null);
  });
});
