/**
 * The grouper's code tables (src/policy/drg-code-table.ts) and the small tables of the index:
 * every key finds its payload, in both slot widths, and nothing else finds one; the
 * complication table says what mcc.json / cc.json say, and the main-code keys what the full
 * diagnosis / procedure runs say, for every code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CodeTable, SMALL_SLOT } from '../src/policy/drg-code-table.js';
import { CX_KIND_MASK, CX_TABLE_SHIFT, DX_EXCLUSION, DX_MDCS, HAS_CC, HAS_MCC, MAIN_EXCLUSION_MASK, MAIN_GROUPS_SHIFT, PX_MDCS, PX_VALID } from '../src/policy/drg-index.js';
import { scheme } from './support/drg.js';

const code = fc.stringMatching(/^[A-Z][0-9]{2}\.[0-9a-z]{1,12}$/);

for (const [width, maxLoad] of [[16, 0.6], [SMALL_SLOT, 0.7]] as const) {
  test(`CodeTable, ${width}-integer slots: each key finds its payload; other strings, near misses included, find nothing`, () => {
    fc.assert(
      fc.property(fc.uniqueArray(code, { maxLength: 300 }), fc.array(code, { maxLength: 50 }), (keys, others) => {
        const t = new CodeTable(keys.map((k, i) => [k, [i + 1]] as const), [[-7]], { slot: width, maxLoad });
        keys.forEach((k, i) => {
          const o = t.find(k);
          assert.ok(o >= 0, k);
          assert.equal(t.data[o], i + 1);
          assert.equal(t.find(`${k} `), keys.includes(`${k} `) ? t.find(`${k} `) : -1);
          assert.equal(t.find(k.toLowerCase()) >= 0, keys.includes(k.toLowerCase()));
        });
        for (const x of others) if (!keys.includes(x)) assert.equal(t.find(x), -1, x);
        assert.equal(t.data[t.keylessAt[0]], -7);
      }),
      { numRuns: 60 },
    );
  });
}

test('CodeTable refuses a payload wider than its slot, a repeated key, a load outside (0, 1)', () => {
  assert.throws(() => new CodeTable([['A00.0', [1, 2]]], [], { slot: SMALL_SLOT }), /at most 1 integers/);
  assert.throws(() => new CodeTable([['A00.0', [1]], ['A00.0', [2]]]), /appears twice/);
  assert.throws(() => new CodeTable([['A00.0', [1]]], [], { maxLoad: 1 }), /maxLoad/);
});

test('the complication table: every MCC and CC code with its kind and table, every other code 0', () => {
  const ix = scheme.index;
  const tables = new Map(ix.tables.map((t, i) => [t, i]));
  for (const [list, kind] of [[scheme.mcc, HAS_MCC], [scheme.cc, HAS_CC]] as const)
    for (const [c, table] of list) {
      const v = ix.complication(c);
      assert.equal(v & CX_KIND_MASK, kind, c);
      assert.equal(v >> CX_TABLE_SHIFT, tables.get(table), c);
    }
  let others = 0;
  for (const c of [...scheme.diagnosisNames.keys(), ...scheme.ccExclusions.keys()])
    if (!scheme.mcc.has(c) && !scheme.cc.has(c)) {
      assert.equal(ix.complication(c), 0, c);
      others++;
    }
  assert.ok(others > 1000);
  assert.equal(ix.complication(''), 0);
  assert.equal(ix.complication('I10.x00x002 '), 0);
});

test('the main-code keys say what the full runs say: MDC groups and exclusion table of every diagnosis, groups and validity of every procedure', () => {
  const ix = scheme.index;
  const diagnoses = [...new Set([...scheme.diagnosisNames.keys(), ...scheme.ccExclusions.keys(), ...scheme.mcc.keys(), ...scheme.cc.keys(), 'no such code', ''])];
  for (const c of diagnoses) {
    const run = ix.diagnosis(c);
    const key = ix.mainKey(c);
    assert.equal(key >>> MAIN_GROUPS_SHIFT, ix.dx[run + DX_MDCS], c);
    assert.equal((key & MAIN_EXCLUSION_MASK) - 1, ix.dx[run + DX_EXCLUSION], c);
  }
  const procedures = [...new Set([...scheme.procedureNames.keys(), ...scheme.validProcedures, 'no such code', ''])];
  for (const c of procedures) {
    const run = ix.procedure(c);
    const key = ix.procedureKey(c);
    assert.equal(key >>> 1, ix.px[run + PX_MDCS], c);
    assert.equal(key & 1, ix.px[run + PX_VALID], c);
    assert.equal(key & 1, scheme.validProcedures.has(c) ? 1 : 0, c);
  }
  assert.ok(ix.mainKey('I10.x00x002') !== ix.unknownMainKey);
  assert.equal(ix.mainKey('i10.x00x002'), ix.unknownMainKey);
});
