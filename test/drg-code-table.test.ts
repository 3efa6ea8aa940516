/**
 * The grouper's code tables (src/policy/drg-code-table.ts) and the complication table of the
 * index: every key finds its payload, in both slot widths, and nothing else finds one; the
 * complication table says what mcc.json / cc.json say, for every code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CodeTable, SMALL_SLOT } from '../src/policy/drg-code-table.js';
import { CX_KIND_MASK, CX_TABLE_SHIFT, HAS_CC, HAS_MCC } from '../src/policy/drg-index.js';
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
