/**
 * How client commands print: `--json` writes the API's own object as JSON; otherwise an aligned
 * table or `key: value` lines for people. Tables take their columns as (header, cell) pairs.
 */

export type Column<T> = [header: string, cell: (row: T) => unknown];

function text(v: unknown): string {
  if (v === null || v === undefined || v === "") return "-";
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

/** An aligned table with a header row; "(none)" when there are no rows. */
export function formatTable<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  if (rows.length === 0) return "(none)";
  const cells = [columns.map(([h]) => h), ...rows.map((r) => columns.map(([, cell]) => text(cell(r))))];
  const widths = columns.map((_, i) => Math.max(...cells.map((c) => c[i]!.length)));
  return cells.map((c) => c.map((v, i) => (i === c.length - 1 ? v : v.padEnd(widths[i]!))).join("  ")).join("\n");
}

/** `key: value` lines, keys aligned. */
export function formatFields(fields: Record<string, unknown>): string {
  const width = Math.max(...Object.keys(fields).map((k) => k.length));
  return Object.entries(fields)
    .map(([k, v]) => `${`${k}:`.padEnd(width + 1)} ${text(v)}`)
    .join("\n");
}

export interface Printer {
  json: boolean;
  /** `--json`: the object as JSON; otherwise what `human()` renders. */
  result(value: unknown, human: () => string): void;
  /** A line for people (stdout); nothing with --json. */
  note(line: string): void;
  /** A line on stderr, in both modes (progress, warnings). */
  info(line: string): void;
}

export function createPrinter(json: boolean, stdout: NodeJS.WritableStream = process.stdout, stderr: NodeJS.WritableStream = process.stderr): Printer {
  return {
    json,
    result(value, human) {
      stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
    },
    note(line) {
      if (!json) stdout.write(`${line}\n`);
    },
    info(line) {
      stderr.write(`${line}\n`);
    },
  };
}
