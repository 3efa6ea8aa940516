/**
 * The CHS-DRG 1.1 grouper against the data README: the validation statuses, every condition
 * kind (a record that must match and a near miss that must not), the flow's irregularities
 * (fall-through between MDCs, newborns, multiple trauma, procedure combinations, CC / MCC and
 * the exclusion table), every MDC, ADRG and DRG reached. Records come from the data itself
 * (src/sim/drg-records.ts draws one for any ADRG and split) and are then changed in one place.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { DRG_STATUSES } from '../src/policy/drg-scheme.js';
import { newFacts, factsOf } from '../src/rules/drg/record.js';
import { adrgDef, edit, group, isValid, leavesOf, listOf, mdcDef, scheme, witness } from './support/drg.js';

const A1 = {
  id: 'A-1',
  sex: '1',
  ageYears: 73,
  ageDays: null,
  birthWeightGrams: null,
  dept: '神经内科',
  losDays: 8,
  dischargeMethod: '1',
  diagnoses: ['G20.x03', 'I10.x00x002', 'N39.000'],
  procedures: [],
};

describe('the README examples and the result (§2, §3)', () => {
  test('the §2 record groups as §3 says: MDCB / BU2 / BU25', () => {
    assert.deepEqual(group(A1), { id: 'A-1', status: 'success', mdc: 'MDCB', adrg: 'BU2', drg: 'BU25' });
  });
  test('the id is echoed; a record without one gets null', () => {
    const { id: _, ...rest } = A1;
    assert.equal(group(rest).id, null);
    assert.equal(group({ ...A1, id: 'X 9' }).id, 'X 9');
  });
  test('the scheme holds 26 MDCs, 376 ADRGs and 628 DRGs', () => {
    assert.equal(scheme.mdcs.length, 26);
    assert.equal(scheme.adrgs.size, 376);
    assert.equal(scheme.drgs.size, 628);
  });
});

describe('validation (§4 step 1)', () => {
  test('sex null, "" or absent: invalid_missing_sex, before any other rule', () => {
    for (const sex of [null, '', undefined]) {
      assert.equal(group({ ...A1, sex }).status, 'invalid_missing_sex');
      assert.equal(group({ ...A1, sex, ageYears: 0, diagnoses: [] }).status, 'invalid_missing_sex', 'rule 1 comes first');
    }
    assert.equal(group({ ...A1, sex: ' ' }).status, 'success', 'a space is a value: only null, absent and "" are missing');
  });
  test('a 0-year-old of ≤ 28 days (or none) without birth weight: invalid_newborn_no_weight', () => {
    const baby = { ...A1, ageYears: 0, ageDays: 10, birthWeightGrams: null };
    assert.equal(group(baby).status, 'invalid_newborn_no_weight');
    assert.equal(group({ ...baby, ageDays: 28 }).status, 'invalid_newborn_no_weight', '28 days is still ≤ 28');
    assert.equal(group({ ...baby, ageDays: null }).status, 'invalid_newborn_no_weight', 'ageDays null counts as 0');
    assert.equal(group({ ...baby, birthWeightGrams: 0 }).status, 'invalid_newborn_no_weight');
    assert.notEqual(group({ ...baby, ageDays: 29 }).status, 'invalid_newborn_no_weight', '29 days passes');
    assert.notEqual(group({ ...baby, birthWeightGrams: 3100 }).status, 'invalid_newborn_no_weight');
    assert.notEqual(group({ ...baby, ageYears: 1 }).status, 'invalid_newborn_no_weight');
  });
  test('missing numbers count as 0: a record with no age at all is a newborn without weight', () => {
    assert.equal(group({ ...A1, ageYears: null, ageDays: null, birthWeightGrams: null }).status, 'invalid_newborn_no_weight');
    const { ageYears: _a, ageDays: _d, birthWeightGrams: _w, ...bare } = A1;
    assert.equal(group(bare).status, 'invalid_newborn_no_weight');
  });
  test('no diagnosis: invalid_no_diagnosis', () => {
    assert.equal(group({ ...A1, diagnoses: [] }).status, 'invalid_no_diagnosis');
    assert.equal(group({ ...A1, diagnoses: [''] }).status, 'ungroupable', 'an empty code is a code (it matches no list)');
  });
  test('every status of §3 is produced', () => {
    const seen = new Set([group(A1), group({ ...A1, sex: null }), group({ ...A1, ageYears: 0 }), group({ ...A1, diagnoses: [] }), group({ ...A1, diagnoses: ['P59.900'] })].map((r) => r.status));
    assert.deepEqual([...seen].sort(), [...DRG_STATUSES].sort());
  });
  test('男 / 女 are read as 1 / 2 after validation', () => {
    const male = witness('MR1');
    assert.equal(male.sex, '1');
    assert.deepEqual(group({ ...male, sex: '男' }), group(male));
    assert.notEqual(group({ ...male, sex: '女' }).mdc, 'MDCM');
    assert.notEqual(group({ ...male, sex: '9' }).mdc, 'MDCM', 'another sex code is not missing, and not male');
  });
});

describe('each condition kind: a match and a near miss (§5)', () => {
  test('mainDiagnosisIn: exact codes, main position only', () => {
    assert.equal(group(A1).adrg, 'BU2');
    for (const main of ['G20.x03 ', 'g20.x03', 'G20.X03', ' G20.x03']) assert.equal(group({ ...A1, diagnoses: [main, 'I10.x00x002'] }).status, 'ungroupable', JSON.stringify(main));
    assert.equal(group({ ...A1, diagnoses: ['P59.900', 'G20.x03'] }).status, 'ungroupable', 'the code as a secondary diagnosis opens nothing');
  });
  test('anyDiagnosisIn: a preterm code at any position (PS1)', () => {
    const r = witness('PS1');
    const list = new Set(listOf(adrgDef('PS1').condition, 'anyDiagnosisIn'));
    assert.ok(r.diagnoses.some((d) => list.has(d)));
    assert.equal(group(r).adrg, 'PS1');
    assert.notEqual(group(edit(r, { diagnoses: r.diagnoses.filter((d) => !list.has(d)) })).adrg, 'PS1');
  });
  test('mainProcedureIn: the main procedure only (AA1 heart transplant)', () => {
    const r = witness('AA1');
    assert.equal(group(r).drg, 'AA19');
    const other = [...scheme.procedureNames.keys()].find((p) => !isValid(p) && !listOf(adrgDef('AA1').condition, 'mainProcedureIn').includes(p))!;
    assert.notEqual(group(edit(r, { procedures: [other, ...r.procedures!] })).adrg, 'AA1', 'the transplant as a second procedure does not count');
  });
  test('anyProcedureIn, two lists: both needed, at any position (AC1 pancreas + kidney)', () => {
    const r = witness('AC1');
    assert.equal(group(r).adrg, 'AC1');
    assert.equal(group(edit(r, { procedures: [...r.procedures!].reverse() })).adrg, 'AC1');
    const [pancreas, kidney] = leavesOf(adrgDef('AC1').condition).map((l) => new Set((l as { codes: string[] }).codes));
    assert.notEqual(group(edit(r, { procedures: r.procedures!.filter((p) => !kidney.has(p)) })).adrg, 'AC1');
    assert.notEqual(group(edit(r, { procedures: r.procedures!.filter((p) => !pancreas.has(p)) })).adrg, 'AC1');
  });
  test('mainProcedureValid: a valid main procedure (YC1 HIV surgery)', () => {
    const r = witness('YC1');
    assert.ok(isValid(r.procedures![0]));
    assert.equal(group(r).adrg, 'YC1');
    const invalid = [...scheme.procedureNames.keys()].find((p) => !isValid(p))!;
    const moved = group(edit(r, { procedures: [invalid, ...r.procedures!] }));
    assert.equal(moved.mdc, 'MDCY');
    assert.notEqual(moved.adrg, 'YC1', 'the valid procedure in second place is not the main one');
    assert.equal(group(edit(r, { procedures: [] })).mdc, 'MDCY');
  });
  test('noValidProcedure: ZZ1 needs no valid procedure at any position', () => {
    const r = witness('ZZ1');
    assert.equal(group(r).adrg, 'ZZ1');
    const invalid = [...scheme.procedureNames.keys()].find((p) => !isValid(p))!;
    assert.equal(group(edit(r, { procedures: [invalid] })).adrg, 'ZZ1', 'a procedure that is not valid does not count');
  });
  test('sex: MDCM needs sex 1, MDCN sex 2', () => {
    const m = witness('MR1');
    const n = witness('NR1');
    assert.equal(group(m).mdc, 'MDCM');
    assert.equal(group(n).mdc, 'MDCN');
    assert.notEqual(group({ ...m, sex: '2' }).mdc, 'MDCM');
    assert.notEqual(group({ ...n, sex: '1' }).mdc, 'MDCN');
  });
  test('compare: MDCP needs ageYears == 0, not "under 29 days"', () => {
    const r = witness('PV1');
    assert.equal(r.ageYears, 0);
    assert.equal(group({ ...r, ageDays: 200, birthWeightGrams: 3000 }).mdc, 'MDCP', 'a 200-day-old is still MDCP');
    assert.notEqual(group({ ...r, ageYears: 1 }).mdc, 'MDCP');
  });
  test('compare: the PS birth-weight bands are lower-inclusive and need a weight > 0', () => {
    const r = witness('PS1');
    const at = (w: number) => group({ ...r, birthWeightGrams: w }).adrg;
    assert.deepEqual([1, 1499, 1500, 1999, 2000, 2499, 2500, 6000].map(at), ['PS1', 'PS1', 'PS2', 'PS2', 'PS3', 'PS3', 'PS4', 'PS4']);
    assert.equal(group({ ...r, birthWeightGrams: 1200, ageDays: null }).adrg, 'PS1', 'ageDays null passes ≤ 28');
    assert.notEqual(group({ ...r, birthWeightGrams: 1200, ageDays: 29 }).adrg, 'PS1');
    assert.equal(group({ ...r, birthWeightGrams: 0, ageDays: 40 }).status, 'success', 'no weight after 28 days passes validation…');
    assert.ok(!['PS1', 'PS2', 'PS3', 'PS4'].includes(group({ ...r, birthWeightGrams: 0, ageDays: 40 }).adrg!), '…but fails weight > 0');
  });
  test('distinctTraumaRegions: MDCZ needs diagnoses in two regions', () => {
    const r = witness('ZZ1');
    const regions = (leavesOf(mdcDef('MDCZ').entry).find((l) => l.kind === 'distinctTraumaRegions') as { regions: Record<string, string[]> }).regions;
    const regionOf = (d: string) => Object.keys(regions).find((k) => regions[k].includes(d));
    const mainRegion = regionOf(r.diagnoses[0])!;
    assert.ok(mainRegion);
    const same = regions[mainRegion].find((c) => c !== r.diagnoses[0])!;
    const oneRegion = edit(r, { diagnoses: [r.diagnoses[0], ...r.diagnoses.slice(1).map((d) => (regionOf(d) && regionOf(d) !== mainRegion ? same : d))] });
    assert.equal(group(r).mdc, 'MDCZ');
    assert.notEqual(group(oneRegion).mdc, 'MDCZ');
  });
  test('hasMcc / hasCc / always: the three groups of an MCC / CC / no-CC ADRG', () => {
    for (const adrg of ['BR2', 'PK1', 'YR1']) {
      const [mcc, cc, none] = ['MCC', 'CC', 'noCC'].map((s) => witness(adrg, s as 'MCC'));
      assert.deepEqual([group(mcc).drg, group(cc).drg, group(none).drg], [`${adrg}1`, `${adrg}3`, `${adrg}5`]);
      const bare = (r: typeof mcc) => edit(r, { diagnoses: r.diagnoses.filter((d, i) => i === 0 || !(scheme.mcc.has(d) || scheme.cc.has(d))) });
      assert.equal(group(bare(mcc)).drg, `${adrg}5`, 'without the MCC: no-CC group');
      assert.equal(group(bare(cc)).drg, `${adrg}5`);
    }
  });
  test('not / anyProcedureValid (only in switched-off rules): matchers behave', () => {
    const c = scheme.compileCondition({ not: { kind: 'anyProcedureValid' } });
    const valid = [...scheme.validProcedures][0];
    const invalid = [...scheme.procedureNames.keys()].find((p) => !isValid(p))!;
    const f = (procedures: string[]) => factsOf({ ...A1, procedures }, newFacts());
    assert.equal(c.test(f([invalid])), true);
    assert.equal(c.test(f([invalid, valid])), false);
    assert.equal(c.test(f([])), true);
  });
});

describe('the flow (§4, §6)', () => {
  test('every MDC, ADRG and DRG is reached by a record drawn for it', () => {
    const mdcs = new Set<string>();
    for (const [code, a] of scheme.adrgs)
      for (const d of a.drgs) {
        const g = group(witness(code, d.split));
        assert.equal(g.drg, d.code);
        assert.equal(g.mdc, a.mdc);
        mdcs.add(g.mdc!);
      }
    assert.equal(mdcs.size, 26);
  });
  test('ungroupable: a main diagnosis in no entry list, no procedure; the same grouped through MDCA by a transplant', () => {
    const r = { ...A1, diagnoses: ['P59.900'] };
    assert.ok(scheme.diagnosisNames.has('P59.900'), 'a dictionary code…');
    assert.deepEqual(group(r), { id: 'A-1', status: 'ungroupable', mdc: null, adrg: null, drg: null });
    assert.equal(group({ ...r, procedures: ['37.5100'] }).drg, 'AA19');
    assert.equal(group({ ...A1, diagnoses: ['NOT-A-CODE'] }).status, 'ungroupable', 'an unknown code is not invalid');
  });
  test('fall-through from MDCA: a valid main procedure that is no transplant lands in the main diagnosis’s MDC', () => {
    const r = witness('BB1');
    assert.ok(isValid(r.procedures![0]), 'BB1 (craniotomy) has a valid main procedure: the record enters MDCA first');
    assert.equal(group(r).mdc, 'MDCB');
  });
  test('fall-through from MDCZ: multiple trauma with a valid procedure outside ZB1/ZC1/ZD1/ZJ1 leaves MDCZ', () => {
    const r = witness('ZZ1');
    const zLists = new Set(['ZB1', 'ZC1', 'ZD1', 'ZJ1'].flatMap((a) => listOf(adrgDef(a).condition, 'mainProcedureIn')));
    let left = 0;
    for (const p of [...scheme.validProcedures].filter((x) => !zLists.has(x)).slice(0, 300)) {
      const g = group(edit(r, { procedures: [p] }));
      assert.notEqual(g.mdc, 'MDCZ', p);
      if (g.status === 'success') left++;
    }
    assert.ok(left > 0, 'some of them are grouped by a later MDC');
  });
  test('fall-through on sex: a woman with a male-only main diagnosis skips MDCM', () => {
    const r = witness('MR1');
    const g = group({ ...r, sex: '2' });
    assert.ok(g.status === 'ungroupable' || g.mdc !== 'MDCM');
  });
  test('newborns: PB1 needs ageDays ≤ 28 (null passes); PV1 catches the rest of MDCP', () => {
    const r = witness('PB1');
    assert.equal(group({ ...r, ageDays: null }).adrg, 'PB1');
    const older = group({ ...r, ageDays: 29 });
    assert.equal(older.mdc, 'MDCP', 'MDCP never falls through');
    assert.notEqual(older.adrg, 'PB1');
  });
  test('combined surgery JA1: groups 1+2, or 1+3+4, at any position', () => {
    const c = adrgDef('JA1').condition;
    const [g1, g2, g3, g4] = ['1', '2', '3', '4'].map((l) => listOf(c, 'anyProcedureIn', l)[0]);
    const main = listOf(c, 'mainDiagnosisIn').find((d) => group({ ...A1, sex: '2', diagnoses: [d], procedures: [g1, g2] }).adrg === 'JA1')!;
    assert.ok(main, 'a main diagnosis of JA1 that reaches it');
    const at = (procedures: string[]) => group({ ...A1, sex: '2', diagnoses: [main], procedures }).adrg;
    assert.equal(at([g2, g1]), 'JA1');
    assert.equal(at([g3, g1, g4]), 'JA1');
    assert.notEqual(at([g1, g3]), 'JA1');
    assert.notEqual(at([g1, g4]), 'JA1');
    assert.notEqual(at([g2, g3, g4]), 'JA1');
  });
  test('double procedure FB1: a valve and a coronary procedure, at any position', () => {
    const r = witness('FB1');
    const [valves, coronary] = leavesOf(adrgDef('FB1').condition).map((l) => new Set((l as { codes: string[] }).codes));
    assert.equal(group(edit(r, { procedures: [...r.procedures!].reverse() })).adrg, 'FB1');
    assert.notEqual(group(edit(r, { procedures: r.procedures!.filter((p) => !coronary.has(p)) })).adrg, 'FB1');
    assert.notEqual(group(edit(r, { procedures: r.procedures!.filter((p) => !valves.has(p)) })).adrg, 'FB1');
  });
  test('MCC / no-CC ADRG: a CC alone gives the no-CC group; CC / no-CC ADRG: an MCC gives the CC group', () => {
    assert.equal(scheme.adrgs.get('BB2')!.drgs.map((d) => d.split).join(), 'MCC,noCC');
    assert.equal(scheme.adrgs.get('BJ1')!.drgs.map((d) => d.split).join(), 'CC,noCC');
    const r = witness('BB2', 'noCC');
    const table = scheme.ccExclusions.get(r.diagnoses[0]);
    const cc = [...scheme.cc].find(([, t]) => t !== table)![0];
    assert.equal(group(edit(r, { diagnoses: [...r.diagnoses, cc] })).drg, 'BB25');
    const ccOnly = witness('BJ1', 'noCC');
    const t2 = scheme.ccExclusions.get(ccOnly.diagnoses[0]);
    const mcc = [...scheme.mcc].find(([, t]) => t !== t2)![0];
    assert.equal(group(edit(ccOnly, { diagnoses: [...ccOnly.diagnoses, mcc] })).drg, 'BJ13');
  });
  test('the exclusion table removes a CC whose table is the main diagnosis’s, and the split changes', () => {
    let checked = 0;
    for (const a of scheme.adrgs.values()) {
      if (a.drgs.map((d) => d.split).join() !== 'CC,noCC' || !('kind' in a.def.condition && a.def.condition.kind === 'mainDiagnosisIn')) continue;
      const r = witness(a.code, 'noCC');
      const table = scheme.ccExclusions.get(r.diagnoses[0]);
      const excluded = [...scheme.cc].find(([, t]) => t === table)?.[0];
      const counted = [...scheme.cc].find(([, t]) => t !== table)![0];
      if (!table || !excluded) continue;
      assert.equal(group(edit(r, { diagnoses: [...r.diagnoses, excluded] })).drg, `${a.code}5`, `${excluded} is excluded by ${r.diagnoses[0]}`);
      assert.equal(group(edit(r, { diagnoses: [...r.diagnoses, counted] })).drg, `${a.code}3`, `${counted} counts`);
      assert.equal(group(edit(r, { diagnoses: [...r.diagnoses, excluded, counted] })).drg, `${a.code}3`);
      checked++;
    }
    assert.ok(checked >= 20, `checked ${checked} ADRGs`);
  });
  test('the exclusion table removes an MCC too', () => {
    const r = witness('BR2', 'noCC');
    const table = scheme.ccExclusions.get(r.diagnoses[0])!;
    const excluded = [...scheme.mcc].find(([, t]) => t === table)?.[0];
    assert.ok(excluded, `an MCC of table ${table}`);
    assert.equal(group(edit(r, { diagnoses: [...r.diagnoses, excluded] })).drg, 'BR25');
  });
  test('the main diagnosis never counts as its own complication; repeated as a secondary it is checked like any other', () => {
    for (const [code, t] of scheme.mcc) {
      const g = group({ ...A1, diagnoses: [code] });
      if (g.status !== 'success' || scheme.adrgs.get(g.adrg!)!.drgs[0].split !== 'MCC') continue;
      assert.equal(g.drg!.at(-1), '5', `${code} alone: no complication`);
      const again = group({ ...A1, diagnoses: [code, code] });
      assert.equal(again.drg!.at(-1), scheme.ccExclusions.get(code) === t ? '5' : '1', `${code} twice`);
      return;
    }
    assert.fail('no MCC code opens an MCC-split ADRG on its own');
  });
  test('no result is an ambiguity group (xQY): those rules are switched off', () => {
    for (const m of scheme.data.mdcs) for (const r of m.disabledRules) assert.equal(r.enabled, false);
    const r = witness('BU2');
    const valid = [...scheme.validProcedures].slice(0, 200);
    for (const p of valid) assert.ok(!/QY/.test(group(edit(r, { procedures: [p] })).drg ?? ''));
  });
  test('length of stay, discharge method, department do not change the group', () => {
    const r = witness('BR2', 'MCC');
    const g = group(r);
    assert.deepEqual(group({ ...r, losDays: 90, dischargeMethod: '5', dept: '重症医学科' }), g);
    assert.deepEqual(group({ ...r, losDays: null, dischargeMethod: null, dept: null }), g);
  });
});
