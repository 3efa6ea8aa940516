/**
 * The browser tests' start-up, shared by test/console*.test.ts: the console built, a fresh
 * embedded database with the seeded small town (200 persons, 2022), the real server on a
 * socket, the demo users logged in, a village clerk of 兴义社区 (500230100001) and a second
 * township (三合街道, 500230101) with one person the clerks must not see, and one Chromium.
 * Also the log-in through the page itself and the screenshots under test-output/.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { ensureConsoleBuilt } from '../../src/http/console-build.ts';
import { buildServer } from '../../src/http/server.ts';
import { makeIdNumber } from '../../src/registers/id-number.ts';
import { QuoteService } from '../../src/quotes/quote-service.ts';
import { seedDemo } from '../../src/sim/seed-demo.ts';
import { after, before } from 'node:test';
import { CHROMIUM, haveChromium, launch, openPage, pagePerTest, type WatchedPage } from './browser.ts';
import { freshDatabase, type TestDatabase } from './databases.ts';
import { listen, logIn, request } from './http.ts';

export const OUTPUT = join(import.meta.dirname, '..', '..', 'test-output');

export interface ConsoleEnv {
  d: TestDatabase;
  app: FastifyInstance;
  base: string;
  browser: Browser;
  /** tokens of admin, policy, clerk (兴义镇), auditor, hospital and village (兴义社区) */
  tok: Record<string, string>;
  /** the person of 三合街道 */
  otherPerson: { id: string; idNumber: string };
  close(): Promise<void>;
}

export async function startConsole(quotes: QuoteService, outDir: string): Promise<ConsoleEnv> {
  assert.ok(haveChromium(), `the browser tests need Debian's Chromium at ${CHROMIUM}: apt-get install -y chromium (.ci/run does)`);
  await ensureConsoleBuilt();
  mkdirSync(outDir, { recursive: true });
  const d = await freshDatabase('pglite');
  await seedDemo(d, quotes, { people: 200 });
  const app = await buildServer(quotes, { database: d });
  const base = await listen(app);
  const tok: Record<string, string> = {};
  for (const u of ['admin', 'policy', 'clerk', 'auditor', 'hospital']) tok[u] = await logIn(base, u, `demo-${u}-2022`);
  // a village clerk, and a second township with one person the clerks must not see
  const mk = async (path: string, body: unknown) => {
    const r = await request(base, 'POST', path, tok.admin, body);
    assert.equal(r.status, 201, `${path}: ${r.text}`);
    return r.json;
  };
  await mk('/api/v1/users', { username: 'village', displayName: '兴义社区经办员', password: 'village-password', role: 'clerk', villages: ['500230100001'] });
  await mk('/api/v1/areas', { code: '500230101', name: '三合街道' });
  await mk('/api/v1/areas', { code: '500230101001', name: '三合社区' });
  const idNumber = makeIdNumber('500230', '1975-04-12', 517);
  const p = await mk('/api/v1/persons', { idNumber, name: '李海涛', villageCode: '500230101001', houseNo: '0001', kind: 'adult' });
  tok.village = await logIn(base, 'village', 'village-password');
  const browser = await launch();
  return {
    d,
    app,
    base,
    browser,
    tok,
    otherPerson: { id: String(p.id), idNumber },
    close: async () => {
      await browser.close();
      await app.close();
      await d.drop();
    },
  };
}

/** A fresh page logged in through the log-in form (the user's start page then shows). */
export async function logInPage(browser: Browser, base: string, username: string, password = `demo-${username}-2022`): Promise<WatchedPage> {
  const w = await openPage(browser, base);
  const { page } = w;
  await page.goto('/');
  await page.getByLabel('用户名').fill(username);
  await page.getByLabel('密码').fill(password);
  await page.getByRole('button', { name: /登\s*录/ }).click();
  await page.getByTestId('whoami').waitFor();
  return w;
}

/** A full-page screenshot once the page's requests have settled. */
export async function screenshot(page: Page, dir: string, name: string): Promise<void> {
  await page.waitForLoadState('networkidle');
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
}

/**
 * A browser suite on the console (call inside a describe): the start-up above before its tests
 * (then `setup`, e.g. more users), closed after them; one page per test, logged in by `as`
 * (or opened by `open` without logging in), closed after the test, which fails on any console
 * error, page error or refused request the page recorded, less those `forgive` dropped.
 */
export interface ConsoleSuite {
  /** the start-up, once `before` has run */
  readonly env: ConsoleEnv;
  as(username: string, password?: string): Promise<Page>;
  open(): Promise<WatchedPage>;
  forgive(re: RegExp): void;
  shot(page: Page, name: string): Promise<void>;
}

export function consoleSuite(quotes: QuoteService, outDir: string, setup?: (env: ConsoleEnv) => Promise<void>): ConsoleSuite {
  let env: ConsoleEnv | undefined;
  before(async () => {
    env = await startConsole(quotes, outDir);
    await setup?.(env);
  });
  after(async () => {
    await env?.close();
  });
  const pages = pagePerTest();
  const started = (): ConsoleEnv => {
    if (!env) throw new Error('the console suite has not started');
    return env;
  };
  return {
    get env() {
      return started();
    },
    as: async (username, password) => (await pages.track(await logInPage(started().browser, started().base, username, password))).page,
    open: async () => pages.track(await openPage(started().browser, started().base)),
    forgive: (re) => pages.forgive(re),
    shot: (page, name) => screenshot(page, outDir, name),
  };
}
