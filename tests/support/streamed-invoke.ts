/**
 * Reading streamed answers in tests: HotSwap's chunked invoke path (or an Http trigger) as the
 * bytes arrive, with the trailers at the end; and an InvokeWithResponseStream event stream.
 */
import { request as httpRequest } from "node:http";
import type { InvokeWithResponseStreamCommandOutput } from "@aws-sdk/client-lambda";
import type { TestPlatform } from "./platform.ts";

/** POST the HotSwap invoke path, resolving at the response head; `chunks` collects the body as it arrives. */
export function invokeRaw(p: Pick<TestPlatform, "url" | "key">, path: string, event: unknown, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; chunks: string[]; done: Promise<Record<string, string | undefined>> }>((resolve, reject) => {
    const url = new URL(path, p.url);
    const body = JSON.stringify(event);
    const req = httpRequest(url, { method: "POST", headers: { authorization: `Bearer ${p.key}`, "content-type": "application/json", ...headers } }, (res) => {
      const chunks: string[] = [];
      res.setEncoding("utf8");
      res.on("data", (c: string) => chunks.push(c));
      const done = new Promise<Record<string, string | undefined>>((r, j) => {
        res.on("end", () => r(res.trailers));
        res.on("error", j);
      });
      resolve({ status: res.statusCode!, headers: res.headers, chunks, done });
    });
    req.on("error", reject);
    req.end(body);
  });
}

export type Completion = { ErrorCode?: string; ErrorDetails?: string; LogResult?: string };

/** Every event of an InvokeWithResponseStream answer: the chunks as text, and InvokeComplete. */
export async function readEvents(out: InvokeWithResponseStreamCommandOutput): Promise<{ chunks: string[]; text: string; complete: Completion | undefined }> {
  const chunks: string[] = [];
  let complete: Completion | undefined;
  for await (const e of out.EventStream!) {
    if (e.PayloadChunk) chunks.push(new TextDecoder().decode(e.PayloadChunk.Payload));
    if (e.InvokeComplete) complete = e.InvokeComplete;
  }
  return { chunks, text: chunks.join(""), complete };
}

