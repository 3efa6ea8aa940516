/**
 * The browser tests' Chromium: Debian's /usr/bin/chromium driven by playwright-core (never a
 * downloaded browser), headless, one browser for a whole suite. Every page records what the
 * console logged as an error, page errors and refused (CSP) requests, so a test can fail on any.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { afterEach } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export function haveChromium(): boolean {
  return existsSync(CHROMIUM);
}

export async function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

export interface WatchedPage {
  page: Page;
  context: BrowserContext;
  /** console errors, page errors and failed requests, in order */
  problems: string[];
}

/** A fresh context (its own sessionStorage: one user) and page, watched for errors. */
export async function openPage(browser: Browser, base: string): Promise<WatchedPage> {
  const context = await browser.newContext({ baseURL: base, viewport: { width: 1440, height: 900 }, locale: 'zh-CN', acceptDownloads: true });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => {
    const f = r.failure()?.errorText ?? '';
    // a request the page itself abandoned (a newer search replaced it) is not a failure
    if (!/ERR_ABORTED/.test(f)) problems.push(`request failed: ${r.url()} ${f}`);
  });
  return { page, context, problems };
}

/**
 * The page of the test that is running, one at a time (its hook registered in the calling
 * describe): `track` makes a watched page the current one; after each test (or when the test
 * opens another) its context closes and the test fails on any problem it recorded, less those
 * `forgive` dropped.
 */
export interface PagePerTest {
  readonly current: WatchedPage | null;
  /** the page becomes the current one; the one before is closed and checked first */
  track(w: WatchedPage): Promise<WatchedPage>;
  /** drop the problems a test expects (e.g. the browser's log line for a 403 it asked for) */
  forgive(re: RegExp): void;
}

export function pagePerTest(): PagePerTest {
  let current: WatchedPage | null = null;
  const close = async (): Promise<void> => {
    if (!current) return;
    const w = current;
    current = null;
    await w.context.close();
    assert.deepEqual(w.problems, [], 'no console errors, page errors or refused requests');
  };
  afterEach(close);
  return {
    get current() {
      return current;
    },
    async track(w) {
      await close();
      current = w;
      return w;
    },
    forgive(re) {
      if (current) current.problems.splice(0, current.problems.length, ...current.problems.filter((p) => !re.test(p)));
    },
  };
}
