/** The README's route × role table is the one scripts/route-table.ts renders from the permission table. */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { describe, it } from "node:test";
import { ROUTE_PERMISSIONS } from "../../platform/src/auth/permissions.ts";
import { renderRouteTable, TABLE_END, TABLE_START, withRouteTable } from "../../scripts/route-table.ts";

describe("the README's route × role table", () => {
  it("is exactly what scripts/route-table.ts renders from ROUTE_PERMISSIONS and ROLE_PERMISSIONS", async () => {
    const readme = await readFile(new URL("../../README.md", import.meta.url), "utf8");
    assert.ok(readme.includes(TABLE_START) && readme.includes(TABLE_END), "the README has the generated block");
    assert.equal(withRouteTable(readme), readme, "README.md's route table is stale: run node --import tsx scripts/route-table.ts");
    const block = readme.slice(readme.indexOf(TABLE_START), readme.indexOf(TABLE_END));
    for (const route of Object.keys(ROUTE_PERMISSIONS)) assert.ok(block.includes(`\`${route}\``), route);
    assert.match(renderRouteTable(), /^\| route \| permission \| admin \| deployer \| invoker \| viewer \|$/m);
    assert.match(renderRouteTable(), /^\| `POST \/api\/v1\/keys` \| `keys:write` \| ✓ \|  \|  \|  \|$/m);
  });
});
