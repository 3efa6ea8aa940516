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
import { plantDeathHit, type PlantedHit } from './support/planted-hit.ts';
import { request } from './support/http.ts';

const OUT = join(OUTPUT, 'console-risk');
const quotes = QuoteService.load();
const VILLAGE = '500230100001';

describe('the 风险预警 and 基金监管 pages in Chromium', { concurrency: false }, () => {
  let planted: PlantedHit;
  const suite = consoleSuite(quotes, OUT, async (env) => {
    // the demo has no screening hits: a resident settled after their registered death (FR02)
    planted = await plantDeathHit(env.d, quotes);
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

  test('基金监管: the planted hit with its rule code, explanation and cited sentence, down to its fee lines, open → reviewed → confirmed', async () => {
    const api = await request(env.base, 'GET', '/api/v1/risk/hits?region=500230&year=2022&rule=FR02', env.tok.policy);
    assert.equal(api.status, 200, api.text);
    const hit = api.json.cases.find((c: { settlementIds: string[] }) => c.settlementIds.includes(planted.settlementId));
    assert.ok(hit, `FR02 found the planted settlement ${planted.settlementId}: ${api.text}`);
    assert.equal(hit.state, 'open');
    assert.ok(hit.amount > 0, 'the fund paid for the stay: there is money to recover');
    assert.ok(hit.explain && hit.citation?.cite && hit.citation?.quote, 'the rule is explained and cited');
    const all = (await request(env.base, 'GET', '/api/v1/risk/hits?region=500230&year=2022', env.tok.policy)).json;
    const page = await as('policy');
    // the last menu item: in the overflow of a 1440 px wide bar, so by its address
    assert.equal(await page.locator('.ant-menu-item', { hasText: '基金监管' }).count(), 1);
    await page.goto('/supervision');
    await rowsOf(page, 'sup-summary').first().waitFor();
    // the summary per rule equals the API's
    const summary = await rowsOf(page, 'sup-summary').allInnerTexts();
    const rules = [...new Set(all.summary.map((x: { rule: string }) => x.rule))];
    assert.equal(summary.length, rules.length);
    const fr02 = summary.find((t) => t.startsWith('FR02'))!;
    const fr02Cases = all.summary.filter((x: { rule: string }) => x.rule === 'FR02').reduce((a: number, x: { cases: number }) => a + x.cases, 0);
    assert.match(fr02, new RegExp(`^FR02\\s+${fr02Cases}\\s`), fr02);
    // the hit's row: rule code and name, amount; expanded, the explanation and the article
    await page.getByTestId('sup-rule').click();
    await page.locator('.ant-select-item-option', { hasText: 'FR02' }).click();
    // (the id alone is a digit other rows hold too, e.g. the demo's own FR02 hits: the amount picks the planted one)
    const row = rowsOf(page, 'sup-hits').filter({ hasText: hit.id }).filter({ hasText: hit.amount.toFixed(2) }).first();
    await row.waitFor();
    const rowText = await row.innerText();
    for (const v of [`FR02 ${hit.ruleName}`, hit.amount.toFixed(2), '待审核']) assert.ok(rowText.includes(v), `${v} in ${rowText}`);
    await row.locator('.ant-table-row-expand-icon').click();
    const expanded = page.getByTestId('sup-hits').locator('tr.ant-table-expanded-row').first();
    await expanded.getByText(hit.explain).waitFor();
    assert.ok((await expanded.innerText()).includes(hit.citation.cite));
    await suite.shot(page, 'supervision-policy');

    // the drill-down: the settlement and its fee lines as the API gives them
    await page.getByTestId(`hit-open-${hit.id}`).click();
    const detail = page.getByTestId('hit-detail');
    await rowsOf(page, 'hit-fees').first().waitFor();
    const dtext = await detail.innerText();
    for (const v of [`FR02 ${hit.ruleName}`, hit.explain, hit.citation.cite, `“${hit.citation.quote}”`]) assert.ok(dtext.includes(v), `${v} in the drawer`);
    const one = (await request(env.base, 'GET', `/api/v1/risk/hits/${hit.id}?region=500230`, env.tok.policy)).json;
    assert.deepEqual(one.settlements.map((x: { settlementId: string }) => x.settlementId), [planted.settlementId]);
    const srows = await rowsOf(page, 'hit-settlements').allInnerTexts();
    assert.equal(srows.length, 1);
    assert.ok(srows[0].includes(planted.settlementId) && srows[0].includes(planted.admitted), srows[0]);
    const frows = await rowsOf(page, 'hit-fees').allInnerTexts();
    assert.equal(frows.length, planted.lines.length);
    assert.equal(one.feeLines.length, planted.lines.length);
    for (const [i, l] of planted.lines.entries()) {
      assert.ok(frows[i].includes(l.sn) && frows[i].includes(l.name) && frows[i].includes((Math.round(l.cnt * l.pric * 100) / 100).toFixed(2)), `${l.name}: ${frows[i]}`);
    }
    await suite.shot(page, 'supervision-hit-open');

    // open → reviewed → confirmed, the recovery shown as the API records it
    await page.getByTestId('hit-note').fill('死亡后仍有住院结算，已核实');
    await page.getByTestId('hit-move-reviewed').click();
    await page.getByTestId('hit-state').getByText('已复核').waitFor();
    await page.getByTestId('hit-recover').fill(hit.amount.toFixed(2));
    await page.getByTestId('hit-move-confirmed').click();
    await page.getByTestId('hit-state').getByText('已确认违规').waitFor();
    const done = (await request(env.base, 'GET', `/api/v1/risk/hits/${hit.id}?region=500230`, env.tok.policy)).json;
    assert.equal(done.state, 'confirmed');
    assert.equal(done.recovered, hit.amount, 'confirming recovered the fund’s payment through the ledger');
    await page.getByTestId('hit-recovered').getByText(done.recovered.toFixed(2)).waitFor();
    assert.deepEqual(done.events.map((e: { from: string; to: string }) => `${e.from}→${e.to}`), ['open→reviewed', 'reviewed→confirmed']);
    assert.equal(await rowsOf(page, 'hit-events').count(), 2);
    await suite.shot(page, 'supervision-hit-confirmed');
  });
});
