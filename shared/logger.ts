/** Structured logging (pino). Secrets are redacted by path so a careless field never leaks one. */
import { pino, type Logger } from "pino";

export type { Logger };

export function createLogger(level: string, name = "hotswap"): Logger {
  return pino({
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
  });
}
