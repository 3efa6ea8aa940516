/** Properties of settlement over every pack: exact sums, bases, limits, reversal. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PolicyLibrary } from '../src/policy/loader.ts';
import { CARE_LOCATIONS, ENCOUNTER_TYPES, HOSPITAL_LEVELS, NEEDY_STATUSES } from '../src/policy/vocabulary.ts';
import { compileBenefits, type CompiledBenefits } from '../src/rules/settlement/compile.ts';
import { emptyAccumulators, type Accumulators, type Encounter, type SettlementPerson } from '../src/rules/settlement/input.ts';
import { settle } from '../src/rules/settlement/settle.ts';
import { reverseAndResettle, settleYear } from '../src/rules/settlement/year.ts';
import { personMask } from '../src/rules/status-mask.ts';

const lib = PolicyLibrary.load();
const packs = lib.packIds().map((id) => ({ id, cb: compileBenefits(lib.resolve(id)), tiers: (lib.resolve(id).params.get('tiers')?.value as string[] | undefined) ?? [] }));

const fen = fc.integer({ min: 0, max: 8_000_000 });
const encounterArb = (cb: CompiledBenefits): fc.Arbitrary<Encounter> => {
  const diseases = [...(cb.diseases?.byCode.keys() ?? []), 'not_listed'];
  return fc
    .record({
      type: fc.constantFrom(...ENCOUNTER_TYPES),
      setting: fc.constantFrom('outpatient' as const, 'inpatient' as const),
      dayOfYear: fc.integer({ min: 0, max: 364 }),
      level: fc.constantFrom(...HOSPITAL_LEVELS),
      location: fc.constantFrom(...CARE_LOCATIONS),
      referred: fc.boolean(),
      disease: fc.constantFrom(...diseases),
      parts: fc.tuple(fc.integer({ min: 0, max: 500_000 }), fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 0, max: 300_000 }), fen),
    })
    .map((r) => ({
      type: r.type,
      setting: r.type === 'maternity' ? r.setting : null,
      date: cb.coverageStart + r.dayOfYear,
      level: r.level,
      location: r.location,
      referred: r.referred,
      disease: r.type === 'chronic_special_outpatient' ? r.disease : null,
      costs: { fullOwnPay: r.parts[0], overLimitSelfPay: r.parts[1], preSelfPay: r.parts[2], inScope: r.parts[3], total: r.parts[0] + r.parts[1] + r.parts[2] + r.parts[3] },
      lines: null,
    }));
};

const caseArb = fc.constantFrom(...packs).chain((p) =>
  fc.record({
    pack: fc.constant(p),
    tier: p.tiers.length ? fc.constantFrom('tier1' as const, 'tier2' as const) : fc.constant(null),
    statuses: fc.subarray([...NEEDY_STATUSES], { maxLength: 3 }),
    periodStartDay: fc.integer({ min: 0, max: 200 }),
    encounters: fc.array(encounterArb(p.cb), { minLength: 1, maxLength: 12 }).map((es) => es.sort((a, b) => a.date - b.date)),
  }),
);

function personOf(c: { pack: { cb: CompiledBenefits }; tier: 'tier1' | 'tier2' | null; statuses: string[]; periodStartDay: number }): SettlementPerson {
  return { tier: c.tier, statusMask: personMask(c.statuses), statuses: c.statuses, benefitStart: c.pack.cb.coverageStart + c.periodStartDay, benefitEnd: c.pack.cb.coverageEnd, periodAssumed: false };
}

function limitsHold(cb: CompiledBenefits, p: SettlementPerson, a: Accumulators): void {
  if (cb.basicLimit) assert.ok(a.basicPaid <= cb.basicLimit.get(p.tier), 'basic annual limit');
  const go = cb.basic.general_outpatient?.annualLimit;
  if (go) assert.ok(a.generalOutpatientPaid <= go.get(p.tier), 'general outpatient limit');
  const hd = cb.basic.hypertension_diabetes?.annualLimit;
  if (hd) assert.ok(a.hypertensionDiabetesPaid <= hd.get(p.tier), 'hypertension/diabetes limit');
  for (const [code, v] of Object.entries(a.chronicPaid)) assert.ok(v <= cb.diseases!.byCode.get(code)!.limit, `disease ${code} limit`);
  const ci = cb.criticalIllness;
  const preferred = ci?.preferential && (p.statusMask & ci.preferentialMask) !== 0;
  if (ci?.limit != null && !(preferred && ci.preferential?.noLimit)) assert.ok(a.criticalIllnessPaid <= ci.limit, '大病 annual limit');
  if (cb.assistance) {
    assert.ok(a.assistancePaid <= cb.assistance.limit, 'assistance annual limit');
    if (cb.assistance.preferential) assert.ok(a.preferentialAssistancePaid <= cb.assistance.preferential.limit, '倾斜救助 limit');
  }
}

test('funds + cash = total to the fen; no fund above its base; no limit exceeded; nothing negative', () => {
  fc.assert(
    fc.property(caseArb, (c) => {
      const cb = c.pack.cb;
      const p = personOf(c);
      let acc = emptyAccumulators();
      for (const e of c.encounters) {
        const r = settle(cb, p, e, acc, false);
        for (const v of [r.basicFund, r.criticalIllness, r.medicalAssistance, r.personalBurden, r.deductiblePaid]) {
          assert.ok(Number.isSafeInteger(v) && v >= 0, 'integer fen, non-negative');
        }
        assert.equal(r.basicFund + r.criticalIllness + r.medicalAssistance + r.personalBurden, e.costs.total);
        assert.equal(r.fundTotal, r.basicFund + r.criticalIllness + r.medicalAssistance);
        assert.ok(r.basicFund <= e.costs.inScope, 'basic ≤ in-scope');
        assert.ok(r.criticalIllness <= e.costs.inScope - r.basicFund, '大病 ≤ what basic left');
        assert.ok(r.medicalAssistance <= e.costs.inScope - r.basicFund - r.criticalIllness, 'assistance ≤ what 大病 left');
        for (const d of r.detail) assert.ok(d.amount <= d.base && (d.limitLeft === null || d.amount <= d.limitLeft), `${d.fundPayType} within base and limit`);
        if (r.cashReason) assert.equal(r.fundTotal, 0);
        acc = r.after;
        limitsHold(cb, p, acc);
      }
    }),
    { numRuns: 400 },
  );
});

test('reversing one settlement and re-settling the later ones = never having settled it', () => {
  fc.assert(
    fc.property(caseArb, fc.nat(), (c, pick) => {
      const cb = c.pack.cb;
      const p = personOf(c);
      const all = settleYear(cb, p, c.encounters, emptyAccumulators(), false);
      const k = pick % c.encounters.length;
      const { resettled, after } = reverseAndResettle(cb, p, c.encounters, all.results, k, all.after);
      const without = settleYear(cb, p, c.encounters.filter((_, i) => i !== k), emptyAccumulators(), false);
      assert.deepEqual(after, without.after);
      const amounts = (rs: typeof resettled) => rs.map((r) => [r.basicFund, r.criticalIllness, r.medicalAssistance, r.personalBurden]);
      assert.deepEqual(amounts(resettled), amounts(without.results.slice(k)));
    }),
    { numRuns: 300 },
  );
});

test('reversing every settlement, newest first, restores empty accumulators exactly', () => {
  fc.assert(
    fc.property(caseArb, (c) => {
      const all = settleYear(c.pack.cb, personOf(c), c.encounters, emptyAccumulators(), false);
      const { after } = reverseAndResettle(c.pack.cb, personOf(c), c.encounters.slice(0, 0), all.results, 0, all.after);
      assert.deepEqual(after, emptyAccumulators());
    }),
    { numRuns: 200 },
  );
});

test('traces on and off give the same amounts', () => {
  fc.assert(
    fc.property(caseArb, (c) => {
      const a = settleYear(c.pack.cb, personOf(c), c.encounters, emptyAccumulators(), true);
      const b = settleYear(c.pack.cb, personOf(c), c.encounters, emptyAccumulators(), false);
      assert.deepEqual(a.totals, b.totals);
      assert.deepEqual(a.after, b.after);
    }),
    { numRuns: 100 },
  );
});

