/**
 * The console's DRG付费 page in Chromium (the start-up of test/support/console.ts: the demo town,
 * whose DRG hospitals' stays are grouped and pre-paid month by month): the shares, each target
 * with its citation, and the per-hospital table equal GET /api/v1/drg/metrics; the chart is
 * drawn; a clerk has no such menu item and is told so by URL. Screenshot under
 * test-output/console-drg/; any console error fails the test.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { QuoteService } from '../src/quotes/quote-service.ts';
import { consoleSuite, OUTPUT, screenshot, type ConsoleEnv } from './support/console.ts';
import { request } from './support/http.ts';

const OUT = join(OUTPUT, 'console-drg');
const quotes = QuoteService.load();
const pct = (v: string | null) => (v === null ? '—' : `${(Number(v) * 100).toFixed(2)}%`);

describe('the DRG付费 page in Chromium', { concurrency: false }, () => {
  const suite = consoleSuite(quotes, OUT);
  const as = suite.as;
  let env: ConsoleEnv;
  before(() => {
    env = suite.env;
  });

  test('the policy officer: shares, targets with citations, per-hospital figures as the API gives them', async () => {
    const r = await request(env.base, 'GET', '/api/v1/drg/metrics?region=500230&year=2022', env.tok.policy);
    assert.equal(r.status, 200, r.text);
    const m = r.json;
    assert.ok(m.perHospital.length > 0 && m.perHospital.every((h: { paid: unknown }) => h.paid), 'the demo pre-paid its DRG hospitals');
    const page = await as('policy');
    await page.getByRole('menuitem', { name: 'DRG付费' }).click();
    await page.getByTestId('drg-hospitals').locator('tbody tr.ant-table-row').first().waitFor();
    assert.equal((await page.getByTestId('drg-fund-share').locator('.ant-statistic-content').innerText()).trim(), pct(m.fund.share.value));
    assert.match(await page.getByTestId('drg-hospital-share').innerText(), new RegExp(`${m.hospitals.paidByGroup} / ${m.hospitals.publicSecondaryPlus}`));
    const targets = await page.getByTestId('drg-targets').locator('tbody tr.ant-table-row').allInnerTexts();
    assert.equal(targets.length, m.targets.length);
    for (const [i, t] of m.targets.entries()) {
      assert.ok(targets[i].includes(t.cite), `${t.cite} in ${targets[i]}`);
      assert.ok(targets[i].includes(t.quote), `the quote of ${t.key}`);
    }
    const rows = await page.getByTestId('drg-hospitals').locator('tbody tr.ant-table-row').allInnerTexts();
    assert.equal(rows.length, m.perHospital.length);
    for (const [i, h] of m.perHospital.entries()) {
      for (const v of [h.code, String(h.cases), h.cmi, h.costPerWeight, h.paid.payment, h.paid.cost, `${h.paid.result} ${h.paid.balance}`]) assert.ok(rows[i].includes(v), `${v} in the row of ${h.code}: ${rows[i]}`);
    }
    assert.ok(await page.getByTestId('drg-chart').locator('canvas').count(), 'the chart is drawn');
    await screenshot(page, OUT, 'drg-policy');
  });

  test('a clerk has no DRG付费 menu item, and the page by URL says it is not theirs', async () => {
    const page = await as('clerk');
    assert.equal(await page.getByRole('menuitem', { name: 'DRG付费' }).count(), 0);
    await page.goto('/drg');
    await page.getByTestId('whoami').waitFor();
    assert.equal(await page.getByTestId('drg-hospitals').count(), 0);
    suite.forgive(/403/);
  });
});
