/**
 * Browser support for the console tests: Debian's Chromium driven by playwright-core (never a
 * downloaded browser), a page that records every console error and page error so each test can
 * fail on them, and screenshots saved as test artifacts under .hotswap/artifacts/console/.
 */
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { IS_CI } from "../support/services.ts";

export const CHROMIUM = "/usr/bin/chromium";
export const ARTIFACTS = new URL("../../.hotswap/artifacts/console/", import.meta.url).pathname;

/** Why the browser tests cannot run here, or undefined. Under CI a missing Chromium is an error, never a skip. */
export function chromiumSkipReason(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  const why = `${CHROMIUM} is missing (install Debian's chromium: bash scripts/ci/ensure-chromium.sh)`;
  if (IS_CI) throw new Error(why);
  return why;
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"] });
}

export interface WatchedPage {
  page: Page;
  context: BrowserContext;
  /** Console errors and page errors seen since the last takeErrors(). */
  takeErrors(): string[];
  screenshot(name: string): Promise<string>;
}

export async function openPage(browser: Browser, viewport = { width: 1280, height: 900 }): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console error: ${m.text()} (${m.location().url})`);
  });
  page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
  await mkdir(ARTIFACTS, { recursive: true });
  return {
    page,
    context,
    takeErrors: () => errors.splice(0),
    async screenshot(name) {
      const path = join(ARTIFACTS, `${name}.png`);
      await page.screenshot({ path, fullPage: true });
      return path;
    },
  };
}
