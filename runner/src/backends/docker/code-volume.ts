/**
 * How function code reaches containers, read-only, wherever the runner runs. Each runner owns one
 * Docker volume (hotswap-code-<runner>), written only by a code-loader container
 * (runtimes/node/code-loader.mjs) that the runner drives over its attached stdio. Function
 * containers never mount the volume itself: each binds only its own directory of it, read-only, at
 * /var/task. The bind source is the volume's mountpoint on the Docker host, which the daemon
 * resolves, so nothing depends on paths inside the runner (it may itself be a container talking to
 * the Docker socket).
 *
 *   v/<key>/    one tree per code directory, uploaded once and shared by every fresh container of it
 *   s/<token>/  one per stem container, empty until specialisation hard-links v/<key> into it
 */
import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import { lstat, open, readdir, readlink } from "node:fs/promises";
import path from "node:path";
import { PassThrough, type Duplex } from "node:stream";
import type Docker from "dockerode";
import type { FunctionSpec } from "../../../../protocol/invoke.ts";
import { encodeFrameParts, FrameDecoder } from "../../../../protocol/frame.ts";
import { readLines } from "../common/log-lines.ts";
import { labelsFor, lockedDown } from "./container-spec.ts";
import { rethrowDocker, statusOf } from "./docker-connection.ts";

/** Files are sent in pieces of this size, far below the frame limit. */
const CHUNK_BYTES = 4 * 1024 * 1024;
const LOADER_SCRIPT = "/opt/hotswap/code-loader.mjs";
const LOADER_START_TIMEOUT_MS = 20_000;

export interface CodeVolumeOptions {
  docker: Docker;
  runnerId: string;
  /** A HotSwap node runtime image: it holds the code loader script. */
  loaderImage: string;
  /** Where Docker is, for messages. */
  where: string;
}

/** Docker-safe form of a runner id, for volume and container names. */
export function nameSlug(runnerId: string): string {
  return runnerId.replace(/[^a-zA-Z0-9_.-]/g, "-").slice(0, 64) || "runner";
}

/** The code volume of a runner id. */
export function codeVolumeName(runnerId: string): string {
  return `hotswap-code-${nameSlug(runnerId)}`;
}

/** The loader's end of the attached stdio: requests out, ok/error replies in. */
class LoaderClient {
  readonly hello: Promise<void>;
  readonly closed: Promise<void>;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(): void; reject(e: Error): void }>();
  private readonly stderr: string[] = [];
  private ended = false;

  constructor(
    private readonly stream: Duplex,
    docker: Docker,
  ) {
    const out = new PassThrough();
    const err = new PassThrough();
    docker.modem.demuxStream(stream, out, err);
    void readLines(err, (line) => {
      this.stderr.push(line);
      if (this.stderr.length > 20) this.stderr.shift();
    });
    let helloResolve!: () => void;
    let helloReject!: (e: Error) => void;
    this.hello = new Promise((res, rej) => {
      helloResolve = res;
      helloReject = rej;
    });
    this.hello.catch(() => {});
    const decoder = new FrameDecoder(({ header }) => {
      if (header.type === "hello") return helloResolve();
      const p = this.pending.get(header.id as number);
      if (!p) return;
      this.pending.delete(header.id as number);
      if (header.type === "ok") p.resolve();
      else p.reject(new Error(`code loader: ${String(header.message)}`));
    });
    out.on("data", (c: Buffer) => decoder.push(c));
    this.closed = new Promise((resolve) => {
      const done = () => {
        if (this.ended) return;
        this.ended = true;
        out.end();
        err.end();
        const e = new Error(`the code loader container stopped${this.stderr.length ? `: ${this.stderr.join("\n")}` : ""}`);
        helloReject(e);
        for (const p of this.pending.values()) p.reject(e);
        this.pending.clear();
        resolve();
      };
      stream.once("end", done);
      stream.once("close", done);
      stream.once("error", done);
    });
  }

  get alive(): boolean {
    return !this.ended;
  }

  lastStderr(): string {
    return this.stderr.join("\n");
  }

  /** Send one request; resolves when the loader has done it. */
  async request(header: { type: string; [field: string]: unknown }, body?: Buffer): Promise<void> {
    if (this.ended) throw new Error("the code loader container is not running");
    const id = this.nextId++;
    const done = new Promise<void>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    done.catch(() => {});
    let ok = true;
    for (const part of encodeFrameParts({ ...header, id }, body)) ok = this.stream.write(part);
    if (!ok && !this.ended) await once(this.stream, "drain");
    return done;
  }

  end(): void {
    this.stream.destroy();
  }
}

export class CodeVolume {
  readonly name: string;
  private mountpoint = "";
  private loader: Promise<LoaderClient> | undefined;
  private readonly versions = new Map<string, Promise<string>>();
  private readonly loaderName: string;

  private constructor(private readonly opts: CodeVolumeOptions) {
    this.name = codeVolumeName(opts.runnerId);
    this.loaderName = `hotswap-${nameSlug(opts.runnerId)}-loader`;
  }

  /** Create the runner's volume and start its loader. Call after orphans of this runner id were removed. */
  static async open(opts: CodeVolumeOptions): Promise<CodeVolume> {
    const v = new CodeVolume(opts);
    try {
      await opts.docker.createVolume({ Name: v.name, Labels: labelsFor(opts.runnerId, "loader") });
      const info = (await opts.docker.getVolume(v.name).inspect()) as { Mountpoint: string };
      v.mountpoint = info.Mountpoint;
      await v.client();
    } catch (err) {
      rethrowDocker(opts.where, err);
    }
    return v;
  }

  /** Daemon-side path of the code of `spec` in `codeDir`, uploaded on first use. */
  versionSource(spec: FunctionSpec, codeDir: string): Promise<string> {
    return this.treeSource(spec.codeSha256, codeDir);
  }

  /** Daemon-side path of the read-only tree `dir` (identified by `sha`: a code sha or a layer set key), uploaded on first use. */
  treeSource(sha: string, dir: string): Promise<string> {
    const key = createHash("sha256").update(`${sha}\0${path.resolve(dir)}`).digest("hex").slice(0, 32);
    let p = this.versions.get(key);
    if (!p) {
      p = this.upload(dir, `v/${key}`).then(() => this.hostPath(`v/${key}`));
      this.versions.set(key, p);
      p.catch(() => this.versions.delete(key));
    }
    return p;
  }

  /** Daemon-side path a stem binds at /var/task (Docker creates it empty). */
  stemSource(token: string): string {
    return this.hostPath(`s/${token}`);
  }

  /** Make the code of `spec` appear in a stem's directory (hard links to the uploaded tree). */
  async fillStem(token: string, spec: FunctionSpec, codeDir: string): Promise<void> {
    const source = await this.versionSource(spec, codeDir);
    const rel = path.relative(this.mountpoint, source);
    await (await this.client()).request({ type: "link", from: rel, to: `s/${token}` });
  }

  /** Delete a stem's directory once its container is gone. */
  async removeStem(token: string): Promise<void> {
    const loader = await this.loader?.catch(() => undefined);
    if (loader?.alive) await loader.request({ type: "remove", path: `s/${token}` });
  }

  /** Stop the loader and delete the volume (every container using it must be gone). */
  async close(): Promise<void> {
    const loader = await this.loader?.catch(() => undefined);
    loader?.end();
    await this.opts.docker
      .getContainer(this.loaderName)
      .remove({ force: true })
      .catch(() => {});
    await this.opts.docker
      .getVolume(this.name)
      .remove()
      .catch(() => {});
  }

  private hostPath(rel: string): string {
    return path.posix.join(this.mountpoint, rel);
  }

  /** The running loader, started (again, if it died) on demand. */
  private client(): Promise<LoaderClient> {
    const current = this.loader;
    if (current) {
      return current.then(
        (c) => (c.alive ? c : this.restartLoader()),
        () => this.restartLoader(),
      );
    }
    return this.restartLoader();
  }

  private restartLoader(): Promise<LoaderClient> {
    const p = this.startLoader();
    this.loader = p;
    return p;
  }

  private async startLoader(): Promise<LoaderClient> {
    const { docker, runnerId } = this.opts;
    await docker
      .getContainer(this.loaderName)
      .remove({ force: true })
      .catch(() => {});
    let container: Docker.Container;
    try {
      container = await docker.createContainer({
        name: this.loaderName,
        Image: this.opts.loaderImage,
        Entrypoint: ["node", LOADER_SCRIPT],
        Cmd: [],
        User: "0:0",
        Labels: labelsFor(runnerId, "loader"),
        AttachStdin: true,
        AttachStdout: true,
        AttachStderr: true,
        OpenStdin: true,
        StdinOnce: false,
        Tty: false,
        HostConfig: {
          ...lockedDown(),
          Binds: [`${this.name}:/code`],
          NetworkMode: "none",
          Memory: 256 * 1024 * 1024,
          MemorySwap: 256 * 1024 * 1024,
          PidsLimit: 64,
          LogConfig: { Type: "json-file", Config: { "max-size": "1m", "max-file": "1" } },
        },
      });
    } catch (err) {
      if (statusOf(err) === 404) {
        throw new Error(`the docker backend's code loader needs the image ${this.opts.loaderImage}; build the runtime images with: npm run images -- --offline`);
      }
      throw err;
    }
    const stream = (await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as unknown as Duplex;
    const client = new LoaderClient(stream, docker);
    await container.start();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        client.hello,
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`the code loader did not start within ${LOADER_START_TIMEOUT_MS} ms`)), LOADER_START_TIMEOUT_MS);
        }),
      ]);
    } catch (err) {
      client.end();
      await container.remove({ force: true }).catch(() => {});
      const tail = client.lastStderr();
      const stale = /code-loader\.mjs/.test(tail) && /Cannot find module/.test(tail);
      throw new Error(
        stale
          ? `${this.opts.loaderImage} predates the code loader; rebuild the runtime images with: npm run images -- --offline`
          : `${(err as Error).message}${tail && !(err as Error).message.includes(tail) ? `: ${tail}` : ""}`,
      );
    } finally {
      clearTimeout(timer);
    }
    return client;
  }

  /** Copy `codeDir` into `target` (a path in the volume) through the loader; publish it whole or not at all. */
  private async upload(codeDir: string, target: string): Promise<void> {
    const loader = await this.client();
    const tmp = `v/.tmp-${randomBytes(8).toString("hex")}`;
    const sent: Promise<void>[] = [loader.request({ type: "mkdir", path: tmp, mode: 0o755 })];
    const walk = async (dir: string, rel: string): Promise<void> => {
      const names = (await readdir(dir)).sort();
      for (const name of names) {
        const abs = path.join(dir, name);
        const dest = `${rel}/${name}`;
        const st = await lstat(abs);
        if (st.isDirectory()) {
          sent.push(loader.request({ type: "mkdir", path: dest, mode: 0o755 }));
          await walk(abs, dest);
        } else if (st.isSymbolicLink()) {
          sent.push(loader.request({ type: "symlink", path: dest, target: await readlink(abs) }));
        } else if (st.isFile()) {
          const mode = st.mode & 0o111 ? 0o755 : 0o644;
          const fh = await open(abs, "r");
          try {
            let offset = 0;
            do {
              const buf = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, Math.max(0, st.size - offset)));
              const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
              sent.push(loader.request({ type: "write", path: dest, mode, append: offset > 0 }, buf.subarray(0, bytesRead)));
              offset += bytesRead;
              if (bytesRead === 0) break;
            } while (offset < st.size);
          } finally {
            await fh.close();
          }
        }
        // Sockets, devices and fifos are not code: skipped.
      }
    };
    try {
      await walk(codeDir, tmp);
      await Promise.all(sent);
      await loader.request({ type: "rename", from: tmp, to: target });
    } catch (err) {
      await Promise.allSettled(sent);
      if (loader.alive) await loader.request({ type: "remove", path: tmp }).catch(() => {});
      rethrowDocker(this.opts.where, err);
    }
  }
}
