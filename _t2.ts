import { PGlite } from "@electric-sql/pglite";
const t0 = performance.now();
const a = new PGlite("/tmp/pgl-a-" + Date.now(), { relaxedDurability: true });
await a.waitReady; const t1 = performance.now();
await a.close();
const m = new PGlite(); await m.waitReady; const t2 = performance.now();
const dump = await m.dumpDataDir("none"); const t3 = performance.now();
const b = new PGlite("/tmp/pgl-b-" + Date.now(), { loadDataDir: dump, relaxedDurability: true }); await b.waitReady; const t4 = performance.now();
console.log({ relaxedFresh: t1 - t0, memoryInit: t2 - t1, dump: t3 - t2, loadFromDump: t4 - t3, size: dump.size });
