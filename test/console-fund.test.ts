/**
 * The console's 基金运行 and 测算与改革 pages in Chromium (the start-up of test/support/console.ts:
 * the demo town of 2022). The finance officer: each fund's balance, surplus and months of reserve
 * as GET /api/v1/fund/position gives them, the bottom-line alerts with 鲁医保发〔2022〕24号 九,
 * a budget entered through the page and shown against the actual figures, a hospital's statement
 * as the API draws it, approved and paid through the page, the receipts outstanding by level.
 * The policy officer: a simulation with the Chongqing 2022 → 2023 reform, run as a job with a
 * progress bar, whose figures equal the synchronous API's for the same request, the projection from the simulated year, and both XLSX downloads.
 * A village clerk has neither menu item and is told so by URL. Screenshots under
 * test-output/console-fund/; any console error fails the test.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { QuoteService } from '../src/quotes/quote-service.ts';
import { consoleSuite, OUTPUT, screenshot, type ConsoleEnv } from './support/console.ts';
import { logIn, request } from './support/http.ts';

const OUT = join(OUTPUT, 'console-fund');
const quotes = QuoteService.load();
const yuan = (v: number) => v.toLocaleString('zh-CN', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

describe('the 基金运行 and 测算与改革 pages in Chromium', { concurrency: false }, () => {
  const suite = consoleSuite(quotes, OUT, async (env) => {
    // the demo's finance user
    env.tok.finance = await logIn(env.base, 'finance', 'demo-finance-2022');
  });
  const as = suite.as;
  let env: ConsoleEnv;
  before(() => {
    env = suite.env;
  });

  test('finance: position and alerts as the API gives them, a budget entered, a statement approved and paid, receipts outstanding', async () => {
    const pos = (await request(env.base, 'GET', '/api/v1/fund/position?region=370000&account=basic_fund', env.tok.finance)).json;
    const last = pos.positions.at(-1);
    const page = await as('finance');
    await page.getByRole('menuitem', { name: '基金运行' }).click();
    await page.getByTestId('fund-positions').locator('tbody tr.ant-table-row').first().waitFor();
    assert.equal((await page.getByTestId('fund-balance').locator('.ant-statistic-content').innerText()).trim(), yuan(last.balance));
    assert.equal((await page.getByTestId('fund-surplus').locator('.ant-statistic-content').innerText()).trim(), yuan(last.currentSurplus));
    assert.ok(await page.getByTestId('fund-chart').locator('canvas').count(), 'the chart is drawn');
    const alerts = page.getByTestId('fund-alerts');
    if (pos.alerts.length > 0) {
      await alerts.locator('tbody tr.ant-table-row').first().waitFor();
      const text = await alerts.innerText();
      assert.match(text, /鲁医保发〔2022〕24号 九/);
      assert.ok(text.includes(pos.alerts[0].message), pos.alerts[0].message);
    } else assert.match(await alerts.innerText(), /未触及底线/);

    // the budget, entered through the page
    const form = page.getByTestId('budget-form');
    await form.getByLabel('预算收入（元）').fill('3000000');
    await form.getByLabel('预算支出（元）').fill('2500000.5');
    await form.getByRole('button', { name: '保存预算' }).click();
    await page.getByTestId('budget-table').locator('tbody tr.ant-table-row').first().waitFor();
    const b = (await request(env.base, 'GET', '/api/v1/fund/budget?region=370000&year=2022', env.tok.finance)).json;
    assert.equal(b.lines[0].spendingFen, 250_000_050);
    const brow = await page.getByTestId('budget-table').locator('tbody tr.ant-table-row').first().innerText();
    for (const v of [yuan(b.lines[0].income), yuan(b.lines[0].spending), yuan(b.lines[0].actualSpending)]) assert.ok(brow.includes(v), `${v} in ${brow}`);

    // a hospital's statement: as the API draws it; approved and paid through the page
    const hs = (await request(env.base, 'GET', '/api/v1/fund/hospitals', env.tok.finance)).json.hospitals as { code: string; name: string; uncleared: number }[];
    const h = hs.find((x) => x.uncleared > 0)!;
    const month = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 7);
    const s = (await request(env.base, 'GET', `/api/v1/fund/statements?hospital=${h.code}&month=${month}`, env.tok.finance)).json;
    await page.getByTestId('statement-hospital').click();
    await page.locator('.ant-select-item-option', { hasText: h.code }).first().click();
    await page.getByTestId('statement').waitFor();
    assert.equal((await page.getByTestId('statement-fund').innerText()).trim(), yuan(s.fundTotal));
    await page.getByTestId('reconciliation').waitFor();
    assert.match(await page.getByTestId('reconciliation').innerText(), /机构本月未上报 3201/);
    await screenshot(page, OUT, 'fund-run-finance');
    await page.getByTestId('statement-approve').click();
    await page.getByTestId('statement').getByText('已审核').waitFor();
    await page.getByTestId('payment-reference').fill('BANK-CONSOLE-1');
    await page.getByTestId('statement-pay').click();
    await page.getByTestId('statement').getByText('已支付').waitFor();
    const paid = (await request(env.base, 'GET', `/api/v1/fund/statements?hospital=${h.code}&month=${month}`, env.tok.finance)).json;
    assert.equal(paid.state, 'paid');
    assert.equal(paid.payment.reference, 'BANK-CONSOLE-1');
    assert.equal(paid.payment.amountFen, s.fundTotalFen);

    // every hospital's statement of the month, paged on the server, as the API gives them
    const ms = (await request(env.base, 'GET', `/api/v1/fund/statements/month?month=${month}&page=1&pageSize=10`, env.tok.finance)).json;
    assert.ok(ms.total >= 1 && ms.statements.length >= 1, JSON.stringify(ms).slice(0, 200));
    const mrows = page.getByTestId('month-statements').locator('tbody tr.ant-table-row');
    await mrows.first().waitFor();
    const mtexts = await mrows.allInnerTexts();
    assert.equal(mtexts.length, ms.statements.length);
    for (const [i, m] of ms.statements.entries()) {
      for (const v of [m.hospitalCode, yuan(m.totals.total), yuan(m.totals.basicFund), yuan(m.fundTotal)]) assert.ok(mtexts[i].includes(v), `${v} in the row of ${m.hospitalCode}: ${mtexts[i]}`);
      const one = (await request(env.base, 'GET', `/api/v1/fund/statements?hospital=${m.hospitalCode}&month=${month}`, env.tok.finance)).json;
      assert.equal(m.fundTotalFen, one.fundTotalFen, `${m.hospitalCode}: the month's table draws each statement as the single one`);
      assert.equal(m.state, one.state);
    }
    const paidRow = ms.statements.findIndex((m: { hospitalCode: string }) => m.hospitalCode === h.code);
    if (paidRow >= 0) assert.match(mtexts[paidRow], /已支付/);
    await screenshot(page, OUT, 'fund-run-month-statements');

    // receipts outstanding by level
    const out = (await request(env.base, 'GET', '/api/v1/fund/receipts', env.tok.finance)).json;
    if (out.outstanding.lines.length) await page.getByTestId('outstanding-table').locator('tbody tr.ant-table-row').first().waitFor();
    const rows = await page.getByTestId('outstanding-table').locator('tbody tr.ant-table-row').allInnerTexts();
    assert.equal(rows.length, out.outstanding.lines.length);
    for (const [i, l] of out.outstanding.lines.entries()) assert.ok(rows[i].includes(yuan(l.outstanding)), `${l.level} ${l.coverageYear}: ${rows[i]}`);
  });

  test('policy officer: a simulation with the Chongqing reform equal to the API’s, a projection from it, both as XLSX', async () => {
    const body = { region: '500230', year: 2022, source: 'generated', persons: 3000, seed: 20220101, reform: 'chongqing-2022-2023' };
    const api = (await request(env.base, 'POST', '/api/v1/sim/runs', env.tok.policy, body)).json;
    const page = await as('policy');
    await page.getByRole('menuitem', { name: '测算与改革' }).click();
    await page.getByTestId('reform-changes').locator('tbody tr.ant-table-row').first().waitFor();
    await page.locator('[data-testid=sim-persons] input, input[data-testid=sim-persons]').fill('3000');
    await page.getByTestId('sim-run').click();
    await page.getByTestId('sim-differences').locator('tbody tr.ant-table-row').first().waitFor({ timeout: 60_000 });
    // a job (POST /api/v1/sim/jobs, polled): its progress bar ends at 100 %
    await page.getByTestId('sim-progress-text').getByText('模拟完成').waitFor();
    assert.match(await page.getByTestId('sim-progress').locator('.ant-progress').getAttribute('aria-valuenow') ?? '', /^100$/);
    assert.equal((await page.getByTestId('sim-persons-out').locator('.ant-statistic-content').innerText()).trim().replace(/,/g, ''), String(api.baseline.persons));
    const bal = api.baseline.funds.basicFund.income - api.baseline.funds.basicFund.spending;
    assert.equal((await page.getByTestId('sim-basic-balance').locator('.ant-statistic-content').innerText()).trim(), yuan(bal));
    const diffs = await page.getByTestId('sim-differences').locator('tbody tr.ant-table-row').allInnerTexts();
    assert.equal(diffs.length, api.reform.differences.length);
    const contrib = api.reform.differences.findIndex((d: { what: string }) => d.what === 'income.contributions');
    assert.ok(diffs[contrib].includes('个人缴费') && diffs[contrib].includes(yuan(api.reform.differences[contrib].difference)), diffs[contrib]);
    assert.ok(await page.getByTestId('sim-chart').locator('canvas').count());

    await page.getByTestId('proj-run').click();
    await page.getByTestId('proj-table').locator('tbody tr.ant-table-row').first().waitFor({ timeout: 60_000 });
    const proj = (await request(env.base, 'POST', '/api/v1/sim/project', env.tok.policy, { region: '370000', years: 10, simulation: api, use: 'baseline' })).json;
    const prow = await page.getByTestId('proj-table').locator('tbody tr.ant-table-row').allInnerTexts();
    assert.equal(prow.length, 10);
    assert.ok(prow[9].includes(yuan(proj.years[9].balance)), prow[9]);
    const crossings = await page.getByTestId('proj-crossings').innerText();
    if (proj.firstCrossings.length) assert.ok(crossings.includes(`${proj.firstCrossings[0].year} 年首次触及底线`), crossings);
    else assert.match(crossings, /未触及底线/);
    await screenshot(page, OUT, 'sim-policy');

    for (const id of ['sim-xlsx', 'proj-xlsx']) {
      const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.getByTestId(id).click()]);
      const file = join(OUT, download.suggestedFilename());
      await download.saveAs(file);
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.readFile(file);
      assert.deepEqual(wb.worksheets.map((w) => w.name), id === 'sim-xlsx' ? ['基线', '改革', '改革差异'] : ['基金测算']);
    }
  });

  test('a village clerk has neither menu item, and the pages by URL say they are not theirs', async () => {
    const page = await as('village', 'village-password');
    for (const name of ['基金运行', '测算与改革']) assert.equal(await page.getByRole('menuitem', { name }).count(), 0);
    for (const path of ['/fund-run', '/sim']) {
      await page.goto(path);
      await page.getByTestId('whoami').waitFor();
      await page.getByText('无权访问').waitFor();
      assert.equal(await page.getByTestId('fund-positions').count(), 0);
      assert.equal(await page.getByTestId('sim-run').count(), 0);
    }
    suite.forgive(/403/);
  });
});
