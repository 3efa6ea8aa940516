/**
 * The web console in a real browser: Debian's Chromium (/usr/bin/chromium) driven by
 * playwright-core, against the real server on a fresh embedded database with a seeded small
 * town — one browser, one server, the pages in sequence. A village clerk and a bureau officer
 * (and an admin, an auditor, a hospital) log in; every page is opened and screenshotted under
 * test-output/console/; figures shown are compared with the API’s; a file with bad rows is
 * imported and its error report downloaded; a clerk cannot reach another township's person,
 * neither in the UI nor by URL. Any console error, page error or refused request (the server
 * sends a strict Content-Security-Policy) fails the test it happens in.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { CONSOLE_CSP } from '../src/http/console.ts';
import { makeIdNumber } from '../src/registers/id-number.ts';
import { QuoteService } from '../src/quotes/quote-service.ts';
import { consoleSuite, OUTPUT } from './support/console.ts';
import { request } from './support/http.ts';

const OUT = join(OUTPUT, 'console');
const quotes = QuoteService.load();

/** "83,752.38" → 83752.38 */
const num = (s: string | null): number => Number((s ?? '').replace(/[,\s元]/g, ''));
/** Wait until the condition holds (polled), at most `ms`. */
async function until(cond: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}
const money = (v: number): string => v.toLocaleString('zh-CN', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

describe('the web console in Chromium', { concurrency: false }, () => {
  const suite = consoleSuite(quotes, OUT);
  const as = suite.as;
  let base: string;
  const tok: Record<string, string> = {};
  let otherPerson: { id: string; idNumber: string };

  before(() => {
    ({ base, otherPerson } = suite.env);
    Object.assign(tok, suite.env.tok);
  });

  const shot = suite.shot;

  const menu = async (page: Page): Promise<string[]> => (await page.locator('.ant-menu-item').allInnerTexts()).map((t) => t.trim());

  test('the server: the console at / and its client paths under a CSP; API, docs, FHIR and health untouched', async () => {
    for (const path of ['/', '/persons/123', '/policy?tab=diff']) {
      const r = await request(base, 'GET', path);
      assert.equal(r.status, 200, path);
      assert.match(r.headers.get('content-type') ?? '', /text\/html/);
      assert.equal(r.headers.get('content-security-policy'), CONSOLE_CSP);
      assert.match(r.text, /<div id="root">/);
      assert.doesNotMatch(r.text, /<script>(?!<\/script>)|<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script');
      assert.doesNotMatch(r.text, /<style|style=/, 'no inline style');
    }
    assert.match(CONSOLE_CSP, /script-src 'self'/);
    assert.match(CONSOLE_CSP, /style-src 'self'(;|$)/);
    // under the platform's prefix, an envelope error (issue #16), never the console
    const fsi = await request(base, 'GET', '/fsi/nothing');
    assert.equal(fsi.json?.infcode, -1);
    for (const path of ['/api/v1/nothing', '/api/v1/persons/1/nothing', '/health/nothing', '/docs/nothing', '/assets/nothing.js']) {
      const r = await request(base, 'GET', path);
      assert.equal(r.status, 404, path);
      assert.equal(r.json?.error, 'not_found', path);
    }
    const fhir = await request(base, 'GET', '/fhir/r4/Claim/1');
    assert.equal(fhir.status, 404);
    assert.match(fhir.headers.get('content-type') ?? '', /^application\/fhir\+json/, 'FHIR keeps its own 404 (an OperationOutcome)');
    assert.equal(fhir.json.resourceType, 'OperationOutcome');
    assert.equal((await request(base, 'GET', '/health')).json.status, 'ok');
    assert.equal((await request(base, 'GET', '/docs/json')).status, 200);
    assert.equal((await request(base, 'GET', '/api/v1/persons', tok.village)).status, 200);
    // every asset the page loads is served from here with the CSP
    const html = (await request(base, 'GET', '/')).text;
    const assets = [...html.matchAll(/(?:src|href)="(\/[^"]+)"/g)].map((m) => m[1]);
    assert.ok(assets.some((a) => a.endsWith('.js')) && assets.some((a) => a.endsWith('.css')));
    for (const a of assets) assert.equal((await request(base, 'GET', a)).status, 200, a);
  });

  test('log-in: a wrong password is refused in Chinese; the village clerk sees only the pages the role may use', async () => {
    const { page } = await suite.open();
    await page.goto('/persons');
    await page.getByLabel('用户名').fill('village');
    await page.getByLabel('密码').fill('wrong-password');
    await page.getByRole('button', { name: /登\s*录/ }).click();
    await page.getByText('用户名或密码错误').first().waitFor();
    await shot(page, '00-login');
    // the refused log-in is a 401 the browser logs as a failed resource: not a console error of ours
    suite.forgive(/401 \(Unauthorized\)/);
    await page.getByLabel('密码').fill('village-password');
    await page.getByRole('button', { name: /登\s*录/ }).click();
    await page.getByTestId('whoami').waitFor();
    assert.deepEqual(await menu(page), ['参保进度', '半月通报', '人员', '缴费与导入', '报销测算', '政策', '风险预警', '基金监管']);
    assert.match(await page.getByTestId('whoami').innerText(), /village · 乡镇（村）经办员（500230100001）/);
  });

  test('人员 (village clerk): the list is the API’s page, masked; another township’s person cannot be found or opened by URL', async () => {
    const page = await as('village', 'village-password');
    await page.goto('/persons');
    await page.getByTestId('persons-total').getByText(/共 \d+ 人/).waitFor();
    const api = (await request(base, 'GET', '/api/v1/persons?page=1&pageSize=20', tok.village)).json;
    assert.equal(await page.getByTestId('persons-total').innerText(), `共 ${api.total} 人`);
    const rows = page.getByTestId('persons-table').locator('tbody tr.ant-table-row');
    assert.equal(await rows.count(), api.items.length);
    const first = rows.first().locator('td');
    assert.equal(await first.nth(0).innerText(), api.items[0].name);
    assert.equal(await first.nth(1).innerText(), api.items[0].idNumber);
    assert.match(api.items[0].idNumber, /^\d{6}\*{8}\d{3}[\dX]$/, 'masked in the list');
    await shot(page, '03-persons');

    // the other township's person: not found by ID number …
    await page.getByTestId('search-id').fill(otherPerson.idNumber);
    await page.getByTestId('search').click();
    await page.waitForURL(/idNumber=/);
    await page.getByTestId('persons-total').getByText('共 0 人').waitFor();
    assert.equal(await page.getByTestId('persons-table').locator('tbody tr.ant-table-row').count(), 0);
    assert.equal((await request(base, 'GET', `/api/v1/persons?idNumber=${otherPerson.idNumber}`, tok.village)).json.total, 0);
    // … nor opened by URL
    await page.goto(`/persons/${otherPerson.id}`);
    const refused = page.getByTestId('person-error');
    await refused.waitFor();
    assert.match(await refused.innerText(), /无权访问/);
    assert.equal((await request(base, 'GET', `/api/v1/persons/${otherPerson.id}`, tok.village)).status, 403);
    assert.equal((await request(base, 'GET', `/api/v1/persons/${otherPerson.id}`, tok.clerk)).status, 403, 'the township clerk of 兴义镇 neither');
    await shot(page, '03-persons-other-township-refused');
    // the 403 the page asked for is expected here
    suite.forgive(/403 \(Forbidden\)/);
    // a page the role may not use, by URL
    await page.goto('/funds');
    await page.getByText('无权访问').first().waitFor();
  });

  test('人员: a person’s page — statuses, household, enrollment with the quote’s trace as the notice’s articles', async () => {
    const page = await as('village', 'village-password');
    const e = (await request(base, 'GET', '/api/v1/enrollments?state=paid&limit=1', tok.village)).json.items[0];
    await page.goto(`/persons/${e.personId}`);
    await page.getByTestId('person-title').waitFor();
    const person = (await request(base, 'GET', `/api/v1/persons/${e.personId}`, tok.village)).json;
    assert.equal(await page.getByTestId('person-id-number').innerText(), person.idNumber);
    const row = page.getByTestId('enrollments-table').locator('tbody tr.ant-table-row').first();
    await row.waitFor();
    const cells = await row.locator('td').allInnerTexts();
    assert.equal(cells[0], String(e.coverageYear));
    assert.equal(num(cells[3]), e.standardYuan);
    assert.equal(num(cells[5]), e.dueYuan);
    assert.equal(num(cells[7]), e.paidYuan);
    assert.match(cells[9], new RegExp(`${e.benefitPeriod.start} 至 ${e.benefitPeriod.end}`));
    const steps = page.getByTestId('quote-trace-steps').locator('.ant-list-item');
    await steps.first().waitFor();
    const detail = (await request(base, 'GET', `/api/v1/enrollments/${e.id}`, tok.village)).json;
    assert.equal(await steps.count(), detail.quote.trace.length);
    const cited = detail.quote.trace.find((s: { cite?: string; quote?: string }) => s.cite && s.quote);
    assert.ok(cited, 'some step cites the notice');
    await page.getByText(`“${cited.quote}”`).first().waitFor();
    await shot(page, '03-person');
    await page.getByRole('tab', { name: '家庭户' }).click();
    await page.getByText(/家庭成员/).waitFor();
    await page.getByRole('tab', { name: /困难身份/ }).click();
    assert.equal(await page.getByTestId('statuses-table').locator('tbody tr.ant-table-row').count(), person.statuses.length);
    await page.getByRole('tab', { name: '变更历史' }).click();
    await shot(page, '03-person-history');
    // the citation leads to the notice, the sentence highlighted
    await page.getByRole('tab', { name: '参保与缴费' }).click();
    // the link of the step that quotes this sentence (several steps may cite the same notice)
    await page.getByTestId('quote-trace-steps').locator('.ant-list-item', { hasText: cited.quote }).first().locator('a', { hasText: cited.cite }).first().click();
    await page.waitForURL(/\/policy\?tab=notice/);
    const mark = page.getByTestId('notice-text').locator('mark.yb-current');
    await mark.first().waitFor();
    // the sentences the packs cite load after the notice: the current mark settles on the cited one
    const want = cited.quote.replace(/\s+/g, '');
    let marked = '';
    for (let i = 0; i < 50 && marked !== want; i++) {
      marked = (await mark.allInnerTexts()).join('').replace(/\s+/g, '');
      if (marked !== want) await page.waitForTimeout(100);
    }
    assert.equal(marked, want);
    await shot(page, '06-notice-cited-sentence');
  });

  test('缴费与导入 (village clerk): the form checks before sending, the server’s 400 lands on its field, the payment is recorded', async () => {
    const page = await as('village', 'village-password');
    const due = (await request(base, 'GET', '/api/v1/enrollments?state=assessed&limit=100', tok.village)).json.items.find((x: { dueYuan: number | null }) => (x.dueYuan ?? 0) > 0);
    assert.ok(due, 'an unpaid enrollment in the village');
    const person = (await request(base, 'GET', `/api/v1/persons/${due.personId}`, tok.village)).json;
    await page.goto('/payments');
    // nothing filled: the form says so without a request
    await page.getByTestId('pay-submit').click();
    await page.getByText('请填写缴费流水号').waitFor();
    await page.getByTestId('pay-reference').fill('TEST-CONSOLE-0001');
    await page.getByTestId('pay-id').fill('50023019800501123');
    await page.getByTestId('pay-submit').click();
    await page.getByText('须为18位公民身份号码').first().waitFor();
    // a wrong amount: the server’s 400 at the amount field, in Chinese
    await page.getByTestId('pay-id').fill(person.idNumber);
    await page.getByTestId('pay-amount').fill(String(due.dueYuan + 1));
    await page.getByTestId('pay-date').click();
    await page.getByTestId('pay-date').fill('2022-02-15');
    await page.keyboard.press('Enter');
    await page.getByTestId('pay-submit').click();
    const fieldError = page.locator('.ant-form-item-explain-error', { hasText: '不是应缴金额' });
    await fieldError.waitFor();
    assert.match(await fieldError.innerText(), new RegExp(`应缴 ${due.dueYuan.toFixed(2)} 元`));
    suite.forgive(/400 \(Bad Request\)/);
    await shot(page, '04-payment-400-at-field');
    await page.getByTestId('pay-amount').fill(String(due.dueYuan));
    await page.getByTestId('pay-submit').click();
    await page.getByTestId('pay-result').waitFor();
    const after = (await request(base, 'GET', `/api/v1/enrollments/${due.id}`, tok.village)).json;
    assert.equal(after.state, 'paid');
    assert.equal(after.paidYuan, due.dueYuan);
    assert.match(await page.getByTestId('pay-result').innerText(), new RegExp(`已缴 ${money(due.dueYuan)} 元`));
    await shot(page, '04-payment-recorded');
  });

  test('缴费与导入: a file with bad rows — progress, counts as the server gave them, the error report downloaded; a bad file writes nothing', async () => {
    const page = await as('village', 'village-password');
    const before = (await request(base, 'GET', '/api/v1/persons?village=500230100001', tok.village)).json.total;
    const good1 = makeIdNumber('500230', '1990-01-02', 611);
    const good2 = makeIdNumber('500230', '1992-03-04', 612);
    const csv = [
      '身份证号,姓名,出生日期,村(居)代码,户号,人员类别',
      `${good1},王小明,1990-01-02,500230100001,0901,城乡居民`,
      `${good2},王小红,1992-03-04,500230100001,0901,城乡居民`,
      `500230199001021234,王错号,1990-01-02,500230100001,0902,城乡居民`,
      `${makeIdNumber('500230', '1993-05-06', 613)},外乡人,1993-05-06,500230101001,0001,城乡居民`,
    ].join('\n');
    await page.goto('/payments');
    await page.getByTestId('import-kind').getByText('人员名册').click();
    await page.locator('input[type=file]').setInputFiles({ name: 'persons-with-bad-rows.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByTestId('import-start').click();
    await page.getByTestId('import-result').waitFor();
    assert.ok(await page.getByTestId('import-progress').isVisible());
    assert.equal(await page.getByTestId('import-bad').innerText(), '2');
    const problems = page.getByTestId('import-problems').locator('tbody tr.ant-table-row');
    assert.equal(await problems.count(), 2);
    assert.deepEqual((await problems.locator('td:first-child').allInnerTexts()).map(Number), [4, 5]);
    const after = (await request(base, 'GET', '/api/v1/persons?village=500230100001', tok.village)).json.total;
    assert.equal(after, before + 2, 'the two good rows are in');
    await shot(page, '04-import-bad-rows');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('import-report').click()]);
    const text = readFileSync(await download.path(), 'utf8').replace(/^\uFEFF/, '');
    const lines = text.trim().split(/\r?\n/);
    assert.equal(lines[0], '行号,列,原因,身份证号,原文', 'the report in Chinese (the answer lists every problem)');
    assert.ok(lines.slice(1).every((l) => /[\u4e00-\u9fff]/.test(l.split(',').slice(1, 3).join(','))), `each row's column and reason in Chinese: ${lines.join(' | ')}`);
    assert.deepEqual(lines.slice(1).map((l) => Number(l.split(',')[0])), [4, 5]);
    assert.match(download.suggestedFilename(), /errors\.csv$/);

    // a file that is bad as a whole: refused, nothing written
    await page.locator('input[type=file]').setInputFiles({ name: 'no-header.csv', mimeType: 'text/csv', buffer: Buffer.from('a,b,c\n1,2,3\n') });
    await page.getByTestId('import-start').click();
    await page.getByTestId('import-error').waitFor();
    assert.match(await page.getByTestId('import-error').innerText(), /输入有误|没有写入/);
    assert.equal((await request(base, 'GET', '/api/v1/persons?village=500230100001', tok.village)).json.total, after);
    suite.forgive(/400 \(Bad Request\)/);
    await shot(page, '04-import-refused');
  });

  test('缴费与导入: a payments file — recorded, bad and refused rows by line; imported again, nothing is recorded twice', async () => {
    const page = await as('village', 'village-password');
    const open = (await request(base, 'GET', '/api/v1/enrollments?state=assessed&limit=100', tok.village)).json.items.filter((x: { dueYuan: number | null }) => (x.dueYuan ?? 0) > 0);
    assert.ok(open.length >= 2, 'two unpaid enrollments in the village');
    const [a, b] = open;
    const csv = [
      '流水号,渠道,参保登记号,金额,缴费日期',
      `CONSOLE-PAY-1,线下,${a.id},${a.dueYuan.toFixed(2)},2022-02-10`,
      `CONSOLE-PAY-2,线下,${b.id},abc,2022-02-10`,
      `CONSOLE-PAY-3,线下,${b.id},${b.dueYuan.toFixed(2)},2023-09-01`,
    ].join('\n');
    await page.goto('/payments');
    await page.getByTestId('import-kind').getByText('缴费文件', { exact: true }).click();
    const file = { name: 'payments.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) };
    await page.locator('input[type=file]').setInputFiles(file);
    await page.getByTestId('import-start').click();
    await page.getByTestId('import-result').waitFor();
    assert.equal(await page.getByTestId('import-bad').innerText(), '1');
    const lines = await page.getByTestId('import-problems').locator('tbody tr.ant-table-row td:first-child').allInnerTexts();
    assert.deepEqual(lines.map(Number), [3, 4]);
    assert.equal((await request(base, 'GET', `/api/v1/enrollments/${a.id}`, tok.village)).json.state, 'paid');
    assert.equal((await request(base, 'GET', `/api/v1/enrollments/${b.id}`, tok.village)).json.state, 'assessed');
    await shot(page, '04-import-payments');
    // the same file again: the recorded row is replayed, not recorded twice
    await page.locator('input[type=file]').setInputFiles(file);
    await page.getByTestId('import-start').click();
    await page.getByTestId('import-result').getByText('此前已登记（同流水号）').waitFor();
    const cells = await page.getByTestId('import-result').locator('.ant-descriptions-item-content').allInnerTexts();
    assert.deepEqual(cells.slice(0, 4).map(Number), [3, 0, 1, 1], 'rows, recorded, replayed, refused');
    const paid = (await request(base, 'GET', `/api/v1/enrollments/${a.id}`, tok.village)).json;
    assert.equal(paid.paidYuan, a.dueYuan, 'paid once');
  });

  /** The problem rows the page shows: line, column, reason. */
  const problemRows = async (page: Page): Promise<string[][]> => {
    const rows = page.getByTestId('import-problems').locator('tbody tr.ant-table-row');
    const out: string[][] = [];
    for (let i = 0; i < (await rows.count()); i++) out.push((await rows.nth(i).locator('td').allInnerTexts()).map((t) => t.trim()));
    return out;
  };
  /** Chinese, with no English sentence of the server's left in it. */
  const inChinese = (text: string): boolean => /[\u4e00-\u9fff]/.test(text) && !/\b(the|is|not|of|for|give|no|outside|with)\b/i.test(text);

  test('缴费与导入: the kinds each role may import — a clerk the campaign’s sheets and payment files, a policy officer the employee-insurance list only', async () => {
    const page = await as('village', 'village-password');
    await page.goto('/payments');
    const kinds = (await page.getByTestId('import-kind').locator('label').allInnerTexts()).map((t) => t.trim());
    assert.deepEqual(kinds, ['缴费文件', '税务/银行缴费文件（批量）', '人员名册', '困难身份名单', '村目标分解表', '电子凭证激活名单']);
    const policy = await as('policy');
    await policy.goto('/payments');
    assert.deepEqual((await policy.getByTestId('import-kind').locator('label').allInnerTexts()).map((t) => t.trim()), ['职工医保参保名单']);
    assert.equal(await policy.getByTestId('payment-card').count(), 0, 'no payment form without payments.write');
  });

  test('缴费与导入: a village targets sheet with a bad row — 年度 and 镇 picked, the row back by line in Chinese, the report downloaded; the good row is the API’s target', async () => {
    const page = await as('village', 'village-password');
    await page.goto('/payments');
    await page.getByTestId('import-kind').getByText('村目标分解表').click();
    assert.match(await page.getByTestId('import-columns').innerText(), /村\(社区\) 或 区划代码, 应参保人数, 电子凭证激活目标/);
    await page.getByTestId('import-year').fill('2022');
    await page.getByTestId('import-town').click();
    await page.locator('.ant-select-item-option', { hasText: '500230100）' }).first().click();
    const csv = ['村(社区),应参保人数,电子凭证激活目标', '兴义社区,157,121', '兴义社区,十五,3', '三合社区,20,10'].join('\n');
    await page.locator('input[type=file]').setInputFiles({ name: '兴义镇目标分解表.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByTestId('import-start').click();
    await page.getByTestId('import-result').waitFor();
    assert.ok(await page.getByTestId('import-progress').isVisible(), 'the progress bar');
    const cells = await page.getByTestId('import-result').locator('.ant-descriptions-item-content').allInnerTexts();
    assert.equal(Number(cells[0]), 3, 'rows');
    assert.equal(await page.getByTestId('import-bad').innerText(), '2');
    const rows = await problemRows(page);
    assert.deepEqual(rows.map((r) => Number(r[0])), [3, 4]);
    assert.equal(rows[0][1], '应参保人数', 'the column named as the sheet names it');
    assert.match(rows[0][2], /「十五」不是整数人数/);
    for (const r of rows) assert.ok(inChinese(r[2]), `in Chinese: ${r[2]}`);
    const t = (await request(base, 'GET', '/api/v1/monitoring/targets?area=500230100001&year=2022', tok.village)).json;
    assert.equal(t.villages[0].imported.enrollment, 157, 'the good row is the village’s imported target');
    assert.equal(t.villages[0].imported.evoucher, 121);
    await shot(page, '04-import-targets-bad-row');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('import-report').click()]);
    const lines = readFileSync(await download.path(), 'utf8').replace(/^\uFEFF/, '').trim().split(/\r?\n/);
    assert.equal(lines[0], '行号,列,原因,身份证号,原文');
    assert.deepEqual(lines.slice(1).map((l) => Number(l.split(',')[0])), [3, 4]);
    assert.match(lines[1], /^3,应参保人数,「十五」不是整数人数/);
    assert.match(download.suggestedFilename(), /^targets-.*errors\.csv$/);
  });

  test('缴费与导入: an e-voucher activation list — the activations counted, a repeated person back by line; the village’s activations as the API then gives them', async () => {
    const page = await as('village', 'village-password');
    const q = 'area=500230100001&year=2022&asOf=2022-03-31';
    // two residents of the village with no activation at all (so each is a new one, whatever the date)
    const open = await suite.env.d.db
      .selectFrom('person as p')
      .innerJoin('enrollment as e', (j) => j.onRef('e.person_id', '=', 'p.id').on('e.coverage_year', '=', 2022))
      .leftJoin('evoucher_activation as a', 'a.person_id', 'p.id')
      .where('p.village_code', '=', '500230100001')
      .where('a.person_id', 'is', null)
      .select('p.id_number as idNumber')
      .orderBy('p.id')
      .limit(2)
      .execute();
    assert.equal(open.length, 2, 'residents of the village not activated');
    const [p1, p2] = open;
    const before = (await request(base, 'GET', `/api/v1/monitoring/evouchers?${q}`, tok.village)).json.totals.activated;
    await page.goto('/payments');
    await page.getByTestId('import-kind').getByText('电子凭证激活名单').click();
    const csv = ['身份证号,激活日期,激活渠道', `${p1.idNumber},2022-01-20,微信`, `${p2.idNumber},2022-01-21,支付宝`, `${p1.idNumber},2022-01-22,微信`].join('\n');
    await page.locator('input[type=file]').setInputFiles({ name: '电子凭证激活名单.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByTestId('import-start').click();
    await page.getByTestId('import-result').waitFor();
    const cells = await page.getByTestId('import-result').locator('.ant-descriptions-item-content').allInnerTexts();
    assert.deepEqual(cells.slice(0, 2).map(Number), [3, 2], 'rows, 新增');
    assert.equal(await page.getByTestId('import-bad').innerText(), '1');
    const rows = await problemRows(page);
    assert.deepEqual(rows.map((r) => Number(r[0])), [4]);
    assert.equal(rows[0][1], '身份证号');
    assert.match(rows[0][2], /与第 2 行重复（身份证号相同）/);
    assert.equal(rows[0][3], `${p1.idNumber.slice(0, 6)}********${p1.idNumber.slice(-4)}`, 'masked');
    const after = (await request(base, 'GET', `/api/v1/monitoring/evouchers?${q}`, tok.village)).json.totals.activated;
    assert.equal(after, before + 2);
    await shot(page, '04-import-evouchers');
  });

  test('缴费与导入: a tax bureau’s payment file in one batch — default channel and year picked, recorded, refused and bad rows by line, the progress moves; again, nothing twice', async () => {
    const page = await as('village', 'village-password');
    const open = (await request(base, 'GET', '/api/v1/enrollments?state=assessed&limit=100', tok.village)).json.items.filter((x: { dueYuan: number | null }) => (x.dueYuan ?? 0) > 0);
    assert.ok(open.length >= 3, 'three unpaid enrollments in the village');
    const [c, d, e] = open;
    const idOf = async (x: { personId: string }) => (await request(base, 'GET', `/api/v1/persons/${x.personId}`, tok.admin)).json.idNumber as string;
    const progressQ = '/api/v1/monitoring/progress?area=500230100001&year=2022&asOf=2022-02-28';
    const paidBefore = (await request(base, 'GET', progressQ, tok.village)).json.totals.paid;
    const csv = [
      '电子税票号码,身份证号,缴费金额,入库日期',
      `TAXFILE-1,${await idOf(c)},${c.dueYuan.toFixed(2)},2022-02-10`,
      `TAXFILE-2,${await idOf(d)},1.00,2022-02-10`,
      `TAXFILE-3,${await idOf(e)},${e.dueYuan.toFixed(2)},2022-13-01`,
    ].join('\n');
    await page.goto('/payments');
    await page.getByTestId('import-kind').getByText('税务/银行缴费文件（批量）').click();
    assert.match(await page.getByTestId('import-columns').innerText(), /流水号（或 电子税票号码、交易流水号）, 身份证号, 缴费金额, 缴费日期/);
    // the default channel is the tax bureau's; pick it again to be sure the picker works
    await page.getByTestId('import-channel').click();
    await page.locator('.ant-select-item-option', { hasText: '税务代征（税务局文件）' }).click();
    await page.getByTestId('import-year').fill('2022');
    const file = { name: '税务缴费明细.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) };
    await page.locator('input[type=file]').setInputFiles(file);
    await page.getByTestId('import-start').click();
    await page.getByTestId('import-result').waitFor();
    assert.ok(await page.getByTestId('import-progress').isVisible(), 'the progress bar');
    const cells = await page.getByTestId('import-result').locator('.ant-descriptions-item-content').allInnerTexts();
    assert.deepEqual(cells.slice(0, 5).map(Number), [3, 1, 0, 1, 0], 'rows, recorded, replayed, refused, newborns');
    assert.equal(await page.getByTestId('import-bad').innerText(), '1', 'the bad row apart from the refused one');
    const rows = await problemRows(page);
    assert.deepEqual(rows.map((r) => [Number(r[0]), r[1]]), [[3, '缴费金额'], [4, '入库日期']]);
    assert.match(rows[0][2], new RegExp(`1\\.00 元不是应缴金额：按缴费日期 2022-02-10 应缴 ${d.dueYuan.toFixed(2)} 元`));
    assert.match(rows[1][2], /「2022-13-01」不是日期/);
    for (const r of rows) assert.ok(inChinese(r[2]), `in Chinese: ${r[2]}`);
    assert.match(await page.getByTestId('import-result').innerText(), /1 行有错误、1 行被业务规则拒绝/);
    const paid = (await request(base, 'GET', `/api/v1/enrollments/${c.id}`, tok.village)).json;
    assert.equal(paid.state, 'paid');
    assert.equal(paid.paidYuan, c.dueYuan);
    assert.equal((await request(base, 'GET', `/api/v1/enrollments/${d.id}`, tok.village)).json.state, 'assessed');
    assert.equal((await request(base, 'GET', progressQ, tok.village)).json.totals.paid, paidBefore + 1, 'the village’s progress moves');
    const recorded = await suite.env.d.db.selectFrom('payment').select(['channel', 'amount_fen']).where('reference', '=', 'TAXFILE-1').executeTakeFirstOrThrow();
    assert.equal(recorded.channel, 'tax_bureau', 'recorded under the default channel');
    assert.equal(Number(recorded.amount_fen), Math.round(c.dueYuan * 100));
    await shot(page, '04-import-payment-file');
    // the same file again: replayed, nothing recorded twice
    await page.locator('input[type=file]').setInputFiles(file);
    await page.getByTestId('import-start').click();
    await page.getByTestId('import-result').getByText('随监护人参保的新生儿').waitFor();
    await until(async () => Number((await page.getByTestId('import-result').locator('.ant-descriptions-item-content').allInnerTexts())[2]) === 1);
    const again = await page.getByTestId('import-result').locator('.ant-descriptions-item-content').allInnerTexts();
    assert.deepEqual(again.slice(0, 4).map(Number), [3, 0, 1, 1], 'rows, recorded, replayed, refused');
    assert.equal((await request(base, 'GET', progressQ, tok.village)).json.totals.paid, paidBefore + 1, 'paid once');
    // a header without the reference: refused as a whole, the field named in Chinese
    await page.locator('input[type=file]').setInputFiles({ name: 'no-reference.csv', mimeType: 'text/csv', buffer: Buffer.from('身份证号,缴费金额,缴费日期\n1,2,3\n') });
    await page.getByTestId('import-start').click();
    await page.getByTestId('import-error').waitFor();
    assert.match(await page.getByTestId('import-error').innerText(), /输入有误：「表头」缺少必需的列（可用的列名：reference, 流水号/);
    suite.forgive(/400 \(Bad Request\)/);
  });

  test('报销测算: what each tier pays, the same as the API, with the rules cited', async () => {
    const page = await as('village', 'village-password');
    await page.goto('/quote');
    await page.getByTestId('q-submit').click();
    await page.getByTestId('settlement-result').waitFor();
    const api = (
      await request(base, 'POST', '/api/v1/quotes/settlement', undefined, {
        region: '500230',
        coverageYear: 2022,
        tier: 'tier1',
        person: { statuses: [] },
        encounter: {
          type: 'inpatient',
          date: '2022-03-01',
          hospitalLevel: 'secondary',
          location: 'in_area',
          referred: true,
          fees: [
            { catalogClass: '甲', amount: 20000 },
            { catalogClass: '乙', amount: 10000, selfPayRatio: '10%' },
            { catalogClass: '丙', amount: 1500 },
          ],
        },
      })
    ).json;
    assert.equal(num(await page.getByTestId('r-total').innerText()), api.costs.total);
    assert.equal(num(await page.getByTestId('r-basic').innerText()), api.basicFund);
    assert.equal(num(await page.getByTestId('r-ci').innerText()), api.criticalIllness);
    assert.equal(num(await page.getByTestId('r-ma').innerText()), api.medicalAssistance);
    assert.equal(num(await page.getByTestId('r-cash').innerText()), api.personalCash);
    assert.equal(await page.getByTestId('settlement-trace').locator('.ant-list-item').count(), api.trace.length);
    await shot(page, '05-settlement-quote');
    // the region has tiers: leaving the tier out is the server’s 400, shown at the tier field
    await page.getByTestId('q-tier').locator('.ant-select-clear').click({ force: true });
    await page.getByTestId('q-submit').click();
    await page.locator('.ant-form-item-explain-error').first().waitFor();
    assert.match(await page.getByTestId('q-error').innerText(), /「档次」/);
    suite.forgive(/400 \(Bad Request\)/);
  });

  test('政策: the packs, a pack resolved with citations and example marks, a diff of two years, the notice', async () => {
    const page = await as('policy');
    await page.goto('/policy');
    const packs = (await request(base, 'GET', '/api/v1/packs')).json;
    await page.getByTestId('packs-table').locator('tbody tr.ant-table-row').first().waitFor();
    assert.equal(await page.getByTestId('packs-table').locator('tbody tr.ant-table-row').count(), packs.length);
    await shot(page, '06-packs');
    await page.goto('/policy?tab=pack&pack=500230/2022');
    const pack = (await request(base, 'GET', '/api/v1/packs/500230/2022')).json;
    const examples = pack.params.filter((p: { example?: string }) => p.example).length;
    await page.getByText(`${pack.params.length} 个参数，其中示例值 ${examples} 个`).waitFor();
    assert.ok((await page.getByTestId('pack-params').getByText('示例值（非政策）').count()) > 0);
    await shot(page, '06-pack-resolved');
    await page.goto('/policy?tab=diff&from=500000/2022&to=500000/2023');
    const diff = (await request(base, 'GET', '/api/v1/pack-diff?from=500000/2022&to=500000/2023')).json;
    await page.getByText(`${diff.changes.length} 处不同，${diff.unchanged} 个参数相同`).waitFor();
    await shot(page, '06-pack-diff');
    await page.goto('/policy?tab=notice');
    await page.getByTestId('notice-text').locator('mark').first().waitFor();
    await shot(page, '06-notice');
  });

  test('基金 (bureau officer): balances by fund and the months equal the API’s; payable to hospitals; subsidies receivable', async () => {
    const page = await as('policy');
    assert.deepEqual(await menu(page), ['参保进度', '半月通报', '人员', '缴费与导入', '报销测算', '政策', '基金', '医院结算', 'DRG付费', '基金运行', '测算与改革', '风险预警', '基金监管']);
    await page.goto('/funds');
    const tb = (await request(base, 'GET', '/api/v1/ledger/balances', tok.policy)).json;
    for (const f of ['basic_fund', 'critical_illness_fund', 'medical_assistance_fund']) {
      const shown = page.getByTestId(`balance-${f}`).locator('.ant-statistic-content');
      await shown.waitFor();
      assert.equal(num(await shown.innerText()), tb.accounts.find((a: { account: string }) => a.account === f).natural, f);
    }
    const months = (await request(base, 'GET', '/api/v1/ledger/fund-months?account=basic_fund', tok.policy)).json.lines;
    const byMonth = new Map<string, number>();
    for (const l of months) byMonth.set(l.month, (byMonth.get(l.month) ?? 0) + l.incomeFen);
    const rows = page.getByTestId('month-table').locator('tbody tr.ant-table-row');
    await rows.first().waitFor();
    assert.equal(await rows.count(), byMonth.size);
    for (const r of await rows.all()) {
      const [month, income] = await r.locator('td').allInnerTexts();
      assert.equal(Math.round(num(income) * 100), byMonth.get(month), month);
    }
    const payable = page.getByTestId('payable-table').locator('tbody tr.ant-table-row');
    assert.equal(await payable.count(), tb.payableByHospital.length);
    assert.equal(num((await payable.first().locator('td').allInnerTexts())[1]), tb.payableByHospital[0].payable);
    await page.getByTestId('month-chart').locator('canvas').first().waitFor();
    await shot(page, '07-funds');
  });

  test('医院结算 (bureau officer): days by hospital as the API gives them, a settlement’s setlinfo and setldetail; no reversal for the role', async () => {
    const page = await as('policy');
    await page.goto('/hospitals');
    const days = (await request(base, 'GET', '/api/v1/ledger/hospital-days?page=1&pageSize=20', tok.policy)).json;
    const rows = page.getByTestId('hospital-days').locator('tbody tr.ant-table-row');
    await rows.first().waitFor();
    const cells = await rows.first().locator('td').allInnerTexts();
    assert.equal(cells[0], days.days[0].day);
    assert.equal(Number(cells[2]), days.days[0].settlements);
    assert.equal(num(cells[4]), days.days[0].total);
    await page.getByText(`共 ${days.total} 个机构日`).waitFor();
    await rows.first().click();
    const list = page.getByTestId('day-settlements').locator('tbody tr.ant-table-row');
    await list.first().waitFor();
    assert.equal(await list.count(), Math.min(20, days.days[0].settlements));
    await shot(page, '08-hospital-days');
    await list.first().locator('a').first().click();
    await page.getByTestId('settlement-title').waitFor();
    const id = page.url().split('/').pop()!;
    const s = (await request(base, 'GET', `/api/v1/settlements/${id}`, tok.policy)).json;
    assert.equal(num(await page.getByTestId('r-basic').innerText()), s.result.basicFund);
    assert.equal(num(await page.getByTestId('r-cash').innerText()), s.result.personalCash);
    assert.equal(await page.getByTestId('reverse').count(), 0, 'a policy officer may not reverse');
    await shot(page, '08-settlement');
  });

  test('医院结算 (admin): a settlement reversed from its page, as the API then shows it', async () => {
    const page = await as('admin');
    const live = (await request(base, 'GET', '/api/v1/settlements?live=true&limit=1', tok.admin)).json.settlements[0];
    await page.goto(`/hospitals/settlements/${live.id}`);
    await page.getByTestId('reverse').click();
    await page.locator('.ant-popconfirm').getByRole('button', { name: /^冲\s*正$/ }).click();
    await page.getByText('已冲正；').waitFor();
    const after = (await request(base, 'GET', `/api/v1/settlements/${live.id}`, tok.admin)).json;
    assert.ok(after.reversedAt);
    await page.getByText(/已冲正（admin）/).waitFor();
    await shot(page, '08-settlement-reversed');
  });

  test('医院结算 (hospital): its own days only', async () => {
    const page = await as('hospital');
    assert.deepEqual(await menu(page), ['报销测算', '政策', '医院结算']);
    await page.goto('/hospitals');
    const rows = page.getByTestId('hospital-days').locator('tbody tr.ant-table-row');
    await rows.first().waitFor();
    for (const t of await rows.locator('td:nth-child(2)').allInnerTexts()) assert.match(t, /H50023002/);
    await shot(page, '08-hospital-own-days');
  });

  test('审计 (auditor): the log newest first as the API gives it, filtered by user and action', async () => {
    const page = await as('auditor');
    assert.deepEqual(await menu(page), ['参保进度', '半月通报', '人员', '报销测算', '政策', '基金', '医院结算', '审计', 'DRG付费', '基金运行', '风险预警', '基金监管']);
    await page.goto('/audit');
    const rows = page.getByTestId('audit-table').locator('tbody tr.ant-table-row');
    await rows.first().waitFor();
    const api = (await request(base, 'GET', '/api/v1/audit?newestFirst=true&limit=50', tok.auditor)).json;
    assert.equal(await rows.count(), api.length);
    assert.equal(await rows.first().locator('td').first().innerText(), String(api[0].id));
    await shot(page, '09-audit');
    await page.getByTestId('audit-actor').fill('village');
    await page.getByTestId('audit-filter').click();
    // the filtered page has replaced the first one
    await until(async () => (await rows.locator('td:nth-child(3)').allInnerTexts()).every((t) => /^village/.test(t)));
    const mine = (await request(base, 'GET', '/api/v1/audit?newestFirst=true&limit=50&actor=village', tok.auditor)).json;
    assert.ok(mine.length >= 2, 'the village clerk’s log-in, payment and import are audited');
    assert.equal(await rows.count(), mine.length);
    for (const t of await rows.locator('td:nth-child(3)').allInnerTexts()) assert.match(t, /^village/);
    await shot(page, '09-audit-filtered');
  });

  test('人员 (admin): full list and search by name, paged', async () => {
    const page = await as('admin');
    const api = (await request(base, 'GET', '/api/v1/persons?pageSize=20&page=2', tok.admin)).json;
    await page.goto('/persons?page=2');
    const rows = page.getByTestId('persons-table').locator('tbody tr.ant-table-row');
    await rows.first().waitFor();
    assert.equal(await rows.first().locator('td').first().innerText(), api.items[0].name);
    await page.getByTestId('persons-total').getByText(`共 ${api.total} 人`).waitFor();
    await page.getByTestId('search-name').fill('李海涛');
    await page.getByTestId('search').click();
    await page.getByTestId('persons-total').getByText('共 1 人').waitFor();
    await rows.first().click();
    await page.getByTestId('person-title').waitFor();
    assert.equal(await page.getByTestId('person-title').innerText(), '李海涛');
  });
});
