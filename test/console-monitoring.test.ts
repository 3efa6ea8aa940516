/**
 * The console's campaign pages in Chromium (the start-up of test/support/console.ts): 参保进度 is
 * the start page of the roles that may read the campaign; its figures — county, township,
 * village, each village's imported and derived target, the seven groups, e-vouchers — equal
 * the monitoring API's, a row drills down to the
 * next level and a village to its missing persons and the residents without an activated
 * e-voucher, paged on the server; 半月通报 shows the
 * report as the API gives it and downloads the XLSX (read back with exceljs) and the PDF (read
 * back with pdftotext); a clerk sees only their own township or village, in the UI and by URL.
 * Screenshots under test-output/console-monitoring/; any console error fails the test.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import type { Page } from 'playwright-core';
import { QuoteService } from '../src/quotes/quote-service.ts';
import { consoleSuite, OUTPUT, type ConsoleEnv } from './support/console.ts';
import { request } from './support/http.ts';

const OUT = join(OUTPUT, 'console-monitoring');
const PDFTOTEXT = '/usr/bin/pdftotext';
const quotes = QuoteService.load();
const COUNTY = '500230';
const TOWN = '500230100';
const VILLAGE = '500230100001';
const OTHER_TOWN = '500230101';
// the demo's 2022 campaign: the window is 2021-12-01 … 2022-02-28, and today is past it
const YEAR = 2022;
const END = '2022-02-28';

const rateText = (r: { text: string } | null): string => r?.text ?? '—';
/** "1,234" → 1234 */
const num = (s: string): number => Number(s.replace(/[,\s]/g, ''));

describe('the campaign pages in Chromium', { concurrency: false }, () => {
  const suite = consoleSuite(quotes, OUT);
  const as = suite.as;
  let env: ConsoleEnv;
  const get = async (path: string, who: string) => {
    const r = await request(env.base, 'GET', path, env.tok[who]);
    assert.equal(r.status, 200, `${path}: ${r.text}`);
    return r.json;
  };

  before(() => {
    env = suite.env;
  });

  const shot = suite.shot;
  const crumbs = async (page: Page): Promise<string[]> => (await page.getByTestId('progress-breadcrumb').locator('li:not(.ant-breadcrumb-separator)').allInnerTexts()).map((t) => t.trim());
  const stat = async (page: Page, id: string): Promise<string> => (await page.getByTestId(id).locator('.ant-statistic-content').innerText()).trim();

  /** The summary cards equal the API's progress, seven groups and e-vouchers for the area. */
  async function sameFigures(page: Page, who: string, area: string, asOf: string): Promise<void> {
    const q = `area=${area}&year=${YEAR}&asOf=${asOf}`;
    const [p, g, e] = await Promise.all([get(`/api/v1/monitoring/progress?${q}`, who), get(`/api/v1/monitoring/priority-groups?${q}`, who), get(`/api/v1/monitoring/evouchers?${q}`, who)]);
    await page.getByTestId('progress-caption').getByText(`${p.area.name}（${area}）${YEAR} 年度，截至 ${asOf}`).waitFor();
    await page.getByTestId('stat-ev-rate').getByText(rateText(e.totals.rate)).waitFor();
    await page.getByTestId('stat-groups-rate').getByText(rateText(g.totals.rate)).waitFor();
    assert.equal(num(await stat(page, 'stat-target')), p.totals.target);
    assert.equal(num(await stat(page, 'stat-paid')), p.totals.paid);
    assert.equal(await stat(page, 'stat-rate'), rateText(p.totals.rate));
    assert.equal(num(await stat(page, 'stat-unpaid')), p.totals.unpaid);
    assert.equal(num(await stat(page, 'stat-last-year')), p.totals.lastYear.enrolled);
    assert.equal(await stat(page, 'stat-last-year-rate'), rateText(p.totals.lastYear.rate));
    assert.equal(num(await stat(page, 'ev-activated')), e.totals.activated);
    assert.equal(num(await stat(page, 'ev-target')), e.totals.target);
    const groups = page.getByTestId('groups-table').locator('tbody tr.ant-table-row');
    assert.equal(await groups.count(), g.totals.groups.length);
    for (let i = 0; i < g.totals.groups.length; i++) {
      const cells = await groups.nth(i).locator('td').allInnerTexts();
      const x = g.totals.groups[i];
      assert.deepEqual(cells.slice(0, 5), [x.label, String(x.persons), String(x.enrolled), String(x.missing), rateText(x.rate)], x.label);
    }
    for (const c of ['progress-series-chart', 'groups-chart', 'ev-chart']) await page.getByTestId(c).locator('canvas').first().waitFor();
    await sameTargets(page, who, area, p);
  }

  /** Each village's imported and derived target, and the one the rate uses, as GET …/targets gives them; their sum is the progress's target. */
  async function sameTargets(page: Page, who: string, area: string, p: { totals: { target: number } }): Promise<void> {
    const t = await get(`/api/v1/monitoring/targets?area=${area}&year=${YEAR}`, who);
    const rows = page.getByTestId('targets-table').locator('tbody tr.ant-table-row');
    await page.getByTestId('targets-totals').waitFor();
    assert.equal(await rows.count(), t.villages.length);
    type V = { villageCode: string; villageName: string; townshipName: string | null; imported: { enrollment: number } | null; derived: { enrollment: number; registered: number; employeeInsurance: number }; enrollment: number; source: string };
    for (const [i, v] of (t.villages as V[]).entries())
      assert.deepEqual((await rows.nth(i).locator('td').allInnerTexts()).map((c) => c.trim()), [
        `${v.villageName}（${v.villageCode}）`,
        v.townshipName ?? '—',
        v.imported ? String(v.imported.enrollment) : '—',
        String(v.derived.enrollment),
        String(v.derived.registered),
        String(v.derived.employeeInsurance),
        v.source === 'imported' ? '分解表' : '推算',
        String(v.enrollment),
      ], v.villageCode);
    const sum = (f: (v: V) => number) => (t.villages as V[]).reduce((s, v) => s + f(v), 0);
    assert.equal(sum((v) => v.enrollment), p.totals.target, 'the targets used add up to the progress target');
    const imported = (t.villages as V[]).filter((v) => v.imported);
    assert.equal(
      await page.getByTestId('targets-totals').innerText(),
      `分解表 ${imported.length} 个村，合计 ${imported.reduce((s, v) => s + v.imported!.enrollment, 0)} 人（这些村推算 ${imported.reduce((s, v) => s + v.derived.enrollment, 0)} 人）；推算合计 ${sum((v) => v.derived.enrollment)} 人；参保率所用合计 ${sum((v) => v.enrollment)} 人。`,
    );
  }

  test('参保进度 (bureau officer): the start page; the county, its townships and a village as the API gives them; the missing persons paged on the server', async () => {
    const page = await as('policy');
    await page.waitForURL(/\/progress$/);
    assert.deepEqual((await page.locator('.ant-menu-item').allInnerTexts()).map((t) => t.trim()).slice(0, 2), ['参保进度', '半月通报']);
    // no year or date in the URL: the latest pack's year, and the window's end once it is over
    await sameFigures(page, 'policy', COUNTY, END);
    assert.equal(await page.getByTestId('progress-year').locator('.ant-select-content, .ant-select-selection-item').first().innerText(), `${YEAR} 年度`);
    // the townships: each row is the API's answer for that township
    const rows = page.getByTestId('progress-rows').locator('tbody tr.ant-table-row');
    assert.equal(await rows.count(), 2, '兴义镇 and 三合街道');
    for (const code of [TOWN, OTHER_TOWN]) {
      const q = `area=${code}&year=${YEAR}&asOf=${END}`;
      const [p, g, e] = await Promise.all([get(`/api/v1/monitoring/progress?${q}`, 'policy'), get(`/api/v1/monitoring/priority-groups?${q}`, 'policy'), get(`/api/v1/monitoring/evouchers?${q}`, 'policy')]);
      const cells = await rows.filter({ hasText: code }).locator('td').allInnerTexts();
      assert.deepEqual(cells, [
        `${p.area.name}（${code}）`,
        String(p.totals.target),
        String(p.totals.paid),
        rateText(p.totals.rate),
        String(p.totals.unpaid),
        String(p.totals.lastYear.enrolled),
        rateText(p.totals.lastYear.rate),
        `${p.totals.lastYear.change >= 0 ? '+' : ''}${p.totals.lastYear.change}`,
        String(g.totals.missing),
        rateText(g.totals.rate),
        rateText(e.totals.rate),
      ], code);
    }
    await page.getByTestId('progress-rows-chart').locator('canvas').first().waitFor();
    await shot(page, '01-progress-county');

    // drill down: the township, then its village
    await rows.filter({ hasText: TOWN }).click();
    await page.waitForURL(new RegExp(`area=${TOWN}`));
    await sameFigures(page, 'policy', TOWN, END);
    await shot(page, '02-progress-township');
    await page.getByTestId('progress-rows').locator('tbody tr.ant-table-row', { hasText: VILLAGE }).click();
    await page.waitForURL(new RegExp(`area=${VILLAGE}`));
    await sameFigures(page, 'policy', VILLAGE, END);
    assert.deepEqual(await crumbs(page), ['丰都县', '兴义镇', '兴义社区']);

    // the missing persons: the server's pages (a past date, when more are missing)
    await page.goto(`/progress?area=${VILLAGE}&year=${YEAR}&asOf=2022-02-15&pageSize=4`);
    const q = `area=${VILLAGE}&year=${YEAR}&asOf=2022-02-15`;
    const p1 = await get(`/api/v1/monitoring/priority-groups/missing/paged?${q}&page=1&pageSize=4`, 'policy');
    assert.ok(p1.total > 8, `enough missing persons to page through: ${p1.total}`);
    const list = page.getByTestId('missing-table').locator('tbody tr.ant-table-row');
    await page.getByTestId('missing-total').getByText(`共 ${p1.total} 人`).waitFor();
    assert.equal(await list.count(), 4);
    assert.deepEqual(await list.locator('td:nth-child(2)').allInnerTexts(), p1.persons.map((x: { idNumber: string }) => x.idNumber));
    assert.match(p1.persons[0].idNumber, /^\d{17}[\dX]$/, 'a bureau officer sees full ID numbers');
    await shot(page, '03-progress-village-missing');
    await page.getByTestId('missing-card').locator('.ant-pagination-item-3').click();
    await page.waitForURL(/page=3/);
    const p3 = await get(`/api/v1/monitoring/priority-groups/missing/paged?${q}&page=3&pageSize=4`, 'policy');
    await page.getByTestId('missing-table').getByText(p3.persons[0].idNumber).waitFor();
    assert.deepEqual(await list.locator('td:nth-child(2)').allInnerTexts(), p3.persons.map((x: { idNumber: string }) => x.idNumber));
    // one group only
    await page.getByTestId('missing-group').click();
    await page.locator('.ant-select-item-option', { hasText: '低保对象' }).click();
    await page.waitForURL(/group=dibao/);
    const dibao = await get(`/api/v1/monitoring/priority-groups/missing/paged?${q}&group=dibao&pageSize=4`, 'policy');
    await page.getByTestId('missing-total').getByText(`共 ${dibao.total} 人`).waitFor();
    for (const t of await list.locator('td:nth-child(4)').allInnerTexts()) assert.match(t, /低保对象/);
    await shot(page, '03-progress-village-missing-dibao');
  });

  test('参保进度 (village clerk): the start page is the own village, masked; another township, the county and a bad date are refused in Chinese, in the UI and by URL', async () => {
    const page = await as('village', 'village-password');
    await page.waitForURL(/\/progress$/);
    await sameFigures(page, 'village', VILLAGE, END);
    assert.deepEqual(await crumbs(page), ['兴义社区'], 'nothing above the own village');
    // the area picker offers the own village only
    await page.getByTestId('progress-area').click();
    const options = await page.locator('.ant-select-tree-node-content-wrapper').allInnerTexts();
    assert.deepEqual(options, [`兴义社区（${VILLAGE}）`]);
    await page.keyboard.press('Escape');
    const missing = page.getByTestId('missing-table').locator('tbody tr.ant-table-row');
    await missing.first().waitFor();
    for (const t of await missing.locator('td:nth-child(2)').allInnerTexts()) assert.match(t, /^\d{6}\*{8}\d{3}[\dX]$/, 'masked for a clerk');
    // the residents without an activated e-voucher: the server's pages
    const nq = `area=${VILLAGE}&year=${YEAR}&asOf=${END}&pageSize=10`;
    const n1 = await get(`/api/v1/monitoring/evouchers/not-activated/paged?${nq}&page=1`, 'village');
    assert.ok(n1.total > 10, `more than a page not activated: ${n1.total}`);
    const e = await get(`/api/v1/monitoring/evouchers?area=${VILLAGE}&year=${YEAR}&asOf=${END}`, 'village');
    assert.equal(n1.total, e.totals.notActivated);
    await page.getByTestId('not-activated-total').getByText(`共 ${n1.total} 人`).waitFor();
    const na = page.getByTestId('not-activated-table').locator('tbody tr.ant-table-row');
    assert.deepEqual(await na.locator('td:nth-child(2)').allInnerTexts(), n1.persons.map((x: { idNumber: string }) => x.idNumber));
    await page.getByTestId('not-activated-card').locator('.ant-pagination-item-2').click();
    const n2 = await get(`/api/v1/monitoring/evouchers/not-activated/paged?${nq}&page=2`, 'village');
    await page.getByTestId('not-activated-table').getByText(n2.persons[0].idNumber).waitFor();
    assert.deepEqual(await na.locator('td:nth-child(2)').allInnerTexts(), n2.persons.map((x: { idNumber: string }) => x.idNumber));
    await shot(page, '04-progress-village-clerk');

    for (const area of [OTHER_TOWN, TOWN, COUNTY]) {
      await page.goto(`/progress?area=${area}&year=${YEAR}&asOf=${END}`);
      const refused = page.getByTestId('progress-error');
      await refused.waitFor();
      assert.match(await refused.innerText(), new RegExp(`无权访问：区域 ${area} 不在 village 的经办范围内`));
      assert.equal(await page.getByTestId('stat-paid').count(), 0, 'no figures shown');
      assert.equal((await request(env.base, 'GET', `/api/v1/monitoring/progress?area=${area}&year=${YEAR}&asOf=${END}`, env.tok.village)).status, 403);
    }
    await shot(page, '04-progress-other-township-refused');
    await page.goto(`/progress?area=${VILLAGE}&year=${YEAR}&asOf=2022-02-30`);
    await page.getByTestId('progress-error').getByText('输入有误：「统计日期」须为真实日期，格式 YYYY-MM-DD').waitFor();
    await page.goto(`/progress?area=12&year=${YEAR}&asOf=${END}`);
    await page.getByTestId('progress-error').getByText('输入有误：「区域」须为行政区划代码：县6位、乡镇9位、村12位').waitFor();
    // the page's other requests for the bad area are refused too: forgiven once they are all back
    await page.waitForLoadState('networkidle');
    suite.forgive(/40[03] \((Forbidden|Bad Request)\)/);
  });

  test('参保进度 (township clerk): 兴义镇 and its villages; 三合街道 refused', async () => {
    const page = await as('clerk');
    await page.waitForURL(/\/progress$/);
    await sameFigures(page, 'clerk', TOWN, END);
    const rows = page.getByTestId('progress-rows').locator('tbody tr.ant-table-row');
    assert.deepEqual(await rows.locator('td:first-child').allInnerTexts(), [`兴义社区（${VILLAGE}）`]);
    await page.goto(`/progress?area=${OTHER_TOWN}`);
    await page.getByTestId('progress-error').getByText(/无权访问/).waitFor();
    assert.equal((await request(env.base, 'GET', `/api/v1/monitoring/progress?area=${OTHER_TOWN}&year=${YEAR}&asOf=${END}`, env.tok.clerk)).status, 403);
    suite.forgive(/403 \(Forbidden\)/);
  });

  test('半月通报 (bureau officer): the report as the API gives it; the XLSX and the PDF downloaded carry its figures', async () => {
    const page = await as('policy');
    await page.goto(`/reports/half-monthly?town=${TOWN}&asOf=2022-02-15`);
    const r = await get(`/api/v1/monitoring/reports/half-monthly?town=${TOWN}&asOf=2022-02-15`, 'policy');
    await page.getByTestId('report-title').getByText(r.title).waitFor();
    const rows = page.getByTestId('report-table').locator('tbody tr.ant-table-row');
    assert.equal(await rows.count(), r.villages.length);
    for (let i = 0; i < r.villages.length; i++) {
      const v = r.villages[i];
      const cells = await rows.nth(i).locator('td').allInnerTexts();
      const signed = (n: number | null) => (n === null ? '—' : n > 0 ? `+${n}` : String(n));
      assert.deepEqual(cells, [
        String(v.rank ?? '—'),
        `${v.villageName}${v.lagging ? '推进滞后' : ''}`,
        `${v.target}${v.targetSource === 'derived' ? '（推算）' : ''}`,
        String(v.enrolled),
        rateText(v.rate),
        signed(v.change),
        rateText(v.previous.rate),
        signed(v.rankChange),
        String(v.unpaid),
        String(v.groups.persons),
        String(v.groups.missing),
        rateText(v.groups.rate),
        `${v.evouchers.activated}/${v.evouchers.target}`,
        rateText(v.evouchers.rate),
      ]);
    }
    const totals = await page.getByTestId('report-totals').locator('td').allInnerTexts();
    assert.equal(totals[1], '合计');
    assert.equal(Number(totals[3]), r.totals.enrolled);
    assert.equal(totals[4], rateText(r.totals.rate));
    assert.equal(await page.getByTestId('report-notes').locator('li').count(), r.notes.length);
    await page.getByTestId('report-chart').locator('canvas').first().waitFor();
    await shot(page, '05-report');

    // the XLSX: its table rows hold the report's figures
    const [xd] = await Promise.all([page.waitForEvent('download'), page.getByTestId('report-xlsx').click()]);
    assert.equal(xd.suggestedFilename(), `参保通报-${TOWN}-2022-02-15.xlsx`);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(readFileSync(await xd.path()) as unknown as ArrayBuffer);
    const ws = wb.getWorksheet('通报');
    assert.ok(ws, 'the sheet 通报');
    const sheet: string[][] = [];
    ws.eachRow((row) => sheet.push((row.values as unknown[]).slice(1).map((x) => (x === null || x === undefined ? '' : String(x)))));
    assert.equal(sheet[0][0], r.title);
    for (const v of r.villages) {
      const line = sheet.find((l) => l[2] === v.villageCode);
      assert.ok(line, `a row for ${v.villageCode}`);
      assert.deepEqual(line.slice(1, 6), [v.villageName, v.villageCode, String(v.target), String(v.enrolled), rateText(v.rate)]);
    }
    const total = sheet.find((l) => l[1] === '合计')!;
    assert.deepEqual([total[3], total[4], total[5]], [String(r.totals.target), String(r.totals.enrolled), rateText(r.totals.rate)]);

    // the PDF: the text holds the title's town, each village with its rate, the totals
    const [pd] = await Promise.all([page.waitForEvent('download'), page.getByTestId('report-pdf').click()]);
    assert.equal(pd.suggestedFilename(), `参保通报-${TOWN}-2022-02-15.pdf`);
    const pdf = readFileSync(await pd.path());
    assert.equal(pdf.subarray(0, 5).toString(), '%PDF-');
    assert.ok(existsSync(PDFTOTEXT), `${PDFTOTEXT} (poppler-utils)`);
    const text = spawnSync(PDFTOTEXT, ['-layout', await pd.path(), '-'], { encoding: 'utf8' });
    assert.equal(text.status, 0, text.stderr);
    for (const v of r.villages) {
      const line = text.stdout.split('\n').find((l) => l.includes(v.villageCode));
      assert.ok(line && line.includes(v.villageName) && line.includes(rateText(v.rate)) && line.includes(String(v.enrolled)), `the PDF's line for ${v.villageName}: ${line}`);
    }
    assert.ok(text.stdout.includes('合计') && text.stdout.includes(rateText(r.totals.rate)));

    // another half-month picked in the date field: the URL and the report follow
    await page.getByTestId('report-date').click();
    await page.getByTestId('report-date').fill('2022-01-31');
    await page.keyboard.press('Enter');
    await page.waitForURL(/asOf=2022-01-31/);
    const jan = await get(`/api/v1/monitoring/reports/half-monthly?town=${TOWN}&asOf=2022-01-31`, 'policy');
    await page.getByTestId('report-title').getByText(jan.title).waitFor();
    assert.equal(Number((await page.getByTestId('report-totals').locator('td').allInnerTexts())[3]), jan.totals.enrolled);
  });

  test('半月通报 (clerks): the township clerk’s own town by default; a village clerk is told why there is none; another township refused by URL', async () => {
    let page = await as('clerk');
    await page.goto('/reports/half-monthly');
    const r = await get(`/api/v1/monitoring/reports/half-monthly?town=${TOWN}&asOf=${END}`, 'clerk');
    await page.getByTestId('report-title').getByText(r.title).waitFor();
    assert.equal(Number((await page.getByTestId('report-totals').locator('td').allInnerTexts())[3]), r.totals.enrolled);
    await shot(page, '06-report-township-clerk');
    await page.goto(`/reports/half-monthly?town=${OTHER_TOWN}&asOf=${END}`);
    await page.getByTestId('report-error').getByText(new RegExp(`无权访问：区域 ${OTHER_TOWN} 不在 clerk 的经办范围内`)).waitFor();
    assert.equal(await page.getByTestId('report-table').count(), 0);
    assert.equal((await request(env.base, 'GET', `/api/v1/monitoring/reports/half-monthly.xlsx?town=${OTHER_TOWN}&asOf=${END}`, env.tok.clerk)).status, 403);
    suite.forgive(/403 \(Forbidden\)/);

    page = await as('village', 'village-password');
    await page.goto('/reports/half-monthly');
    await page.getByTestId('report-village-clerk').waitFor();
    assert.equal(await page.getByTestId('report-table').count(), 0);
    await shot(page, '06-report-village-clerk');
    await page.goto(`/reports/half-monthly?town=${TOWN}&asOf=${END}`);
    await page.getByTestId('report-error').getByText(/无权访问/).waitFor();
    assert.equal((await request(env.base, 'GET', `/api/v1/monitoring/reports/half-monthly?town=${TOWN}&asOf=${END}`, env.tok.village)).status, 403);
    // the own village by URL: the server's 400 names the field
    await page.goto(`/reports/half-monthly?town=${VILLAGE}&asOf=${END}`);
    await page.getByTestId('report-error').getByText(`输入有误：「乡镇（街道）」${VILLAGE} 是村（社区）：通报按乡镇（街道）或全县编制`).waitFor();
    suite.forgive(/40[03] \((Forbidden|Bad Request)\)/);
  });
});
