/**
 * The one reader of untrusted zips. inspectZip and extractZip both run it, with different sinks, so
 * every safety check lives here once:
 *   1. size of the zip and entry count;
 *   2. every name (entry-path.ts), entry type, encryption and compression method, and the declared
 *      total, all from the central directory before any byte is inflated;
 *   3. whole-archive structure (duplicates, entries under a file or symlink);
 *   4. symlink targets, resolved through the zip's other symlinks;
 *   5. the data, inflated through a counter that trusts no header: it stops an entry as soon as it
 *      yields more bytes than declared or the real total passes the limit, and checks length and CRC-32.
 * Nothing reaches the sink before steps 1–4 passed for the whole archive.
 */
import { Transform, Writable, type Readable, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import zlib from "node:zlib";
import yauzl, { type Entry, type ZipFile } from "yauzl";
import { isApiError } from "../../protocol/errors.ts";
import { MAX_SYMLINK_TARGET_BYTES, normalizeEntryName, structureProblem, symlinkResolutionProblem, symlinkTargetProblem } from "./entry-path.ts";
import { codeTooLarge, formatBytes, invalidZip, unsafeEntry, unzippedTooLarge, zippedTooLarge } from "./zip-errors.ts";
import { DEFAULT_ZIP_LIMITS, type ZipEntryInfo, type ZipLimits, type ZipManifest } from "./zip-manifest.ts";

/** Where validated entries go. Called only after the whole archive's names and symlinks passed. */
export interface ZipSink {
  directory(entry: ZipEntryInfo): Promise<void>;
  /** A writable for the file's bytes, or null to only count and verify them. */
  file(entry: ZipEntryInfo): Promise<Writable | null>;
  /** Called after all files and directories. */
  symlink(entry: ZipEntryInfo & { symlinkTarget: string }): Promise<void>;
}

interface PendingEntry {
  /** Name as stored in the zip (for messages). */
  name: string;
  entry: Entry;
  info: ZipEntryInfo;
}

interface Budget {
  used: number;
  readonly max: number;
}

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const METHOD_STORED = 0;
const METHOD_DEFLATED = 8;

/** Read, validate and stream every entry of `buf` into `sink`. Rejects with ApiError on any bad input. */
export async function walkZip(buf: Buffer | Uint8Array, limits: Partial<ZipLimits> | undefined, sink: ZipSink): Promise<ZipManifest> {
  const lim: ZipLimits = { ...DEFAULT_ZIP_LIMITS, ...limits };
  const data = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (data.length > lim.maxZippedBytes) throw zippedTooLarge(data.length, lim.maxZippedBytes);

  let zip: ZipFile;
  try {
    // decodeStrings: false: yauzl's own name check would reject with a generic error (and rewrite
    // backslashes first); we decode names ourselves so entry-path.ts judges them and names them.
    // validateEntrySizes: false: EntryCounter below enforces sizes, earlier and with our error codes.
    zip = await yauzl.fromBufferPromise(data, { lazyEntries: true, decodeStrings: false, validateEntrySizes: false, strictFileNames: true });
  } catch (e) {
    throw invalidZip(describe(e));
  }
  try {
    if (zip.entryCount > lim.maxEntries) {
      throw codeTooLarge(`The zip has ${zip.entryCount} entries; the limit is ${lim.maxEntries}. Remove files the function does not need and zip again.`);
    }
    const pending = await readCentralDirectory(zip);

    const declared = pending.reduce((sum, p) => sum + (p.info.isDirectory ? 0 : p.entry.uncompressedSize), 0);
    if (declared > lim.maxUnzippedBytes) throw unzippedTooLarge(lim.maxUnzippedBytes, `would be ${formatBytes(declared)}`);

    const structural = structureProblem(pending.map((p) => ({ name: p.name, path: p.info.path, isDirectory: p.info.isDirectory })));
    if (structural) throw unsafeEntry(structural.name, structural.why);

    const budget: Budget = { used: 0, max: lim.maxUnzippedBytes };
    await readSymlinkTargets(zip, pending, budget);

    for (const p of pending) {
      if (p.info.isDirectory) await sink.directory(p.info);
      else if (!p.info.isSymlink) p.info.size = await copyEntry(zip, p, budget, (await sink.file(p.info)) ?? discard());
    }
    for (const p of pending) {
      if (p.info.isSymlink) await sink.symlink(p.info as ZipEntryInfo & { symlinkTarget: string });
    }
    return { entries: pending.map((p) => p.info), totalUncompressed: budget.used };
  } finally {
    zip.close();
  }
}

/** Every entry's metadata, with names and types validated. Reads no file data. */
async function readCentralDirectory(zip: ZipFile): Promise<PendingEntry[]> {
  const pending: PendingEntry[] = [];
  const iterator = zip.eachEntry();
  for (;;) {
    let next: IteratorResult<Entry>;
    try {
      next = await iterator.next();
    } catch (e) {
      throw invalidZip(describe(e));
    }
    if (next.done) break;
    const p = classify(next.value);
    if (p) pending.push(p);
  }
  return pending;
}

/** Validate one central-directory entry; undefined for an entry naming the root itself (`./`). */
function classify(entry: Entry): PendingEntry | undefined {
  // strictFileNames = true keeps backslashes so that normalizeEntryName sees (and names) them.
  const name = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, true);
  const norm = normalizeEntryName(name);
  if (!norm.ok) throw unsafeEntry(name, norm.why);

  // The high 16 bits of the external attributes hold the unix mode when the zip was made on unix.
  const unixMode = entry.externalFileAttributes >>> 16;
  const type = unixMode & S_IFMT;
  const isDirectory = norm.isDirectory || type === S_IFDIR;
  const isSymlink = !isDirectory && type === S_IFLNK;
  if (norm.path === "") {
    if (isDirectory) return undefined;
    throw unsafeEntry(name, "does not name a file inside the code directory");
  }
  if (!isDirectory && type !== 0 && type !== S_IFREG && type !== S_IFLNK) {
    throw unsafeEntry(name, "is a device, FIFO or socket, not a regular file");
  }
  if (entry.isEncrypted()) throw invalidZip(`entry ${JSON.stringify(name)} is encrypted; upload a zip without a password`);
  if (!isDirectory && entry.compressionMethod !== METHOD_STORED && entry.compressionMethod !== METHOD_DEFLATED) {
    throw invalidZip(`entry ${JSON.stringify(name)} uses compression method ${entry.compressionMethod}; only stored and deflated entries are supported`);
  }
  const mode = unixMode !== 0 ? unixMode & 0o7777 : isDirectory ? 0o755 : isSymlink ? 0o777 : 0o644;
  const info: ZipEntryInfo = { path: norm.path, size: 0, isDirectory, isSymlink, mode };
  return { name, entry, info };
}

/** Read every symlink's target, then check each one, resolving through the zip's other symlinks. */
async function readSymlinkTargets(zip: ZipFile, pending: PendingEntry[], budget: Budget): Promise<void> {
  const links = new Map<string, string>();
  const symlinks = pending.filter((p) => p.info.isSymlink);
  for (const p of symlinks) {
    if (p.entry.uncompressedSize > MAX_SYMLINK_TARGET_BYTES) {
      throw unsafeEntry(p.name, `is a symlink whose target is longer than ${MAX_SYMLINK_TARGET_BYTES} bytes`, "symlink");
    }
    const chunks: Buffer[] = [];
    const collect = new Writable({
      write(chunk: Buffer, _enc, cb) {
        chunks.push(chunk);
        cb();
      },
    });
    p.info.size = await copyEntry(zip, p, budget, collect);
    const target = Buffer.concat(chunks).toString("utf8");
    const problem = symlinkTargetProblem(target);
    if (problem) throw unsafeEntry(p.name, problem, "symlink");
    p.info.symlinkTarget = target;
    links.set(p.info.path, target);
  }
  for (const p of symlinks) {
    const problem = symlinkResolutionProblem(p.info.path, links);
    if (problem) throw unsafeEntry(p.name, problem, "symlink");
  }
}

/** Inflate one entry into `dest` through the counter. Returns the real byte count. */
async function copyEntry(zip: ZipFile, p: PendingEntry, budget: Budget, dest: Writable): Promise<number> {
  let source: Readable;
  try {
    source = await zip.openReadStreamPromise(p.entry);
  } catch (e) {
    dest.destroy();
    throw invalidZip(`entry ${JSON.stringify(p.name)}: ${describe(e)}`);
  }
  const counter = new EntryCounter(p, budget);
  try {
    await pipeline(source, counter, dest);
  } catch (e) {
    if (isApiError(e)) throw e;
    // Errors from the sink (the disk) are ours, not the upload's: pass them on unchanged.
    if (typeof (e as { syscall?: unknown }).syscall === "string") throw e;
    throw invalidZip(`entry ${JSON.stringify(p.name)}: ${describe(e)}`);
  }
  return counter.bytes;
}

/** Counts real inflated bytes, stops early on a lying header or a blown budget, and checks the CRC-32. */
class EntryCounter extends Transform {
  bytes = 0;
  private crc = 0;
  constructor(
    private readonly p: PendingEntry,
    private readonly budget: Budget,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    this.budget.used += chunk.length;
    const declared = this.p.entry.uncompressedSize;
    if (this.bytes > declared) {
      return cb(
        codeTooLarge(
          `Zip entry ${JSON.stringify(this.p.name)} inflates to more than the ${declared} bytes its header declares ` +
            `(a zip bomb or a corrupt archive); unzipped code may be at most ${formatBytes(this.budget.max)}. Rebuild the zip with a standard tool.`,
        ),
      );
    }
    if (this.budget.used > this.budget.max) return cb(unzippedTooLarge(this.budget.max, `is more than ${formatBytes(this.budget.max)}`));
    this.crc = crc32(chunk, this.crc);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    const declared = this.p.entry.uncompressedSize;
    if (this.bytes !== declared) return cb(invalidZip(`entry ${JSON.stringify(this.p.name)} is truncated (${this.bytes} of ${declared} bytes)`));
    if (this.crc >>> 0 !== this.p.entry.crc32 >>> 0) return cb(invalidZip(`entry ${JSON.stringify(this.p.name)} is corrupt (CRC-32 mismatch)`));
    cb();
  }
}

function discard(): Writable {
  return new Writable({
    write(_chunk, _enc, cb) {
      cb();
    },
  });
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

// zlib.crc32 exists from Node 20.15; the table version keeps older 20.x working.
let table: Uint32Array | undefined;
function tableCrc32(chunk: Buffer, value: number): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = (value ^ 0xffffffff) >>> 0;
  for (let i = 0; i < chunk.length; i++) crc = table[(crc ^ chunk[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
const crc32: (chunk: Buffer, value: number) => number =
  typeof (zlib as { crc32?: unknown }).crc32 === "function" ? (c, v) => zlib.crc32(c, v) : tableCrc32;
