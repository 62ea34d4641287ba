/** The README's fenced code blocks by section, for the tests that run the README as written. */
import assert from "node:assert/strict";

export interface Block {
  lang: string;
  code: string;
}

/** The fenced code blocks of the README section titled `title` (a `## ` heading), in order. */
export function sectionBlocks(readme: string, title: string): Block[] {
  const start = readme.indexOf(`\n## ${title}\n`);
  assert.ok(start >= 0, `README has no "## ${title}" section`);
  const end = readme.indexOf("\n## ", start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1]!, code: m[2]! }));
}
