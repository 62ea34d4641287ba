/**
 * Hands out sandbox uids from a range, one per instance, host-wide: a claim is a symlink
 * `<dir>/<uid> -> <owner tag>` (creating a symlink is atomic), so two runners on one host (or two
 * test processes) never give the same uid to two instances. A claim whose owner process is dead
 * is a crashed runner's leftover: its processes are killed and the uid is reused. Each runner
 * starts searching at a random point of the range, so runners rarely contend for the same uid.
 */
import { mkdirSync, readdirSync, readlinkSync, symlinkSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { ownerAlive, signalUid } from "./host-processes.ts";

export interface UidRange {
  first: number;
  last: number;
}

/** `200000-265535` → range; throws naming what is wrong. */
export function parseUidRange(text: string): UidRange {
  const m = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(text);
  if (!m) throw new Error(`"${text}" is not a uid range first-last (e.g. 200000-265535)`);
  const first = Number(m[1]);
  const last = Number(m[2]);
  if (first < 1000) throw new Error(`the first sandbox uid ${first} is below 1000, where system users live`);
  if (last > 4_294_967_294) throw new Error(`the last sandbox uid ${last} is above 4294967294`);
  if (last < first) throw new Error(`the range ${first}-${last} is empty`);
  return { first, last };
}

export class UidClaims {
  private readonly mine = new Set<number>();
  private next: number;

  constructor(
    private readonly dir: string,
    private readonly range: UidRange,
    private readonly owner: string,
  ) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const size = range.last - range.first + 1;
    this.next = range.first + Math.floor(Math.random() * size);
  }

  /** A uid no other live instance on this host has. Throws when the whole range is in use. */
  async claim(): Promise<number> {
    const size = this.range.last - this.range.first + 1;
    for (let i = 0; i < size; i++) {
      const uid = this.next;
      this.next = uid >= this.range.last ? this.range.first : uid + 1;
      if (this.mine.has(uid)) continue;
      if (await this.tryClaim(uid)) {
        this.mine.add(uid);
        return uid;
      }
    }
    throw new Error(`every sandbox uid in ${this.range.first}-${this.range.last} is in use; widen RUNNER_SANDBOX_UID_RANGE`);
  }

  /** Kill whatever still runs as `uid` (the instance's whole tree, unless `sweep` is false) and give the uid back. */
  async release(uid: number, opts: { sweep?: boolean } = {}): Promise<void> {
    if (!this.mine.has(uid)) return;
    if (opts.sweep !== false) await signalUid(uid, "SIGKILL");
    try {
      unlinkSync(join(this.dir, String(uid)));
    } catch {
      // already gone
    }
    this.mine.delete(uid);
  }

  /** Reap the claims of runners that are gone: kill their uids' processes and free the uids. Returns the uids reaped. */
  async reapDead(): Promise<number[]> {
    const reaped: number[] = [];
    for (const name of readdirSync(this.dir)) {
      const uid = Number(name);
      if (!Number.isInteger(uid) || uid <= 0) continue;
      let tag: string;
      try {
        tag = readlinkSync(join(this.dir, name));
      } catch {
        continue;
      }
      if (tag === this.owner || ownerAlive(tag)) continue;
      await signalUid(uid, "SIGKILL");
      try {
        unlinkSync(join(this.dir, name));
        reaped.push(uid);
      } catch {
        // another runner reaped it first
      }
    }
    return reaped;
  }

  private async tryClaim(uid: number): Promise<boolean> {
    const link = join(this.dir, String(uid));
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        symlinkSync(this.owner, link);
        return true;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      }
      let tag: string;
      try {
        tag = readlinkSync(link);
      } catch {
        continue; // released meanwhile: try again
      }
      if (tag === this.owner || ownerAlive(tag)) return false;
      // A crashed runner's claim: end its leftovers, then take the uid.
      await signalUid(uid, "SIGKILL");
      try {
        unlinkSync(link);
      } catch {
        // someone else took it over
      }
    }
    return false;
  }
}
