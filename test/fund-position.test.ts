/**
 * The fund's position and its bottom lines (pure): exactly at a bottom line no alert, one fen
 * beyond it the alert citing 鲁医保发〔2022〕24号 九's sentence; the months' flows add up to the
 * balance (property); the budget tracked (以收定支).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PolicyLibrary } from '../src/policy/loader.ts';
import { bottomLinesOf, fundPositions, trackBudget, type MonthFlow } from '../src/rules/fund-position.ts';

const lib = PolicyLibrary.load();
const shandong = bottomLinesOf(lib.resolve('370000/2022'));
const SENTENCE = '严守当期不出现收不抵支、累计结余可支付月数不低于6个月“两条底线”';

const year = (income: number[], spending: number[], account = 'basic_fund'): MonthFlow[] =>
  income.map((inc, i) => ({ month: `2022-${String(i + 1).padStart(2, '0')}`, account, incomeFen: inc, spendingFen: spending[i] }));

test('the pack’s bottom lines, with their citation', () => {
  assert.equal(shandong.minimumReserveMonths?.months, 6);
  assert.ok(shandong.noCurrentDeficit);
  assert.equal(shandong.noCurrentDeficit!.param.quote, SENTENCE);
  assert.equal(shandong.minimumReserveMonths!.param.cite, '鲁医保发〔2022〕24号 九');
  const chongqing = bottomLinesOf(lib.resolve('500230/2022'));
  assert.equal(chongqing.minimumReserveMonths, null, 'the Chongqing notices set no bottom line');
});

test('当期收不抵支: income equal to spending is no deficit; one fen more spending is', () => {
  // January: a large income (the year's contributions), then spending month by month
  const spend = [0, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100];
  const total = spend.reduce((a, b) => a + b, 0);
  const exact = fundPositions(year([total, ...Array(11).fill(0)], spend), { ...shandong, minimumReserveMonths: null });
  assert.equal(exact[11].currentSurplusFen, 0);
  assert.deepEqual(exact.flatMap((p) => p.alerts), []);
  const over = fundPositions(year([total, ...Array(11).fill(0)], spend.map((s, i) => (i === 11 ? s + 1 : s))), { ...shandong, minimumReserveMonths: null });
  const alerts = over.flatMap((p) => p.alerts);
  assert.deepEqual(alerts.map((a) => [a.code, a.month]), [['CURRENT_YEAR_DEFICIT', '2022-12']]);
  assert.equal(alerts[0].citation.quote, SENTENCE);
  assert.equal(alerts[0].citation.cite, '鲁医保发〔2022〕24号 九');
  assert.match(alerts[0].message, /0\.01 元/);
});

test('可支付月数: exactly 6 months is not below 6; one fen less is', () => {
  // a balance brought from 2021, then 2022 with spending 1000 a month and no income: after month n
  // the balance is B − 1000 n and the average monthly spending is 1000
  const flows = (opening: number): MonthFlow[] => [{ month: '2021-12', account: 'basic_fund', incomeFen: opening, spendingFen: 0 }, ...year(Array(12).fill(0), Array(12).fill(1000))];
  // at 2022-06: balance = opening − 6000 must be 6 × 1000 → opening 12 000
  const at = (opening: number) => fundPositions(flows(opening), { ...shandong, noCurrentDeficit: null }).find((p) => p.month === '2022-06')!;
  const exact = at(12_000);
  assert.equal(exact.reserveMonths, 6);
  assert.deepEqual(exact.alerts, []);
  const below = at(11_999);
  assert.deepEqual(below.alerts.map((a) => a.code), ['RESERVE_BELOW_MINIMUM']);
  assert.equal(below.alerts[0].citation.quote, SENTENCE);
  assert.ok(below.reserveMonths! < 6);
});

test('property: the months’ income less spending adds up to each fund’s balance; the year’s figures restart in January', () => {
  const flow = fc.record({
    month: fc.constantFrom('2021-11', '2021-12', '2022-01', '2022-02', '2022-07', '2023-03'),
    account: fc.constantFrom('basic_fund', 'critical_illness_fund'),
    incomeFen: fc.integer({ min: 0, max: 10_000_000_000 }),
    spendingFen: fc.integer({ min: 0, max: 10_000_000_000 }),
  });
  fc.assert(
    fc.property(fc.array(flow, { minLength: 1, maxLength: 40 }), (flows) => {
      const ps = fundPositions(flows, shandong);
      for (const account of new Set(flows.map((f) => f.account))) {
        const mine = ps.filter((p) => p.account === account);
        const net = flows.filter((f) => f.account === account).reduce((s, f) => s + f.incomeFen - f.spendingFen, 0);
        assert.equal(mine[mine.length - 1].balanceFen, net);
        for (const y of ['2021', '2022', '2023']) {
          const ym = mine.filter((p) => p.month.startsWith(y));
          if (!ym.length) continue;
          const sum = flows.filter((f) => f.account === account && f.month.startsWith(y)).reduce((s, f) => s + f.incomeFen - f.spendingFen, 0);
          assert.equal(ym[ym.length - 1].currentSurplusFen, sum);
        }
        for (const p of mine) assert.equal(p.alerts.some((a) => a.code === 'CURRENT_YEAR_DEFICIT'), p.currentSurplusFen < 0);
      }
    }),
  );
});

test('the budget: 以收定支 flagged when it plans to spend more than it takes in; spending beyond it flagged', () => {
  const principle = lib.resolve('370000/2022').params.get('fund.budgetPrinciple');
  const ok = trackBudget({ year: 2022, account: 'basic_fund', incomeFen: 1000, spendingFen: 1000 }, { incomeFen: 500, spendingFen: 1000, monthsElapsed: 6 }, principle);
  assert.deepEqual(ok.warnings, []);
  assert.equal(ok.spendingExecuted, 1);
  const bad = trackBudget({ year: 2022, account: 'basic_fund', incomeFen: 1000, spendingFen: 1001 }, { incomeFen: 0, spendingFen: 1002, monthsElapsed: 6 }, principle);
  assert.deepEqual(bad.warnings.map((w) => w.code), ['BUDGET_SPENDING_ABOVE_INCOME', 'SPENDING_ABOVE_BUDGET']);
  assert.equal(bad.warnings[0].citation?.quote, '坚持“以收定支、收支平衡、略有结余”的原则');
});
