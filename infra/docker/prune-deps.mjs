// Prune an installed node_modules to the production closure, offline and without npm.
//
//   node prune-deps.mjs <app-dir> [--exclude=<prefix>]...
//
// Walks package-lock.json (lockfile v2/v3) from the root package's `dependencies` and
// `optionalDependencies`, resolving each name the way Node does (nearest node_modules upwards),
// and deletes every installed package outside that closure: dev dependencies, and root
// dependencies whose name starts with an --exclude prefix (the images exclude `@pulumi/`, which
// only the infra program and user stacks need). The image builds copy the host's installed
// node_modules into a build stage and run this there, so they need no registry and no network.
import { existsSync, lstatSync, readFileSync, readdirSync, readlinkSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

const [appDir, ...flags] = process.argv.slice(2);
if (!appDir) {
  console.error("usage: node prune-deps.mjs <app-dir> [--exclude=<prefix>]...");
  process.exit(2);
}
const excludes = flags.filter((f) => f.startsWith("--exclude=")).map((f) => f.slice("--exclude=".length));
const root = resolve(appDir);
const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8"));
const packages = lock.packages;
if (!packages || !packages[""]) {
  console.error("prune-deps: package-lock.json has no `packages` map (lockfileVersion 2 or 3 is required)");
  process.exit(2);
}

/** Resolve `name` as required from the package installed at `from` ("" is the root). */
function resolveFrom(from, name) {
  let base = from;
  for (;;) {
    const candidate = base ? `${base}/node_modules/${name}` : `node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!base) return undefined;
    const at = base.lastIndexOf("/node_modules/");
    base = at === -1 ? "" : base.slice(0, at);
  }
}

const rootPkg = packages[""];
const keep = new Set();
const queue = [];
for (const name of Object.keys({ ...rootPkg.dependencies, ...rootPkg.optionalDependencies })) {
  if (excludes.some((prefix) => name.startsWith(prefix))) continue;
  queue.push(["", name]);
}
while (queue.length > 0) {
  const [from, name] = queue.pop();
  const path = resolveFrom(from, name);
  if (!path || keep.has(path)) continue; // missing optional dependency, or already kept
  keep.add(path);
  const entry = packages[path];
  const target = entry.link ? entry.resolved : path;
  if (entry.link && target) keep.add(target);
  const deps = { ...packages[target]?.dependencies, ...packages[target]?.optionalDependencies, ...packages[target]?.peerDependencies };
  for (const dep of Object.keys(deps)) queue.push([target, dep]);
}

let removed = 0;
for (const path of Object.keys(packages)) {
  if (!path.startsWith("node_modules/") || keep.has(path)) continue;
  const dir = join(root, path);
  if (existsSync(dir)) {
    rmSync(dir, { recursive: true, force: true });
    removed++;
  }
}
// Drop scope directories left empty, dangling bin links and npm's hidden lockfile, which now describes packages that are gone.
for (const entry of readdirSync(join(root, "node_modules"))) {
  const dir = join(root, "node_modules", entry);
  if (entry.startsWith("@") && readdirSync(dir).length === 0) rmSync(dir, { recursive: true, force: true });
}
const binDir = join(root, "node_modules/.bin");
if (existsSync(binDir)) {
  for (const entry of readdirSync(binDir)) {
    const link = join(binDir, entry);
    if (lstatSync(link).isSymbolicLink() && !existsSync(resolve(dirname(link), readlinkSync(link)))) rmSync(link, { force: true });
  }
}
rmSync(join(root, "node_modules/.package-lock.json"), { force: true });
console.log(`prune-deps: kept ${keep.size} packages, removed ${removed}${excludes.length ? ` (excluded ${excludes.join(", ")})` : ""}`);
