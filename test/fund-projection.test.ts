/**
 * The fund projection (pure): a case computed by hand (two age bands, ageing, cost growth, the
 * yearly contribution rises), the first year a bottom line of 鲁医保发〔2022〕24号 九 is crossed
 * with the sentence cited, the pack's examples reported, and properties: the balances chain
 * exactly in fen, ageing keeps the persons, the first crossing is the first year with an alert.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PolicyLibrary } from '../src/policy/loader.ts';
import { bottomLinesOf } from '../src/rules/fund-position.ts';
import { ageOneYear, baseFromTotals, projectFund, type ProjectionAssumptions, type ProjectionBase } from '../src/rules/fund-projection.ts';
import { loadProjectionAssumptions, parseProjectionAssumptions } from '../src/sim/microsim/projection-assumptions.ts';
import { InputError } from '../src/errors.ts';

const lib = PolicyLibrary.load();
const shandong = bottomLinesOf(lib.resolve('370000/2022'));
const SENTENCE = '严守当期不出现收不抵支、累计结余可支付月数不低于6个月“两条底线”';

const ex = (value: number) => ({ value, cite: null, quote: null, example: 'test' });
const twoBands: ProjectionAssumptions = {
  ageBands: [0, 60],
  ageing: ex(0.1),
  costGrowth: ex(0.1),
  contributionRise: { value: 30, cite: '医保发〔2022〕20号 一', quote: '同步提高个人缴费标准30元，达到每人每年350元', example: null },
  subsidyRise: ex(30),
  enrollmentChange: ex(0),
};
const base = (balanceFen: number): ProjectionBase => ({
  year: 2022,
  account: 'basic_fund',
  balanceFen,
  bands: [
    { persons: 1000, spendingPerPersonFen: 50_000 },
    { persons: 1000, spendingPerPersonFen: 100_000 },
  ],
  contributionPerPersonFen: 35_000,
  subsidyPerPersonFen: 61_000,
});

test('a projection computed by hand: income, spending, surplus, balance, months of reserve', () => {
  const p = projectFund(base(0), twoBands, 4, shandong);
  // 2023: persons 900 / 1100; income 2000 × (380 + 640) yuan; spending (900×500 + 1100×1000) × 1.1 yuan
  assert.deepEqual(p.years[0].personsByBand.map((x) => Math.round(x * 1e6) / 1e6), [900, 1100]);
  assert.equal(p.years[0].incomeFen, 204_000_000);
  assert.equal(p.years[0].spendingFen, 170_500_000);
  assert.equal(p.years[0].surplusFen, 33_500_000);
  assert.equal(p.years[0].balanceFen, 33_500_000);
  assert.ok(Math.abs(p.years[0].reserveMonths! - (33_500_000 * 12) / 170_500_000) < 1e-12);
  // 2024: 810 / 1190; income 2000 × 1080; spending (810×500 + 1190×1000) × 1.21
  assert.equal(p.years[1].incomeFen, 216_000_000);
  assert.equal(p.years[1].spendingFen, 192_995_000);
  assert.equal(p.years[1].balanceFen, 56_505_000);
  // 2025: 729 / 1271; income 2000 × 1140; spending 1 635 500 × 1.331 = 2 176 850.50 yuan
  assert.equal(p.years[2].incomeFen, 228_000_000);
  assert.equal(p.years[2].spendingFen, 217_685_050);
  assert.equal(p.years[2].balanceFen, 66_819_950);
  // 2026: 656.1 / 1343.9; income 2000 × 1200 = 2 400 000 yuan; spending 1 671 950 × 1.4641 = 2 447 901.995 yuan
  assert.equal(p.years[3].incomeFen, 240_000_000);
  assert.ok(Math.abs(p.years[3].spendingFen - 244_790_200) <= 1);
  assert.ok(p.years[3].surplusFen < 0);
  // the reserve is below 6 months from the first year (0 balance at the start)
  const reserve = p.firstCrossings.find((c) => c.code === 'RESERVE_BELOW_MINIMUM');
  assert.equal(reserve?.year, 2023);
  assert.equal(reserve?.alert.citation.cite, '鲁医保发〔2022〕24号 九');
  const deficit = p.firstCrossings.find((c) => c.code === 'CURRENT_YEAR_DEFICIT');
  assert.equal(deficit?.year, 2026);
  assert.equal(deficit?.alert.citation.quote, SENTENCE);
  assert.match(deficit!.alert.message, /当期收不抵支/);
});

test('a large balance: no reserve alert, the deficit year still found; no bottom lines, no alerts', () => {
  const p = projectFund(base(1_000_000_000), twoBands, 4, shandong);
  assert.deepEqual(p.firstCrossings.map((c) => [c.code, c.year]), [['CURRENT_YEAR_DEFICIT', 2026]]);
  assert.ok(p.years.every((y) => y.reserveMonths! > 6));
  const q = projectFund(base(0), twoBands, 4, { minimumReserveMonths: null, noCurrentDeficit: null });
  assert.deepEqual(q.years.flatMap((y) => y.alerts), []);
  assert.deepEqual(q.firstCrossings, []);
});

test('the pack file: cited rises, the rest marked example and reported', () => {
  const a = loadProjectionAssumptions();
  assert.equal(a.contributionRise.cite, '医保发〔2022〕20号 一');
  assert.equal(a.contributionRise.value, 30);
  assert.equal(a.subsidyRise.quote, '人均财政补助标准新增30元，达到每人每年不低于610元');
  const b = baseFromTotals({ year: 2022, account: 'basic_fund', balanceFen: 500_000_000, yearSpendingFen: 900_000_000, personsByBand: [100, 200, 300, 400, 200, 100], costWeights: [1, 0.6, 0.8, 1.2, 2, 3], contributionPerPersonFen: 35_000, subsidyPerPersonFen: 61_000 });
  // spending spread over bands in proportion to persons × weight
  const spread = b.bands.reduce((s, x) => s + x.persons * x.spendingPerPersonFen, 0);
  assert.ok(Math.abs(spread - 900_000_000) <= 1300 * 0.5);
  const p = projectFund(b, a, 10, shandong);
  assert.equal(p.years.length, 10);
  assert.deepEqual(p.examplesUsed.map((e) => e.assumption), ['ageing', 'costGrowth', 'contributionRise', 'subsidyRise', 'enrollmentChange']);
});

test('bad assumptions name the field; a number without citation must be an example', () => {
  assert.throws(() => parseProjectionAssumptions({ example: 'x', ageBands: [0], ageing: { value: 2, example: 'x' }, costGrowth: ex(0), contributionRise: ex(0), subsidyRise: ex(0), enrollmentChange: ex(0) }), (e: unknown) => e instanceof InputError && /ageing/.test(e.message));
  assert.throws(() => parseProjectionAssumptions({ example: 'x', ageBands: [0], ageing: { value: 0.1 }, costGrowth: { value: 0, example: 'x' }, contributionRise: { value: 0, example: 'x' }, subsidyRise: { value: 0, example: 'x' }, enrollmentChange: { value: 0, example: 'x' } }), (e: unknown) => e instanceof InputError && /ageing/.test(e.message));
  assert.throws(() => projectFund(base(0), twoBands, 0, shandong), /years/);
  assert.throws(() => projectFund({ ...base(0), bands: [{ persons: 1, spendingPerPersonFen: 1 }] }, twoBands, 3, shandong), /bands/);
});

test('property: balances chain in whole fen, ageing keeps the persons, the first crossing is the first alert', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ persons: fc.integer({ min: 0, max: 100_000 }), spendingPerPersonFen: fc.integer({ min: 0, max: 500_000 }) }), { minLength: 2, maxLength: 2 }),
      fc.integer({ min: -1_000_000_000, max: 5_000_000_000 }),
      fc.double({ min: 0, max: 0.2, noNaN: true }),
      fc.double({ min: -0.05, max: 0.15, noNaN: true }),
      fc.double({ min: -0.05, max: 0.05, noNaN: true }),
      fc.integer({ min: 1, max: 20 }),
      (bands, balanceFen, ageing, growth, enrol, years) => {
        const a = { ...twoBands, ageing: ex(ageing), costGrowth: ex(growth), enrollmentChange: ex(enrol) };
        const b = { ...base(balanceFen), bands };
        const p = projectFund(b, a, years, shandong);
        let balance = balanceFen;
        const start = bands[0].persons + bands[1].persons;
        p.years.forEach((y, i) => {
          for (const v of [y.incomeFen, y.spendingFen, y.surplusFen, y.balanceFen]) assert.ok(Number.isSafeInteger(v));
          assert.equal(y.surplusFen, y.incomeFen - y.spendingFen);
          balance += y.surplusFen;
          assert.equal(y.balanceFen, balance);
          assert.ok(Math.abs(y.persons - start * (1 + enrol) ** (i + 1)) <= 1e-6 * Math.max(1, start));
          const below = y.spendingFen > 0 && y.balanceFen * 12 < 6 * y.spendingFen;
          assert.equal(y.alerts.some((x) => x.code === 'RESERVE_BELOW_MINIMUM'), below);
          assert.equal(y.alerts.some((x) => x.code === 'CURRENT_YEAR_DEFICIT'), y.surplusFen < 0);
        });
        for (const code of ['CURRENT_YEAR_DEFICIT', 'RESERVE_BELOW_MINIMUM'] as const) {
          const first = p.years.find((y) => y.alerts.some((x) => x.code === code));
          assert.equal(p.firstCrossings.find((c) => c.code === code)?.year, first?.year);
        }
      },
    ),
    { numRuns: 300 },
  );
  fc.assert(fc.property(fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 8 }), fc.double({ min: 0, max: 1, noNaN: true }), (ps, a) => {
    const total = ps.reduce((s, x) => s + x, 0);
    const after = ageOneYear(ps, a).reduce((s, x) => s + x, 0);
    assert.ok(Math.abs(after - total) <= 1e-9 * Math.max(1, total));
  }));
});
