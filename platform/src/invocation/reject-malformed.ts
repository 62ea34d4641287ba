/**
 * Stage 4, reject malformed requests: what the entry found wrong with the request's shape (a name
 * or qualifier the API's schema refuses, Lambda's clashing qualifiers or unsupported invocation
 * type) is raised here, after authorization, in the order the API has always answered: 401/403
 * before 400.
 */
import type { Invocation, InvocationHandler } from "./invocation.ts";

export class RejectMalformedStage implements InvocationHandler {
  constructor(private readonly next: InvocationHandler) {}

  handle(inv: Invocation) {
    if (inv.rejection) throw inv.rejection;
    return this.next.handle(inv);
  }
}
