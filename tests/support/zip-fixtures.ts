/**
 * Test-only zip builders: ordinary zips through fflate, and hostile ones (lying headers, huge
 * inflated sizes, duplicate names) through a minimal raw zip writer.
 * Imported by the code-package tests only.
 */
import { createDeflateRaw, crc32 } from "node:zlib";
import { strToU8, zipSync, type Zippable, type ZippableFile } from "fflate";

/** A zip of `files` (path → content) built by fflate; nested objects become directories. */
export function zip(files: Zippable): Buffer {
  return Buffer.from(zipSync(files, { level: 6 }));
}

export function text(s: string): Uint8Array {
  return strToU8(s);
}

/** A regular file with unix permission bits (e.g. 0o755). */
export function unixFile(content: string | Uint8Array, mode: number): ZippableFile {
  const data = typeof content === "string" ? strToU8(content) : content;
  return [data, { os: 3, attrs: ((0o100000 | mode) << 16) >>> 0 }];
}

/** A symlink entry: unix mode 0o120777 whose data is the target. */
export function symlinkTo(target: string): ZippableFile {
  return [strToU8(target), { os: 3, attrs: (0o120777 << 16) >>> 0, level: 0 }];
}

/** Rewrite every entry's declared uncompressed size (local and central headers) to `size`. */
export function withDeclaredSize(zipBuf: Buffer, size: number): Buffer {
  const out = Buffer.from(zipBuf);
  const eocd = out.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = out.readUInt16LE(eocd + 10);
  let p = out.readUInt32LE(eocd + 16);
  for (let i = 0; i < count; i++) {
    out.writeUInt32LE(size, p + 24);
    const local = out.readUInt32LE(p + 42);
    out.writeUInt32LE(size, local + 22);
    p += 46 + out.readUInt16LE(p + 28) + out.readUInt16LE(p + 30) + out.readUInt16LE(p + 32);
  }
  return out;
}

export interface RawEntry {
  name: string | Buffer;
  /** Bytes exactly as stored (already deflated when method is 8). */
  stored: Buffer;
  method: 0 | 8;
  crc: number;
  uncompressedSize: number;
  /** Unix mode including type bits, e.g. 0o100644. */
  unixMode?: number;
  flags?: number;
}

/** Assemble a zip from raw entries, trusting every field given: the way to build lies. */
export function rawZip(entries: RawEntry[]): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = typeof e.name === "string" ? Buffer.from(e.name, "utf8") : e.name;
    const flags = (e.flags ?? 0) | 0x800;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(e.method, 8);
    local.writeUInt32LE(e.crc >>> 0, 14);
    local.writeUInt32LE(e.stored.length, 18);
    local.writeUInt32LE(e.uncompressedSize, 22);
    local.writeUInt16LE(name.length, 26);
    parts.push(local, name, e.stored);

    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE((3 << 8) | 20, 4);
    cd.writeUInt16LE(20, 6);
    cd.writeUInt16LE(flags, 8);
    cd.writeUInt16LE(e.method, 10);
    cd.writeUInt32LE(e.crc >>> 0, 16);
    cd.writeUInt32LE(e.stored.length, 20);
    cd.writeUInt32LE(e.uncompressedSize, 24);
    cd.writeUInt16LE(name.length, 28);
    cd.writeUInt32LE(((e.unixMode ?? 0o100644) << 16) >>> 0, 38);
    cd.writeUInt32LE(offset, 42);
    central.push(cd, name);
    offset += local.length + name.length + e.stored.length;
  }
  const cdBuf = Buffer.concat(central);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(entries.length, 8);
  eocd.writeUInt16LE(entries.length, 10);
  eocd.writeUInt32LE(cdBuf.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, cdBuf, eocd]);
}

/** A stored (uncompressed) raw entry with an honest size and CRC. */
export function storedEntry(name: string | Buffer, content: string | Buffer, unixMode?: number): RawEntry {
  const data = typeof content === "string" ? Buffer.from(content) : content;
  return { name, stored: data, method: 0, crc: crc32(data), uncompressedSize: data.length, unixMode };
}

/**
 * A deflated entry of `size` zero bytes, built by streaming (never holding the inflated bytes).
 * 300 MB of zeros deflates to about 300 KB.
 */
export async function zerosEntry(name: string, size: number): Promise<RawEntry> {
  const chunk = Buffer.alloc(1024 * 1024);
  const deflate = createDeflateRaw({ level: 9 });
  const out: Buffer[] = [];
  deflate.on("data", (b: Buffer) => out.push(b));
  const done = new Promise<void>((resolve, reject) => {
    deflate.on("end", resolve);
    deflate.on("error", reject);
  });
  let crc = 0;
  for (let left = size; left > 0; ) {
    const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
    crc = crc32(piece, crc);
    if (!deflate.write(piece)) await new Promise((r) => deflate.once("drain", r));
    left -= piece.length;
  }
  deflate.end();
  await done;
  return { name, stored: Buffer.concat(out), method: 8, crc, uncompressedSize: size };
}
