/**
 * A `provided` runtime runs the code's own `bootstrap` executable. Both backends check it on the
 * runner's copy of the code before starting anything, so a missing or non-executable bootstrap is
 * an InitError that says how to fix the zip rather than an exec failure deep inside an instance.
 */
import { accessSync, constants, statSync } from "node:fs";
import { InitError } from "../backend.ts";

/** Throws InitError (Runtime.InvalidEntrypoint) unless `file` is an executable regular file. */
export function checkBootstrap(file: string): void {
  let st;
  try {
    st = statSync(file);
  } catch {
    throw new InitError(`Couldn't find a bootstrap: a provided runtime needs an executable file named "bootstrap" at the root of the code (${file} does not exist).`, "Runtime.InvalidEntrypoint");
  }
  if (!st.isFile()) throw new InitError(`${file} is not a file; a provided runtime needs an executable file named "bootstrap".`, "Runtime.InvalidEntrypoint");
  try {
    accessSync(file, constants.X_OK);
  } catch {
    throw new InitError(`The bootstrap ${file} is not executable: run "chmod 755 bootstrap" before zipping the code.`, "Runtime.InvalidEntrypoint");
  }
}
