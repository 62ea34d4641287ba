/**
 * Code collector: deletes code packages (zips in the code store) that no function version
 * references any more, e.g. after their function was deleted. Runners collect their extracted
 * trees themselves (runner/src/code-cache); this is the control plane's half.
 *
 * Two ways in:
 * - a periodic pass over the whole store, run by one replica at a time (the `code-gc` leader lease);
 * - release(), right after a function is deleted, for the zips its versions used.
 *
 * The grace period: an upload is stored before the version row that references it commits, so an
 * unreferenced object younger than `graceMs` (counted from its last put, which refreshes it) is
 * never deleted; nor is one that became referenced or was put again since it was listed (both are
 * checked again just before each delete). What remains is a put landing between that last check
 * and the delete, a window of one store round trip, and only for bytes unreferenced for longer than
 * the grace period.
 */
import type { CodeObject, CodeStore } from "../../../shared/code-store/code-store.ts";
import type { LeaderLease } from "../../../shared/lease/leader-lease.ts";
import type { Logger } from "../../../shared/logger.ts";
import type { VersionsRepository } from "../db/index.ts";

export interface CodeCollectorOptions {
  versions: Pick<VersionsRepository, "referencedCode" | "referencesCode">;
  codeStore: Pick<CodeStore, "list" | "stat" | "delete">;
  /** Only its holder runs periodic passes; the collector starts and stops it. */
  lease: Pick<LeaderLease, "start" | "stop" | "isLeader">;
  /** Objects put less than this long ago are kept even when unreferenced. */
  graceMs: number;
  /** Time between periodic passes (the first comes one interval after start). */
  intervalMs: number;
  log?: Pick<Logger, "info" | "warn">;
  /** @default Date.now */
  now?: () => number;
}

/** What one pass did. */
export interface CollectionReport {
  /** Objects deleted, by sha256. */
  deleted: string[];
  /** Unreferenced objects kept because they are younger than the grace period. */
  young: number;
  /** Objects some version references. */
  referenced: number;
}

export class CodeCollector {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly opts: CodeCollectorOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** Contend for the lease and collect every interval while holding it. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.opts.lease.start();
    this.timer = setInterval(() => void this.tick(), this.opts.intervalMs);
    this.timer.unref();
  }

  /** Stop the timer, let a running pass finish, hand the lease over. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
    await this.opts.lease.stop();
  }

  /**
   * One pass over the whole store: delete what no version references and the grace period no longer
   * protects. Does nothing (an empty report) unless this replica holds the lease, and stops early
   * when it loses it.
   */
  async collect(): Promise<CollectionReport> {
    const report: CollectionReport = { deleted: [], young: 0, referenced: 0 };
    if (!this.opts.lease.isLeader()) return report;
    // List before reading the references: a version committed after that read was put after the
    // listing began, so its object is young (or is caught by the re-check before the delete).
    const old: CodeObject[] = [];
    for await (const o of this.opts.codeStore.list()) {
      if (this.isOld(o)) old.push(o);
      else report.young++;
    }
    const referenced = await this.opts.versions.referencedCode();
    for (const o of old) {
      if (referenced.has(o.sha256)) {
        report.referenced++;
        continue;
      }
      if (this.stopped || !this.opts.lease.isLeader()) break;
      if (await this.deleteIfUnused(o.sha256)) report.deleted.push(o.sha256);
      else report.young++;
    }
    return report;
  }

  /**
   * After a function was deleted: delete the zips its versions used that no other version shares,
   * unless they are within the grace period (a periodic pass takes those later). Never rejects:
   * a failure is logged and left to the next pass. Returns the sha256s it deleted.
   */
  async release(shas: Iterable<string>): Promise<string[]> {
    const deleted: string[] = [];
    for (const sha of new Set(shas)) {
      try {
        if (await this.deleteIfUnused(sha)) deleted.push(sha);
      } catch (e) {
        this.opts.log?.warn({ err: e, sha256: sha }, "could not delete an unreferenced code package; the next collection retries");
      }
    }
    if (deleted.length > 0) this.opts.log?.info({ deleted: deleted.length }, "deleted the code packages of a deleted function");
    return deleted;
  }

  private async tick(): Promise<void> {
    if (this.running || this.stopped) return;
    const pass = this.collect();
    this.running = pass;
    try {
      const r = await pass;
      if (r.deleted.length > 0) this.opts.log?.info({ deleted: r.deleted.length, young: r.young, referenced: r.referenced }, "collected unreferenced code packages");
    } catch (e) {
      this.opts.log?.warn({ err: e }, "code collection failed; it runs again at the next interval");
    } finally {
      this.running = undefined;
    }
  }

  /** Delete `sha256` when it is unreferenced and older than the grace period, both checked now. */
  private async deleteIfUnused(sha256: string): Promise<boolean> {
    if (await this.opts.versions.referencesCode(sha256)) return false;
    const st = await this.opts.codeStore.stat(sha256);
    if (!st || !this.isOld(st)) return false;
    await this.opts.codeStore.delete(sha256);
    return true;
  }

  private isOld(o: CodeObject): boolean {
    return o.modifiedAt.getTime() <= this.now() - this.opts.graceMs;
  }
}
