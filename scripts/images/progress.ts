/**
 * Progress on stderr: one line per finished step, with its duration, so a CI log shows where the
 * time went (`[images] base-debian:bookworm  debootstrap + import  34.1s`).
 */

export type Write = (line: string) => void;

const defaultWrite: Write = (line) => process.stderr.write(`${line}\n`);

export function formatDuration(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(2)}s` : `${(ms / 1000).toFixed(1)}s`;
}

export class Progress {
  constructor(private readonly write: Write = defaultWrite) {}

  /** Run one step and print `subject  note  duration` when it ends (or `FAILED` when it throws). */
  async step(subject: string, fn: () => Promise<string>): Promise<void> {
    const started = performance.now();
    try {
      const note = await fn();
      this.line(subject, note, performance.now() - started);
    } catch (err) {
      this.line(subject, "FAILED", performance.now() - started);
      throw err;
    }
  }

  line(subject: string, note: string, ms?: number): void {
    const time = ms === undefined ? "" : `  ${formatDuration(ms)}`;
    this.write(`[images] ${subject.padEnd(36)} ${note}${time}`);
  }
}
