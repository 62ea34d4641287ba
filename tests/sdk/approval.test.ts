/**
 * The Alias provider on a protected alias, called directly against a real control plane on
 * Postgres and Redis: a version change becomes a Direct deployment that waits in PendingApproval,
 * reports (once, as a warning) who must approve and the requests that approve or reject it, and
 * resolves once another principal approved it; a rejection fails the update with the rejecter and
 * reason while the alias stays; unprotecting with a key that may not approve fails with the reason.
 */
import { after, before, describe } from "node:test";
import assert from "node:assert/strict";
import { createApiClient, type ApiClient } from "../../client/index.ts";
import { functionProvider } from "../../infra/sdk/function-provider.ts";
import { aliasProvider } from "../../infra/sdk/alias-provider.ts";
import type { AliasOutputs } from "../../infra/sdk/alias-inputs.ts";
import { expectOk } from "../support/deploy.ts";
import { platformKeys, type PlatformKeys } from "../support/keys.ts";
import { it, serversSkipReason, SkipError, startPlatform, type TestPlatform } from "../support/platform.ts";
import { aliasInputs, captureLogs, codeDir, functionInputs, nodeHandler, removeCodeDirs } from "./support/sdk.ts";

describe("hotswap.Alias on a protected alias [servers]", { timeout: 180_000 }, () => {
  let p: TestPlatform | undefined;
  let keys: PlatformKeys | undefined;
  let skip: string | undefined;
  let requester: { url: string; key: string; subject: string };
  let approver: { api: ApiClient; subject: string };
  before(async () => {
    skip = await serversSkipReason();
    if (skip) return;
    p = await startPlatform("servers");
    keys = await platformKeys(p);
    const r = await keys.add("stack", "deployer");
    requester = { url: p.url, key: r.key, subject: r.subject };
    const a = await keys.add("release-manager", "deployer", { canApprove: true });
    approver = { api: createApiClient({ baseUrl: p.url, apiKey: a.key }), subject: a.subject };
  });
  after(async () => {
    await keys?.close();
    await p?.close();
    await removeCodeDirs();
  });
  const platform = () => {
    if (skip) throw new SkipError(skip);
    return p!;
  };

  /** Waits for the function's deployment on alias live to be PendingApproval; returns its id. */
  async function pendingDeployment(fn: string): Promise<string> {
    const until = Date.now() + 30_000;
    while (Date.now() < until) {
      const list = expectOk(await approver.api.deployments.list({ functionName: fn, status: "PendingApproval" }), "listing deployments");
      if (list.deployments[0]) return list.deployments[0].deploymentId;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail(`no PendingApproval deployment of ${fn} within 30 s`);
  }

  it("waits for approval, says who must approve and how, and ends on the new version once approved; a rejection fails the update", async () => {
    const pl = platform();
    let fn = (await functionProvider.create(await functionInputs(pl, "guarded", await codeDir(nodeHandler("v1"))))).outs;
    const created = await aliasProvider.create(await aliasInputs(requester, "guarded", "live", 1, { protected: true }));
    let alias = created.outs as AliasOutputs;
    assert.equal(expectOk(await approver.api.aliases.get("guarded", "live"), "alias").protected, true);

    fn = (await functionProvider.update!("guarded", fn, await functionInputs(pl, "guarded", await codeDir(nodeHandler("v2"))))).outs;
    const news = await aliasInputs(requester, "guarded", "live", 2, { protected: true });
    assert.deepEqual(await aliasProvider.diff!("guarded:live", alias, news), { changes: true, replaces: [], deleteBeforeReplace: false });
    const updating = captureLogs(() => aliasProvider.update!("guarded:live", alias, news));
    const id = await pendingDeployment("guarded");
    await new Promise((r) => setTimeout(r, 1500)); // the provider polls every second: let it see PendingApproval
    assert.equal(expectOk(await approver.api.aliases.get("guarded", "live"), "alias").version, 1, "nothing moves before the approval");
    expectOk(await approver.api.deployments.approve(id), "approving", 200);
    const logged = await updating;
    assert.ifError(logged.error);
    alias = logged.result!.outs as AliasOutputs;
    assert.equal(alias.version, 2);
    assert.equal(alias.deploymentId, id);
    assert.equal(expectOk(await approver.api.aliases.get("guarded", "live"), "alias").version, 2);
    const notices = logged.lines.filter((l) => l.startsWith("warn: ") && l.includes("waits for approval"));
    assert.equal(notices.length, 1, `one approval notice: ${logged.lines.join("\n")}`);
    assert.match(notices[0]!, new RegExp(`hotswap\\.Alias "guarded:live": alias "live" is protected, so deployment ${id} \\(version 1 → 2\\) waits for approval until \\S+Z\\. It must be approved by any principal other than ${requester.subject} holding permission "deployments:approve"`));
    assert.ok(notices[0]!.includes(`curl -X POST -H "Authorization: Bearer <approver key>" ${pl.url}/api/v1/deployments/${id}/approve`), notices[0]);
    assert.ok(notices[0]!.includes(`${pl.url}/api/v1/deployments/${id}/reject`), notices[0]);
    assert.ok(logged.lines.some((l) => l.includes(`approved by ${approver.subject}`)), "the approval event is reported");

    fn = (await functionProvider.update!("guarded", fn, await functionInputs(pl, "guarded", await codeDir(nodeHandler("v3"))))).outs;
    const rejecting = captureLogs(() => aliasProvider.update!("guarded:live", alias, { ...news, version: 3 }));
    const second = await pendingDeployment("guarded");
    expectOk(await approver.api.deployments.reject(second, "change freeze"), "rejecting", 200);
    const refused = await rejecting;
    assert.ok(refused.error, "a rejected deployment fails the update");
    assert.match(
      refused.error.message,
      new RegExp(`hotswap\\.Alias "guarded:live": the deployment of version 3 \\(${second}\\) was rejected by ${approver.subject}: change freeze\\. The alias stays on version 2`),
    );
    assert.equal(expectOk(await approver.api.aliases.get("guarded", "live"), "alias").version, 2);

    const unprotect = await captureLogs(() => aliasProvider.update!("guarded:live", alias, { ...news, protected: false }));
    assert.ok(unprotect.error, "a key that may not approve cannot unprotect");
    assert.match(unprotect.error.message, /protected: false failed \(Forbidden, HTTP 403\): Unprotecting alias "live" of function "guarded" needs permission "deployments:approve"/);
    assert.equal(expectOk(await approver.api.aliases.get("guarded", "live"), "alias").protected, true);
  });

  it("a stack that leaves protected unset follows an alias protected by hand: its version change waits for approval", async () => {
    const pl = platform();
    let fn = (await functionProvider.create(await functionInputs(pl, "handheld", await codeDir(nodeHandler("v1"))))).outs;
    const alias = (await aliasProvider.create(await aliasInputs(requester, "handheld", "live", 1))).outs as AliasOutputs;
    expectOk(await approver.api.aliases.put("handheld", "live", { version: 1, protected: true }), "protecting by hand", 200);
    const read = await aliasProvider.read!("handheld:live", alias);
    assert.equal((read.props as AliasOutputs).protected, true, "refresh reads the protection");
    fn = (await functionProvider.update!("handheld", fn, await functionInputs(pl, "handheld", await codeDir(nodeHandler("v2"))))).outs;
    const updating = captureLogs(() => aliasProvider.update!("handheld:live", alias, { ...alias, version: 2 }));
    const id = await pendingDeployment("handheld");
    expectOk(await approver.api.deployments.approve(id), "approving", 200);
    const logged = await updating;
    assert.ifError(logged.error);
    assert.equal((logged.result!.outs as AliasOutputs).version, 2);
    const live = expectOk(await approver.api.aliases.get("handheld", "live"), "alias");
    assert.deepEqual([live.version, live.protected], [2, true], "moved through the approved deployment, still protected");
  });
});
