/** Whether this process may execute a file: the check runtime discovery makes before probing a candidate. */
import { accessSync, constants } from "node:fs";

export function isExecutable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
