/**
 * Worked settlement cases: each computed by hand from the pack values the trace names
 * (Chongqing 2022 tier 1 = 500230/2022; Guangxi 2022 = 450000/2022).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { QuoteService } from '../src/quotes/quote-service.ts';
import { InputError } from '../src/errors.ts';

const svc = QuoteService.load();
const cq = (statuses: string[], encounter: object, accumulators?: object, benefitPeriod?: object) =>
  svc.settlement({ region: '500230', coverageYear: 2022, tier: 'tier1', person: { statuses, ...(benefitPeriod ? { benefitPeriod } : {}) }, encounter, ...(accumulators ? { accumulators } : {}) });
const costs = (inScope: number, extra: { fullOwnPay?: number; overLimitSelfPay?: number; preSelfPay?: number } = {}) => {
  const f = extra.fullOwnPay ?? 0;
  const o = extra.overLimitSelfPay ?? 0;
  const p = extra.preSelfPay ?? 0;
  return { total: Math.round((inScope + f + o + p) * 100) / 100, fullOwnPay: f, overLimitSelfPay: o, preSelfPay: p, inScope };
};
const sumsUp = (a: { basicFund: number; criticalIllness: number; medicalAssistance: number; personalCash: number; costs: { total: number } }) =>
  assert.equal(Math.round(a.basicFund * 100) + Math.round(a.criticalIllness * 100) + Math.round(a.medicalAssistance * 100) + Math.round(a.personalCash * 100), Math.round(a.costs.total * 100));

describe('settlement: worked cases', () => {
  test('inpatient, secondary hospital, no needy status: (10000 − 500) × 70 %', () => {
    const a = cq([], { type: 'inpatient', date: '2022-03-01', hospitalLevel: 'secondary', costs: costs(10000) });
    assert.equal(a.settledAs, 'inpatient');
    assert.equal(a.deductiblePaid, 500);
    assert.equal(a.basicFund, 6650);
    assert.equal(a.criticalIllness, 0);
    assert.equal(a.medicalAssistance, 0);
    assert.equal(a.personalCash, 3350);
    assert.equal(a.setlinfo.pool_prop_selfpay, 0.7);
    assert.equal(a.accumulators.after.inpatientAdmissions, 1);
    assert.equal(a.accumulators.after.criticalIllnessBase, 3350);
    const ci = a.trace.find((s) => s.step === 'criticalIllness.deductible');
    assert.equal(ci?.cite, '兴义府发〔2022〕3号 四(一)', '15412 is cited');
    sumsUp(a);
  });

  test('itemised fees are split like the national fields (丙 self-paid, over-limit, 乙 先行自付)', () => {
    const a = cq([], {
      type: 'inpatient',
      date: '2022-03-01',
      hospitalLevel: 'secondary',
      fees: [
        { catalogClass: '甲', amount: 20000 },
        { catalogClass: '乙', amount: 10000, selfPayRatio: '10%' },
        { catalogClass: '丙', amount: 1500 },
        { catalogClass: 'A', amount: 900, quantity: 3, unitPrice: 300, priceLimit: 250 },
      ],
    });
    assert.deepEqual(a.costs, { total: 32400, fullOwnPay: 1500, overLimitSelfPay: 150, preSelfPay: 1000, inScope: 29750 });
    assert.deepEqual(
      a.detlcutinfo?.map((l) => [l.fulamt_ownpay_amt, l.overlmt_selfpay, l.preselfpay_amt, l.inscp_scp_amt]),
      [[0, 0, 0, 20000], [0, 0, 1000, 9000], [1500, 0, 0, 0], [0, 150, 0, 750]],
    );
    sumsUp(a);
  });

  test('a second admission has half the deductible; 大病 deductible crossed in the middle of it', () => {
    // before: one admission, 14 000 of 大病 base; tertiary 20 000 in scope:
    // deductible 800 × 50 % = 400; basic (20000 − 400) × 45 % = 8820; burden 11180;
    // 大病 base 25180, above 15412: 9768 × 60 % = 5860.80
    const a = cq([], { type: 'inpatient', date: '2022-06-01', hospitalLevel: 'tertiary', costs: costs(20000) }, { inpatientAdmissions: 1, basicPaid: 20000, criticalIllnessBase: 14000 });
    assert.equal(a.deductiblePaid, 400);
    assert.equal(a.basicFund, 8820);
    assert.equal(a.criticalIllness, 5860.8);
    assert.equal(a.personalCash, 5319.2);
    assert.equal(a.accumulators.after.criticalIllnessBase, 25180);
    sumsUp(a);
  });

  test('a stay settled in parts (中途结算, then discharge) is one admission with one deductible', () => {
    // secondary, deductible 500: the mid-stay part has 300 in scope, the discharge part 2000
    const m1 = cq([], { type: 'inpatient', date: '2022-03-01', hospitalLevel: 'secondary', costs: costs(300) });
    assert.equal(m1.deductiblePaid, 300);
    assert.equal(m1.accumulators.after.inpatientAdmissions, 1);
    const fin = cq([], { type: 'inpatient', date: '2022-03-01', hospitalLevel: 'secondary', costs: costs(2000), stay: { deductibleApplied: 300 } }, m1.accumulators.after);
    assert.equal(fin.deductiblePaid, 200, 'what is left of the admission’s 500');
    assert.equal(fin.basicFund, 1260); // (2000 − 200) × 70 %
    assert.equal(fin.accumulators.after.inpatientAdmissions, 1, 'the same admission');
    assert.ok(fin.trace.some((t) => t.step === 'basic.deductible' && /已中途结算/.test(t.explain)));
    // a second admission of the year settled in parts keeps its halved deductible (tertiary 800 × 50 % = 400)
    const s1 = cq([], { type: 'inpatient', date: '2022-06-01', hospitalLevel: 'tertiary', costs: costs(250) }, { inpatientAdmissions: 1 });
    assert.equal(s1.deductiblePaid, 250);
    const s2 = cq([], { type: 'inpatient', date: '2022-06-01', hospitalLevel: 'tertiary', costs: costs(1000), stay: { deductibleApplied: 250 } }, s1.accumulators.after);
    assert.equal(s2.deductiblePaid, 150);
    assert.equal(s2.accumulators.after.inpatientAdmissions, 2);
    assert.throws(() => cq([], { type: 'general_outpatient', date: '2022-06-01', hospitalLevel: 'primary', costs: costs(10), stay: { deductibleApplied: 0 } }), (e: unknown) => e instanceof InputError && e.field === 'encounter.stay');
  });

  test('property: an admission split into two settlements pays the deductible once and the fund within a fen of one settlement', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3_000_000 }), fc.integer({ min: 1, max: 3_000_000 }), fc.constantFrom('primary', 'secondary', 'tertiary'), (a, b, level) => {
        const whole = cq([], { type: 'inpatient', date: '2022-03-01', hospitalLevel: level, costs: costs((a + b) / 100) });
        const p1 = cq([], { type: 'inpatient', date: '2022-03-01', hospitalLevel: level, costs: costs(a / 100) });
        const p2 = cq([], { type: 'inpatient', date: '2022-03-01', hospitalLevel: level, costs: costs(b / 100), stay: { deductibleApplied: p1.deductiblePaid } }, p1.accumulators.after);
        assert.equal(Math.round(p1.deductiblePaid * 100) + Math.round(p2.deductiblePaid * 100), Math.round(whole.deductiblePaid * 100));
        assert.ok(Math.abs(Math.round((p1.basicFund + p2.basicFund) * 100) - Math.round(whole.basicFund * 100)) <= 1);
        assert.equal(p2.accumulators.after.inpatientAdmissions, 1);
        sumsUp(p2);
      }),
      { numRuns: 200 },
    );
  });

  test('the basic fund stops at its annual limit (tier 1: 120 000)', () => {
    const a = cq([], { type: 'inpatient', date: '2022-06-01', hospitalLevel: 'primary', costs: costs(5000) }, { basicPaid: 119000 });
    assert.equal(a.basicFund, 1000);
    assert.equal(a.accumulators.after.basicPaid, 120000);
    assert.equal(a.setldetail[0].crt_payb_lmt_amt, 1000);
    assert.ok(a.trace.some((s) => s.step === 'basic.limit'));
    sumsUp(a);
  });

  test('a 特困 person pays only what is outside the policy scope after the three tiers', () => {
    // basic 6650; burden 3350 under the preferential 大病 deductible 7706; assistance 100 % of 3350
    const a = cq(['destitute'], { type: 'inpatient', date: '2022-03-01', hospitalLevel: 'secondary', costs: costs(10000, { fullOwnPay: 500 }) });
    assert.equal(a.basicFund, 6650);
    assert.equal(a.criticalIllness, 0);
    assert.equal(a.medicalAssistance, 3350);
    assert.equal(a.personalCash, 500);
    assert.equal(a.personalCash, a.costs.fullOwnPay, 'cash = the out-of-scope part only (assistance ratio 100 %)');
    assert.deepEqual(a.setldetail.map((d) => d.fund_pay_type), ['390100', '390200', '610100']);
    sumsUp(a);
  });

  test('general outpatient stops at the cited 300-yuan tier-1 limit', () => {
    const a = cq([], { type: 'general_outpatient', date: '2022-04-01', hospitalLevel: 'primary', costs: costs(200) }, { generalOutpatientPaid: 250 });
    assert.equal(a.basicFund, 50);
    assert.equal(a.personalCash, 150);
    const lim = a.trace.find((s) => s.step === 'basic.limit');
    assert.equal(lim?.cite, '兴义府发〔2022〕3号 四(二)');
    assert.equal(a.setldetail[0].fund_pay_type, '390102');
  });

  test('hypertension / diabetes outpatient medicines: 50 %', () => {
    const a = cq([], { type: 'hypertension_diabetes', date: '2022-04-01', hospitalLevel: 'primary', costs: costs(100) });
    assert.equal(a.basicFund, 50);
    assert.equal(a.criticalIllness, 0);
  });

  test('chronic / special outpatient: listed disease at 70 %, counted into 大病; unlisted disease is cash', () => {
    const a = cq([], { type: 'chronic_special_outpatient', disease: 'uremia_dialysis', date: '2022-04-01', hospitalLevel: 'secondary', costs: costs(5000) });
    assert.equal(a.basicFund, 3500);
    assert.deepEqual(a.accumulators.after.chronicPaid, { uremia_dialysis: 3500 });
    assert.equal(a.accumulators.after.criticalIllnessBase, 1500);
    const b = cq([], { type: 'chronic_special_outpatient', disease: 'gout', date: '2022-04-01', hospitalLevel: 'secondary', costs: costs(5000) });
    assert.equal(b.cashReason?.code, 'DISEASE_NOT_LISTED');
    assert.equal(b.personalCash, 5000);
    assert.equal(b.fundTotal, 0);
  });

  test('maternity in Guangxi follows the setting (cited), with 医疗救助 for a 低保 mother', () => {
    const a = svc.settlement({ region: '450100', coverageYear: 2022, person: { statuses: ['dibao'] }, encounter: { type: 'maternity', setting: 'inpatient', date: '2022-05-01', hospitalLevel: 'tertiary', costs: costs(5000) } });
    assert.equal(a.settledAs, 'inpatient');
    assert.equal(a.trace.find((s) => s.step === 'settledAs')?.cite, '桂医保发〔2022〕30号 二(三)');
    assert.equal(a.basicFund, 2310); // (5000 − 800) × 55 %
    assert.equal(a.medicalAssistance, 1883); // 2690 × 70 %
    assert.equal(a.personalCash, 807);
    const b = svc.settlement({ region: '450100', coverageYear: 2022, person: { statuses: [] }, encounter: { type: 'maternity', setting: 'outpatient', date: '2022-05-01', hospitalLevel: 'primary', costs: costs(100) } });
    assert.equal(b.settledAs, 'general_outpatient');
    assert.equal(b.basicFund, 60);
  });

  test('Guangxi 倾斜救助 for a referred 低保 patient in the province, and none when not referred', () => {
    // in-province: 55 % − 10 = 45 %; basic (200000 − 800) × 45 % = 89640; burden 110360;
    // 大病 (农村低收入人口 preferential: deductible 7500, +5 points): 50000×65 % + 50000×75 % + 2860×85 % = 72431;
    // assistance 37929 × 70 % = 26550.30; left 11378.70, above 10000: 1378.70 × 50 % = 689.35
    const enc = { type: 'inpatient', date: '2022-05-01', hospitalLevel: 'tertiary', location: 'in_province', referred: true, costs: costs(200000) };
    const a = svc.settlement({ region: '450100', coverageYear: 2022, person: { statuses: ['dibao'] }, encounter: enc });
    assert.equal(a.basicFund, 89640);
    assert.equal(a.criticalIllness, 72431);
    assert.equal(a.medicalAssistance, 27239.65);
    assert.equal(a.personalCash, 10689.35);
    assert.equal(a.trace.find((s) => s.step === 'medicalAssistance.preferential')?.cite, '桂医保发〔2022〕30号 三(二)');
    const b = svc.settlement({ region: '450100', coverageYear: 2022, person: { statuses: ['dibao'] }, encounter: { ...enc, referred: false } });
    assert.equal(b.basicRatio, '35%');
    assert.equal(b.trace.some((s) => s.step === 'medicalAssistance.preferential' && s.value !== 0), false);
    sumsUp(a);
    sumsUp(b);
  });

  test('Guangxi 大病 倾斜 is for the *rural* low-income population: residence tested, assumed with a warning when unknown', () => {
    const enc = { type: 'inpatient', date: '2022-05-01', hospitalLevel: 'tertiary', location: 'in_area', costs: costs(100000) };
    const q = (residence?: string) => svc.settlement({ region: '450100', coverageYear: 2022, person: { statuses: ['dibao'], ...(residence ? { residence } : {}) }, encounter: enc });
    const rural = q('农村');
    const urban = q('城镇');
    const unknown = q();
    // basic (100000 − 800) × 55 % = 54560; burden 45440; 大病 deductible 15000, preferential 7500 (+5 points)
    assert.equal(rural.basicFund, 54560);
    assert.equal(rural.criticalIllness, Math.round(((45440 - 7500) * 0.65) * 100) / 100, 'preferential: deductible 7500, 60 % + 5');
    assert.equal(urban.criticalIllness, Math.round(((45440 - 15000) * 0.6) * 100) / 100, 'an urban 低保 person is not 农村低收入人口');
    assert.equal(unknown.criticalIllness, rural.criticalIllness, 'unknown: rural assumed (residence.whenUnknown, an example)');
    assert.deepEqual(rural.warnings, [{ code: 'PACK_OF_PARENT_REGION', field: 'region', message: rural.warnings![0].message }]);
    assert.deepEqual(unknown.warnings!.map((w) => w.code), ['PACK_OF_PARENT_REGION', 'RESIDENCE_ASSUMED']);
    assert.ok(urban.trace.some((s) => s.step === 'groups.rural_low_income' && s.value === false && s.cite === '桂医保发〔2022〕30号 三(一)'));
    assert.ok(unknown.examplesUsed.includes('residence.whenUnknown'));
    for (const a of [rural, urban, unknown]) sumsUp(a);
  });

  test('out of province without referral: 70 % − 15 − 10 points', () => {
    const a = cq([], { type: 'inpatient', date: '2022-03-01', hospitalLevel: 'secondary', location: 'out_of_province', referred: false, costs: costs(10000) });
    assert.equal(a.basicRatio, '45%');
    assert.equal(a.basicFund, 4275);
  });

  test('outside the benefit period: all cash with a coded reason, accumulators unchanged', () => {
    const a = cq([], { type: 'inpatient', date: '2022-03-01', hospitalLevel: 'secondary', costs: costs(10000) }, undefined, { start: '2022-04-01', end: '2022-12-31' });
    assert.equal(a.cashReason?.code, 'OUTSIDE_BENEFIT_PERIOD');
    assert.equal(a.fundTotal, 0);
    assert.equal(a.personalCash, 10000);
    assert.deepEqual(a.accumulators.after, a.accumulators.before);
  });

  test('the year form totals each fund and reports the realised in-scope inpatient ratio beside the cited target', () => {
    const y = svc.settlementYear({
      region: '500230',
      coverageYear: 2022,
      tier: 'tier1',
      person: { statuses: [] },
      encounters: [
        { type: 'general_outpatient', date: '2022-02-01', hospitalLevel: 'primary', costs: costs(200) },
        { type: 'inpatient', date: '2022-03-01', hospitalLevel: 'secondary', costs: costs(10000) },
        { type: 'inpatient', date: '2022-06-01', hospitalLevel: 'tertiary', costs: costs(20000) },
      ],
    });
    assert.equal(y.settlements.length, 3);
    assert.equal(y.settlements[2].deductiblePaid, 400, 'second admission');
    assert.equal(y.totals.basicFund, 120 + 6650 + 8820);
    assert.equal(y.totals.inpatientPolicyScopeRatio.target, '70%');
    assert.equal(y.totals.inpatientPolicyScopeRatio.cite, '兴义府发〔2022〕3号 四(一)');
    assert.equal(y.totals.inpatientPolicyScopeRatio.realised, `${(((6650 + 8820) / 30000) * 100).toFixed(1)}%`);
    assert.equal(y.accumulators.inpatientAdmissions, 2);
  });

  test('bad input names the field', () => {
    const bad: [object, string][] = [
      [{ type: 'inpatient', date: '2022-02-30', hospitalLevel: 'secondary', costs: costs(1) }, 'encounter.date'],
      [{ type: 'inpatient', date: '2022-02-01', hospitalLevel: 'quaternary', costs: costs(1) }, 'encounter.hospitalLevel'],
      [{ type: 'inpatient', date: '2022-02-01', hospitalLevel: 'secondary' }, 'encounter.fees'],
      [{ type: 'inpatient', date: '2022-02-01', hospitalLevel: 'secondary', costs: { ...costs(1), total: 5 } }, 'encounter.costs.total'],
      [{ type: 'inpatient', date: '2022-02-01', hospitalLevel: 'secondary', fees: [{ catalogClass: '甲', amount: 1.234 }] }, 'encounter.fees.0.amount'],
      [{ type: 'inpatient', date: '2022-02-01', hospitalLevel: 'secondary', fees: [{ catalogClass: '甲', amount: 1, selfPayRatio: '10%' }] }, 'encounter.fees.0.selfPayRatio'],
      [{ type: 'maternity', date: '2022-02-01', hospitalLevel: 'secondary', costs: costs(1) }, 'encounter.setting'],
    ];
    for (const [enc, field] of bad)
      assert.throws(() => cq([], enc), (e: unknown) => e instanceof InputError && e.field === field, field);
  });
});
