/**
 * Properties of the DRG grouper (fast-check) and its agreement with a literal reading of the
 * data README (test/support/drg-reference.ts, no indexes, no compiled matchers) on random
 * records mixing codes of every list and table with unknown ones, and on 30 000 realistic
 * records drawn from the scheme.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DEFAULT_DRG_DIR } from '../src/policy/drg-scheme.js';
import { groupDrg, groupDrgExplained } from '../src/rules/drg/group.js';
import type { DrgRecord } from '../src/rules/drg/record.js';
import { syntheticDrgRecords } from '../src/sim/drg-records.js';
import { drgRecordSchema, fastDrgRecord } from '../src/rules/drg/record-input.js';
import { referenceGrouper } from './support/drg-reference.js';
import { leavesOf, scheme } from './support/drg.js';

const RUNS = Number(process.env.PROPERTY_RUNS ?? 400);
const reference = referenceGrouper(DEFAULT_DRG_DIR);

const every = <T>(xs: Iterable<T>, step: number): T[] => [...xs].filter((_, i) => i % step === 0);
const listCodes = (kind: string): string[] => [
  ...new Set([...scheme.adrgs.values()].flatMap((a) => leavesOf(a.def.condition).flatMap((l) => (l.kind === kind && 'codes' in l ? l.codes : [])))),
];
const entryCodes = [...new Set(scheme.data.mdcs.flatMap((m) => every(leavesOf(m.entry).flatMap((l) => ('codes' in l ? l.codes : [])), 5)))];
const traumaCodes = leavesOf(scheme.data.mdcs.find((m) => m.code === 'MDCZ')!.entry).flatMap((l) => ('regions' in l ? Object.values(l.regions).flat() : []));
const diagnosis = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...entryCodes) },
  { weight: 2, arbitrary: fc.constantFrom(...every(scheme.cc.keys(), 7)) },
  { weight: 2, arbitrary: fc.constantFrom(...every(scheme.mcc.keys(), 3)) },
  { weight: 2, arbitrary: fc.constantFrom(...traumaCodes) },
  { weight: 1, arbitrary: fc.constantFrom(...listCodes('anyDiagnosisIn')) },
  { weight: 1, arbitrary: fc.constantFrom(...every(scheme.diagnosisNames.keys(), 11)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
);
const procedure = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...every(listCodes('mainProcedureIn'), 3)) },
  { weight: 2, arbitrary: fc.constantFrom(...listCodes('anyProcedureIn')) },
  { weight: 2, arbitrary: fc.constantFrom(...every(scheme.validProcedures, 5)) },
  { weight: 1, arbitrary: fc.constantFrom(...every(scheme.procedureNames.keys(), 13)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
);
const maybeNumber = (max: number) => fc.oneof(fc.constant(null), fc.constant(undefined), fc.constant(0), fc.integer({ min: 0, max }));
const record: fc.Arbitrary<DrgRecord> = fc.record(
  {
    id: fc.oneof(fc.constant(undefined), fc.string({ maxLength: 8 })),
    sex: fc.constantFrom('1', '2', '男', '女', '', null, undefined, '9', '0'),
    ageYears: fc.oneof(maybeNumber(110), fc.constant(0)),
    ageDays: maybeNumber(40000),
    birthWeightGrams: fc.oneof(maybeNumber(6000), fc.constantFrom(1499, 1500, 1999, 2000, 2499, 2500)),
    dept: fc.constantFrom(null, '内科', '外科'),
    losDays: maybeNumber(200),
    dischargeMethod: fc.constantFrom(null, '1', '2', '5'),
    diagnoses: fc.array(diagnosis, { maxLength: 9 }),
    procedures: fc.oneof(fc.constant(undefined), fc.array(procedure, { maxLength: 6 })),
  },
  { requiredKeys: ['diagnoses'] },
);

const MDC_CODES = new Set(scheme.mdcs.map((m) => m.code));

describe('grouper properties', () => {
  test('random records: never throws, agrees with the literal README reading, results well formed', () => {
    fc.assert(
      fc.property(record, (r) => {
        const g = groupDrg(scheme, r);
        assert.deepEqual(g, reference(r));
        if (g.status === 'success') {
          assert.ok(MDC_CODES.has(g.mdc!));
          assert.equal(g.drg!.slice(0, 3), g.adrg, 'a DRG’s first 3 characters are its ADRG');
          assert.equal(g.adrg![0], g.mdc![3], 'an ADRG’s first letter is its MDC’s');
          assert.equal(scheme.drgs.get(g.drg!)!.adrg, g.adrg);
          assert.ok(!g.drg!.endsWith('QY'));
        } else assert.deepEqual([g.mdc, g.adrg, g.drg], [null, null, null]);
      }),
      { numRuns: RUNS * 10 },
    );
  });
  test('the random records reach every status and many ADRGs (so the agreement above means something)', () => {
    const results = fc.sample(record, { numRuns: 4000, seed: 42 }).map((r) => groupDrg(scheme, r));
    const count = (s: string) => results.filter((g) => g.status === s).length;
    for (const s of ['success', 'ungroupable', 'invalid_missing_sex', 'invalid_newborn_no_weight', 'invalid_no_diagnosis']) assert.ok(count(s) > 40, `${s}: ${count(s)}`);
    assert.ok(new Set(results.map((g) => g.adrg)).size > 150, 'over 150 ADRGs');
  });
  test('the explained result is the same result, and its last step names it', () => {
    fc.assert(
      fc.property(record, (r) => {
        const plain = groupDrg(scheme, r);
        const { explanation, ...result } = groupDrgExplained(scheme, r);
        assert.deepEqual(result, plain);
        const last = explanation.steps.at(-1)!;
        if (plain.status === 'success') {
          assert.equal(last.step, 'drg');
          assert.equal(last.code, plain.drg);
          const [mdc, adrg] = explanation.steps.slice(-3, -1);
          assert.deepEqual([mdc.code, mdc.outcome, adrg.code], [plain.mdc, 'entered', plain.adrg]);
        } else if (plain.status === 'ungroupable') assert.equal(last.step, 'ungroupable');
        else assert.deepEqual([last.step, last.code, last.outcome], ['validation', plain.status, 'failed']);
        for (const s of explanation.steps) assert.ok(s.explain.length > 0 && s.rule.length > 0);
      }),
      { numRuns: RUNS * 2 },
    );
  });
  test('length of stay, discharge method and department never change the result', () => {
    fc.assert(
      fc.property(record, fc.integer({ min: 0, max: 400 }), fc.constantFrom('1', '4', '5', '9'), fc.string(), (r, losDays, dischargeMethod, dept) => {
        assert.deepEqual(groupDrg(scheme, { ...r, losDays, dischargeMethod, dept }), groupDrg(scheme, r));
      }),
      { numRuns: RUNS },
    );
  });
  test('30 000 realistic records from the scheme: the same result as the literal reading, every MDC reached', () => {
    const seen = new Set<string>();
    const statuses = new Set<string>();
    for (const r of syntheticDrgRecords(scheme, 20260, 30_000)) {
      const g = groupDrg(scheme, r);
      assert.deepEqual(g, reference(r), JSON.stringify(r));
      statuses.add(g.status);
      if (g.mdc) seen.add(g.mdc);
    }
    assert.equal(seen.size, 26);
    assert.deepEqual([...statuses].sort(), ['invalid_missing_sex', 'invalid_no_diagnosis', 'success', 'ungroupable']);
  });
});

describe('record input', () => {
  const value = fc.oneof(fc.constant(undefined), fc.constant(null), fc.integer({ min: -5, max: 2_000_000 }), fc.double(), fc.string({ maxLength: 6 }), fc.constantFrom('12', ' 7 ', ''), fc.array(fc.oneof(fc.string({ maxLength: 6 }), fc.integer()), { maxLength: 4 }), fc.boolean());
  const field = fc.constantFrom('id', 'sex', 'ageYears', 'ageDays', 'birthWeightGrams', 'dept', 'losDays', 'dischargeMethod', 'diagnoses', 'procedures', 'other');
  const asJson = record.map((r) => JSON.parse(JSON.stringify(r)) as Record<string, unknown>);
  const input = fc.oneof(
    // a valid record with one field changed to anything: the fast path's edges
    fc.tuple(asJson, field, value).map(([r, k, v]) => ({ ...r, [k]: v })),
    asJson,
    fc.dictionary(field, value),
    fc.anything(),
  );
  test('the fast path accepts only what the zod schema accepts, with the same result', () => {
    fc.assert(
      fc.property(input, (v) => {
        const fast = fastDrgRecord(v);
        const z = drgRecordSchema.safeParse(v);
        if (fast !== null) {
          assert.ok(z.success, `fast accepted what zod refuses: ${JSON.stringify(v)}`);
          assert.deepStrictEqual(fast, z.data);
        }
      }),
      { numRuns: RUNS * 10 },
    );
  });
  test('records as JSON take the fast path', () => {
    for (const r of syntheticDrgRecords(scheme, 3, 500)) assert.ok(fastDrgRecord(JSON.parse(JSON.stringify(r))));
  });
});
