/**
 * Structured logging (pino). Secrets are redacted by path so a careless field never leaks one.
 * Lines about one invocation carry its `requestId` and `traceId` (the trace id of its traceparent),
 * given as fields where they are written: no AsyncLocalStorage on the invocation path.
 */
import { pino, type DestinationStream, type Logger } from "pino";

export type { Logger };

/** A logger at `level`; lines go to stdout unless a `destination` is given (tests read them). */
export function createLogger(level: string, name = "hotswap", destination?: DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    name,
    level,
    redact: {
      paths: [
        "authorization",
        "*.authorization",
        "headers.authorization",
        "req.headers.authorization",
        "adminKey",
        "*.adminKey",
        "secret",
        "*.secret",
        "secretKey",
        "*.secretKey",
        "*.secretAccessKey",
        "*.password",
      ],
      censor: "[redacted]",
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
