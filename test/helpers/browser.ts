import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterEach } from 'vitest';
import { packageRoot } from '../../src/package-root.js';

/** Debian's chromium, which .ci/run installs when it is missing. */
export const CHROMIUM = '/usr/bin/chromium';

/** No network beyond loopback here: these keep Chromium from reaching for Google's hosts at every start. */
const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export interface OpenPage {
  page: Page;
  /** Console errors and uncaught exceptions of the page (a blocked inline script shows up here). */
  errors: string[];
  /** Every URL the page requested. */
  requests: string[];
  /** Waits until `selector` is on the page; a timeout names the page's errors (e.g. a script the policy blocked). */
  ready(selector: string, timeoutMs?: number): Promise<void>;
}

/**
 * Call once at the top of a test file: returns `open(url)`, which starts headless Chromium
 * with a fresh profile folder and opens the page; every browser is closed and its profile
 * deleted after each test.
 */
export function browserClosedAfterEach(): (url: string, viewport?: { width: number; height: number }) => Promise<OpenPage> {
  let open: { context: BrowserContext; profile: string }[] = [];
  afterEach(async () => {
    const closing = open;
    open = [];
    for (const b of closing) {
      await b.context.close().catch(() => undefined);
      rmSync(b.profile, { recursive: true, force: true });
    }
  });
  return async (url, viewport = { width: 1280, height: 900 }) => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run installs it)`);
    const profile = mkdtempSync(join(tmpdir(), 'otel-replayd-chromium-'));
    const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport });
    open.push({ context, profile });
    const page = context.pages()[0] ?? (await context.newPage());
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
    page.on('pageerror', (e) => void errors.push(e.message));
    page.on('request', (r) => void requests.push(r.url()));
    await page.goto(url);
    const ready = async (selector: string, timeoutMs = 15_000) => {
      await page.waitForSelector(selector, { timeout: timeoutMs }).catch((err: Error) => {
        throw new Error(`${err.message}\npage errors: ${errors.join('; ') || 'none'}`);
      });
    };
    return { page, errors, requests, ready };
  };
}

/**
 * Saves a screenshot of `page` as `name` into a temp folder, and also into the folder
 * OTEL_REPLAYD_SCREENSHOTS names (relative to the package root) when it is set: that is
 * how docs/images/ is refreshed. Returns the path written in the temp folder.
 */
export async function saveScreenshot(page: Page, name: string, opts: { fullPage?: boolean } = {}): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'otel-replayd-screenshot-'));
  const file = join(dir, name);
  await page.screenshot({ path: file, fullPage: opts.fullPage ?? false });
  const keep = process.env.OTEL_REPLAYD_SCREENSHOTS;
  if (keep) {
    const target = isAbsolute(keep) ? keep : join(packageRoot(), keep);
    mkdirSync(target, { recursive: true });
    copyFileSync(file, join(target, name));
  }
  return file;
}

/** A number as the run view shows it ("1,234", "12.5"); NaN for "—". */
export function shown(text: string | null): number {
  return Number((text ?? '').replace(/,/g, '').trim() || NaN);
}
