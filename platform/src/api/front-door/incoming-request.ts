/**
 * A node:http request as the invocation pipeline reads it: credentials for the authenticators
 * (headers, raw path and query, the bounded body), the headers, cookies and query an alias's A/B
 * rule may look at (read lazily: most invocations never ask), and the event bytes. A class, so a
 * request allocates no closures; the body is read once and shared by SigV4 and the event stage.
 */
import type { IncomingMessage } from "node:http";
import { parse as parseCookies } from "hono/utils/cookie";
import { MAX_SYNC_PAYLOAD_BYTES } from "../../../../protocol/limits.ts";
import type { CredentialRequest } from "../../auth/credentials.ts";
import type { PayloadSource } from "../../invocation/invocation.ts";
import type { RouteRequest } from "../../router/routing-table.ts";
import { readIncoming } from "../raw-body.ts";

export class IncomingRequest implements CredentialRequest, RouteRequest, PayloadSource {
  private params: URLSearchParams | undefined;
  private cookies: Record<string, string> | undefined;
  private bytes: Promise<Buffer> | undefined;

  /** The query string as received (without `?`), "" when there is none. */
  readonly rawQuery: string;

  constructor(
    readonly req: IncomingMessage,
    rawQuery: string | undefined,
    /** The error for a body over the limit (HotSwap's names the declared size, Lambda's does not). */
    private readonly tooLarge: (size?: number) => Error,
  ) {
    this.rawQuery = rawQuery ?? "";
  }

  /** The path as received, percent-encoding intact (SigV4 signs it so). */
  get rawPath(): string {
    const url = this.req.url!;
    const q = url.indexOf("?");
    return q === -1 ? url : url.slice(0, q);
  }

  get remoteAddress(): string | undefined {
    return this.req.socket.remoteAddress;
  }

  get method(): string {
    return this.req.method!;
  }

  /** The front door's paths start with a literal prefix, so the raw path serves prefix checks. */
  get path(): string {
    return this.rawPath;
  }

  header(n: string): string | undefined {
    const v = this.req.headers[n.toLowerCase()];
    return Array.isArray(v) ? v.join(", ") : v;
  }

  get(n: string): string | null {
    return this.header(n) ?? null;
  }

  cookie(n: string): string | undefined {
    this.cookies ??= this.req.headers.cookie ? parseCookies(this.req.headers.cookie) : {};
    return this.cookies[n];
  }

  query(n: string): string | undefined {
    if (this.rawQuery === "") return undefined;
    this.params ??= new URLSearchParams(this.rawQuery);
    return this.params.get(n) ?? undefined;
  }

  /** Whether the body has been (or is being) read; an unread body means the connection must close after an error. */
  get bodyStarted(): boolean {
    return this.bytes !== undefined;
  }

  readPayload(): Promise<Buffer> {
    return (this.bytes ??= readIncoming(this.req, MAX_SYNC_PAYLOAD_BYTES, this.tooLarge));
  }

  body(): Promise<Uint8Array> {
    return this.readPayload();
  }
}
