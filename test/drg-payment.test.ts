/**
 * Payment by group, computed by hand. A small base year: DRG A with cases of 10 000, 12 000 and
 * 14 000 yuan (average 12 000), DRG B with 4 000 and 6 000 (average 5 000); all five cases
 * average 46 000 / 5 = 9 200 yuan. Weights: A 12 000 / 9 200 = 1.30434… → 1.3043, B 5 000 /
 * 9 200 = 0.54347… → 0.5435 (4 decimals, halves up). Every parameter here is an example.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { InputError } from '../src/errors.js';
import {
  casePoints,
  catalogueOf,
  drgCatalogue,
  mulDivRound,
  parseFactor,
  payCase,
  pointValueOf,
  relativeWeights,
  settleYearByPoints,
  type OutlierRules,
  type PaymentParam,
} from '../src/rules/drg/payment.js';

const ex = <T>(key: string, value: T): PaymentParam<T> => ({ key, value, example: 'a test value, not from a notice' });
const yuan = (y: number): number => Math.round(y * 100);

const baseYear = [
  { drg: 'AA11', costFen: yuan(10000) },
  { drg: 'AA11', costFen: yuan(12000) },
  { drg: 'AA11', costFen: yuan(14000) },
  { drg: 'BB15', costFen: yuan(4000) },
  { drg: 'BB15', costFen: yuan(6000) },
];
const table = relativeWeights(baseYear);
const cat = drgCatalogue(table, 'test base year', ex('drg.catalogue', 'base year 2021 of the test'));
const byItem: OutlierRules = {
  high: { multiple: ex('drg.outliers.high.multiple', '3'), pay: ex('drg.outliers.high.pay', 'by_item' as const) },
  low: { multiple: ex('drg.outliers.low.multiple', '0.4'), pay: ex('drg.outliers.low.pay', 'by_item' as const) },
};
const baseRate = { kind: 'base_rate' as const, baseRateFen: ex('drg.baseRate', yuan(9000)) };

describe('relative weights from a base year', () => {
  test('A 1.3043, B 0.5435; averages to the fen', () => {
    assert.equal(table.cases, 5);
    assert.equal(table.averageCostFen, yuan(9200));
    assert.deepEqual(
      table.weights.map((w) => [w.drg, w.cases, w.averageCostFen, w.weightE4, w.weight]),
      [
        ['AA11', 3, yuan(12000), 13043, '1.3043'],
        ['BB15', 2, yuan(5000), 5435, '0.5435'],
      ],
    );
  });
  test('a DRG with too few cases gets no weight', () => {
    const t = relativeWeights(baseYear, { minCases: ex('drg.minCases', 3) });
    assert.deepEqual(t.weights.map((w) => w.drg), ['AA11']);
    assert.deepEqual(t.insufficient, [{ drg: 'BB15', cases: 2 }]);
    assert.equal(t.weights[0].weight, '1.3043', 'the overall average still counts every case');
  });
  test('trimming: a 60 000 yuan case of A (raw average 24 000, above 2 ×) is left out, and the weights are those above', () => {
    const t = relativeWeights([...baseYear, { drg: 'AA11', costFen: yuan(60000) }], { trim: { low: ex('drg.trim.low', '0.4'), high: ex('drg.trim.high', '2') } });
    assert.equal(t.trimmed, 1);
    assert.deepEqual(t.weights.map((w) => w.weight), ['1.3043', '0.5435']);
  });
  test('a parameter without a citation or example mark is refused, naming it', () => {
    assert.throws(() => relativeWeights(baseYear, { minCases: { key: 'drg.minCases', value: 3 } }), (e: unknown) => e instanceof InputError && e.field === 'minCases');
    assert.throws(() => relativeWeights([{ drg: 'AA11', costFen: -1 }]), (e: unknown) => e instanceof InputError && e.field === 'cases.0.costFen');
  });
});

describe('paying a case (base rate 9 000 yuan per weight 1, outliers above 3 × or below 0.4 × the group average)', () => {
  test('a normal case: 1.3043 × 9 000 = 11 738.70 yuan, whatever it cost', () => {
    const p = payCase(cat, byItem, baseRate, { id: 'n', group: 'AA11', costFen: yuan(11000) });
    assert.deepEqual([p.category, p.points, p.paymentFen, p.balanceFen], ['normal', '130.43', yuan(11738.7), yuan(738.7)]);
    assert.ok(p.steps.every((s) => s.example || !s.param), 'every parameter used is shown with its example mark');
    assert.ok(p.steps.some((s) => s.param === 'drg.baseRate'));
  });
  test('a high outlier (40 000 > 3 × 12 000 = 36 000) paid by item: 40 000 yuan', () => {
    const p = payCase(cat, byItem, baseRate, { group: 'AA11', costFen: yuan(40000) });
    assert.deepEqual([p.category, p.byItem, p.thresholdFen, p.paymentFen, p.balanceFen], ['high_outlier', true, yuan(36000), yuan(40000), 0]);
  });
  test('a high outlier paid at 80 % above the threshold: 130.43 + (40 000 − 36 000) × 0.8 / 9 200 × 100 = 130.43 + 34.78 points → 165.21 × 90 = 14 868.90 yuan', () => {
    const rules: OutlierRules = { ...byItem, high: { multiple: byItem.high!.multiple, pay: ex('drg.outliers.high.pay', { extraRatio: '0.8' }) } };
    const p = payCase(cat, rules, baseRate, { group: 'AA11', costFen: yuan(40000) });
    assert.deepEqual([p.category, p.byItem, p.points, p.paymentFen], ['high_outlier', false, '165.21', yuan(14868.9)]);
  });
  test('a low outlier (3 000 < 0.4 × 12 000 = 4 800) paid by item: 3 000 yuan; scaled: 130.43 × 3 000 / 12 000 = 32.6075 → 32.61 points → 2 934.90 yuan', () => {
    const p = payCase(cat, byItem, baseRate, { group: 'AA11', costFen: yuan(3000) });
    assert.deepEqual([p.category, p.thresholdFen, p.paymentFen], ['low_outlier', yuan(4800), yuan(3000)]);
    const scaled: OutlierRules = { ...byItem, low: { multiple: byItem.low!.multiple, pay: ex('drg.outliers.low.pay', 'scaled' as const) } };
    const q = payCase(cat, scaled, baseRate, { group: 'AA11', costFen: yuan(3000) });
    assert.deepEqual([q.category, q.points, q.paymentFen], ['low_outlier', '32.61', yuan(2934.9)]);
  });
  test('the thresholds themselves are not outliers (exact comparison: above, below)', () => {
    assert.equal(payCase(cat, byItem, baseRate, { group: 'AA11', costFen: yuan(36000) }).category, 'normal');
    assert.equal(payCase(cat, byItem, baseRate, { group: 'AA11', costFen: yuan(36000) + 1 }).category, 'high_outlier');
    assert.equal(payCase(cat, byItem, baseRate, { group: 'AA11', costFen: yuan(4800) }).category, 'normal');
    assert.equal(payCase(cat, byItem, baseRate, { group: 'AA11', costFen: yuan(4800) - 1 }).category, 'low_outlier');
  });
  test('a group without a weight (or no group) is paid by item', () => {
    const p = payCase(cat, byItem, baseRate, { group: 'ZZ19', costFen: yuan(5000) });
    assert.deepEqual([p.category, p.byItem, p.paymentFen], ['no_standard', true, yuan(5000)]);
    assert.equal(payCase(cat, byItem, baseRate, { group: null, costFen: 123 }).paymentFen, 123);
  });
  test('bad parameters are refused naming the field', () => {
    assert.throws(() => payCase(cat, { high: { multiple: ex('m', 'three'), pay: ex('p', 'by_item' as const) } }, baseRate, { group: 'AA11', costFen: 1 }), (e: unknown) => e instanceof InputError && e.field === 'outliers.high.multiple');
    assert.throws(() => payCase(cat, { ...byItem, low: { multiple: ex('m', '4'), pay: ex('p', 'by_item' as const) } }, baseRate, { group: 'AA11', costFen: 1 }), (e: unknown) => e instanceof InputError && e.field === 'outliers.low.multiple');
    assert.throws(() => payCase(cat, byItem, { kind: 'base_rate', baseRateFen: { key: 'drg.baseRate', value: 900000 } }, { group: 'AA11', costFen: 1 }), (e: unknown) => e instanceof InputError && e.field === 'baseRateFen');
    assert.throws(() => payCase(cat, byItem, baseRate, { group: 'AA11', costFen: 1.5 }), (e: unknown) => e instanceof InputError && e.field === 'costFen');
  });
});

describe('the points method (区域点数法): point value = budget / total points', () => {
  test('a small year: 130.43 + 130.43 + 54.35 + 434.78 (a 40 000 yuan high outlier by item: 40 000 / 9 200 × 100) = 749.99 points; budget 50 000 yuan → 66.6676 yuan per point', () => {
    const cases = [
      { id: '1', group: 'AA11', costFen: yuan(11000) },
      { id: '2', group: 'AA11', costFen: yuan(13000) },
      { id: '3', group: 'BB15', costFen: yuan(5500) },
      { id: '4', group: 'AA11', costFen: yuan(40000) },
    ];
    assert.deepEqual(cases.map((c) => casePoints(cat, byItem, c).points), ['130.43', '130.43', '54.35', '434.78']);
    const y = settleYearByPoints(cat, byItem, ex('drg.budget', yuan(50000)), cases);
    assert.equal(y.pointValue.totalPointsE2, 74999);
    assert.equal(y.pointValue.yuanPerPoint, '66.6676');
    // 13043 × 5 000 000 / 74 999 = 869 544.93… → 869 545 fen; 5435 × … = 362 338.16… → 362 338; 43478 × … = 2 898 571.98… → 2 898 572
    assert.deepEqual(y.payments.map((p) => p.paymentFen), [869545, 869545, 362338, 2898572]);
    assert.equal(y.totalPaidFen, yuan(50000));
    assert.equal(y.remainderFen, 0);
  });
  test('rounding: three equal cases share 10 000 yuan as 3 333.33 each, and the 0.01 left over is reported', () => {
    const cases = [1, 2, 3].map((i) => ({ id: String(i), group: 'AA11', costFen: yuan(12000) }));
    const y = settleYearByPoints(cat, byItem, ex('drg.budget', yuan(10000)), cases);
    assert.deepEqual(y.payments.map((p) => p.paymentFen), [333333, 333333, 333333]);
    assert.equal(y.remainderFen, 1);
    assert.equal(y.pointValue.yuanPerPoint, '25.5565');
  });
  test('property: the cases are paid the budget to within half a fen each, more points never pay less', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 ** 12 }), fc.array(fc.record({ group: fc.constantFrom('AA11', 'BB15', 'ZZ19'), costFen: fc.integer({ min: 0, max: 10 ** 9 }) }), { minLength: 1, maxLength: 60 }), (budget, cases) => {
        const points = cases.map((c) => casePoints(cat, byItem, c));
        fc.pre(points.some((p) => p.pointsE2 > 0));
        const y = settleYearByPoints(cat, byItem, ex('drg.budget', budget), cases);
        assert.ok(Math.abs(y.remainderFen) <= cases.length / 2, `remainder ${y.remainderFen}`);
        assert.equal(y.totalPaidFen + y.remainderFen, budget);
        const sorted = [...y.payments].sort((a, b) => a.pointsE2 - b.pointsE2);
        for (let i = 1; i < sorted.length; i++) assert.ok(sorted[i].paymentFen >= sorted[i - 1].paymentFen);
      }),
      { numRuns: 300 },
    );
  });
  test('a year without points has no point value', () => {
    assert.throws(() => pointValueOf(ex('drg.budget', 100), [{ pointsE2: 0 }]), InputError);
  });
});

describe('a DIP catalogue plugs into the same payment', () => {
  test('scores as data (分值): 1 234.5 points at 10 yuan per point, an outlier above 2 × its average paid by item', () => {
    const dip = catalogueOf('DIP', 'test DIP catalogue', yuan(9000), [{ code: 'K35.8:47.0901', name: '急性阑尾炎 腹腔镜阑尾切除术', pointsE2: 123450, averageCostFen: yuan(11000) }], ex('dip.catalogue', 'two-line test catalogue'));
    const rules: OutlierRules = { high: { multiple: ex('dip.high', '2'), pay: ex('dip.highPay', 'by_item' as const) } };
    const method = { kind: 'base_rate' as const, baseRateFen: ex('dip.pointRate', yuan(1000)) }; // 1 000 yuan per 100 points = 10 yuan per point
    assert.equal(payCase(dip, rules, method, { group: 'K35.8:47.0901', costFen: yuan(10000) }).paymentFen, yuan(12345));
    assert.equal(payCase(dip, rules, method, { group: 'K35.8:47.0901', costFen: yuan(22001) }).paymentFen, yuan(22001));
  });
});

describe('exact arithmetic', () => {
  test('mulDivRound rounds halves up, exactly, beyond 2^53 in between', () => {
    assert.deepEqual([mulDivRound(1, 1, 2), mulDivRound(1, 1, 3), mulDivRound(2, 1, 3), mulDivRound(5, 1, 2), mulDivRound(0, 7, 3)], [1, 0, 1, 3, 0]);
    assert.equal(mulDivRound(10 ** 13, 99999, 10 ** 9), 999990000);
  });
  test('factors: multiples above 1, decimals and percentages, exact', () => {
    assert.deepEqual(parseFactor('3', 'x'), { num: 3, den: 1, text: '3' });
    assert.deepEqual(parseFactor('0.40', 'x'), { num: 2, den: 5, text: '0.40' });
    assert.deepEqual(parseFactor('150%', 'x'), { num: 3, den: 2, text: '150%' });
    assert.throws(() => parseFactor('-1', 'x'), InputError);
  });
});
