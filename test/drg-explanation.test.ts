/**
 * The grouper's explanations: each step says which validation ran, why the MDC (entry and
 * matching code), which list or condition matched the ADRG, which MCC / CC decided the split
 * and which secondary diagnoses the exclusion table removed, with the dictionaries' names.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { groupDrg, groupDrgExplained } from '../src/rules/drg/group.js';
import { explainSteps } from '../src/rules/drg/explanation.js';
import { edit, isValid, scheme, witness } from './support/drg.js';

const A1 = { id: 'A-1', sex: '1', ageYears: 73, ageDays: null, birthWeightGrams: null, diagnoses: ['G20.x03', 'I10.x00x002', 'N39.000'], procedures: [] as string[] };
const explain = (r: Parameters<typeof groupDrg>[1]) => groupDrgExplained(scheme, r).explanation;

describe('explanations', () => {
  test('plain grouping carries no explanation', () => {
    assert.deepEqual(Object.keys(groupDrg(scheme, A1)).sort(), ['adrg', 'drg', 'id', 'mdc', 'status']);
  });
  test('the README record: the validations passed, MDCA not entered, MDCB by its main diagnosis, BU2 by its list, BU25 without complication', () => {
    const e = explain(A1);
    assert.match(e.scheme, /CHS-DRG 1\.1/);
    assert.deepEqual(
      e.steps.map((s) => [s.step, s.code, s.outcome]),
      [
        ['validation', null, 'passed'],
        ['mdc', 'MDCA', 'not_entered'],
        ['mdc', 'MDCB', 'entered'],
        ['adrg', 'BU2', 'matched'],
        ['drg', 'BU25', 'matched'],
      ],
    );
    assert.match(e.steps[0].explain, /invalid_missing_sex: 病人性别为空; invalid_newborn_no_weight: 新生儿的出生体重必须有值; invalid_no_diagnosis: 诊断信息为空: none applies/);
    const mdc = e.steps[2];
    assert.equal(mdc.name, '神经系统疾病及功能障碍');
    assert.deepEqual(mdc.because[0].codes, [{ code: 'G20.x03', name: scheme.diagnosisNames.get('G20.x03'), position: 0 }]);
    assert.match(e.steps[3].explain, /G20\.x03 帕金森综合征 is in the list of \d+ codes/);
    assert.match(e.steps[1].explain, /no main procedure/);
    assert.equal(e.steps[4].complications!.exclusionTable, scheme.ccExclusions.get('G20.x03'));
  });
  test('a failed validation is the last step, with the notice text of the rule', () => {
    const e = explain({ ...A1, ageYears: 0, ageDays: null });
    const last = e.steps.at(-1)!;
    assert.deepEqual([last.code, last.outcome, last.name], ['invalid_newborn_no_weight', 'failed', '新生儿的出生体重必须有值']);
    assert.equal(e.steps.length, 1);
    assert.match(last.explain, /after 1 rule passed/);
    assert.deepEqual(last.because.map((b) => [b.condition, b.held]), [['sexMissing', false], ['compare', true], ['compare', true], ['compare', true]]);
    assert.ok(last.because.some((b) => /ageDays 0 \(missing: counts as 0\) <= 28 holds/.test(b.explain)));
  });
  test('男 is shown as read as 1', () => {
    const e = explain({ ...A1, sex: '男' });
    assert.ok(e.steps.some((s) => s.step === 'sex' && s.code === '1' && /"男" is read as "1"/.test(s.explain)));
  });
  test('fall-through: MDCA entered on a valid main procedure, no ADRG, on to the next MDC', () => {
    const r = witness('BB1');
    const e = explain(r);
    const a = e.steps.find((s) => s.code === 'MDCA')!;
    assert.equal(a.outcome, 'fell_through');
    assert.match(a.explain, /is a valid procedure/);
    assert.match(a.explain, /on to the next MDC/);
    assert.equal(e.steps.find((s) => s.step === 'mdc' && s.outcome === 'entered')!.code, 'MDCB');
  });
  test('the split: the MCC that decided it, by name and position', () => {
    const r = witness('BR2', 'MCC');
    const e = explain(r);
    const drg = e.steps.at(-1)!;
    assert.equal(drg.code, 'BR21');
    const mcc = drg.complications!.counted.filter((c) => c.list === 'MCC');
    assert.ok(mcc.length >= 1);
    assert.equal(mcc[0].name, scheme.diagnosisNames.get(mcc[0].code) ?? null);
    assert.match(drg.explain, new RegExp(`split by a major complication \\(MCC\\): ${mcc[0].code.replace(/[.*+]/g, '\\$&')}`));
    assert.deepEqual(drg.because.map((b) => [b.condition, b.held]), [['hasMcc', true]]);
  });
  test('the exclusion table: the CC it removed is listed, and the group is the no-CC one', () => {
    const r = witness('BJ1', 'noCC');
    const table = scheme.ccExclusions.get(r.diagnoses[0])!;
    const excluded = [...scheme.cc].find(([, t]) => t === table)![0];
    const e = explain(edit(r, { diagnoses: [...r.diagnoses, excluded] }));
    const drg = e.steps.at(-1)!;
    assert.equal(drg.code, 'BJ15');
    assert.deepEqual(
      drg.complications!.excluded.map((c) => [c.code, c.list, c.table]),
      [[excluded, 'CC', table]],
    );
    assert.match(drg.explain, new RegExp(`the exclusion table ${table} of the main diagnosis`));
    assert.ok(drg.explain.includes(excluded));
  });
  test('an ungroupable record says its main diagnosis is in no entry list', () => {
    const e = explain({ ...A1, diagnoses: ['P59.900'] });
    assert.match(e.steps.at(-1)!.explain, /P59\.900 新生儿黄疸 is in no MDC's entry list/);
  });
  test('combined surgery: the procedure groups that matched are named by their labels', () => {
    const r = witness('JA1');
    const adrg = explain(r).steps.find((s) => s.step === 'adrg')!;
    assert.equal(adrg.code, 'JA1');
    const labels = adrg.because.filter((b) => b.condition === 'anyProcedureIn').map((b) => b.label);
    assert.ok(labels.join() === '1,2' || labels.join() === '1,3,4', labels.join());
    assert.ok(adrg.because.every((b) => b.held));
  });
  test('multiple trauma: the regions touched are named', () => {
    const mdc = explain(witness('ZZ1')).steps.find((s) => s.code === 'MDCZ')!;
    assert.equal(mdc.outcome, 'entered');
    assert.match(mdc.explain, /touch \d trauma regions \(at least 2 needed\): .*创伤/);
  });
  test('a valid procedure away from the main position is reported for noValidProcedure', () => {
    const r = witness('ZZ1');
    const valid = [...scheme.validProcedures].find((p) => isValid(p))!;
    const invalid = [...scheme.procedureNames.keys()].find((p) => !isValid(p))!;
    const e = explain(edit(r, { procedures: [invalid, valid] }));
    const z = e.steps.find((s) => s.code === 'MDCZ')!;
    assert.equal(z.outcome, 'fell_through');
    const zz1 = z.tried!.find((t) => t.code === 'ZZ1')!;
    assert.match(zz1.because[0].explain, new RegExp(`procedure ${valid.replace(/[.*+]/g, '\\$&')} .*\\(position 1\\) is a valid procedure`));
    assert.equal(zz1.because[0].held, false);
  });
  test('recorded at grouping, built when read: the same steps as built at once, built once, in JSON, and unmoved by a later change of the record', () => {
    const r = { ...A1, diagnoses: [...A1.diagnoses], procedures: [] as string[] };
    const g = groupDrgExplained(scheme, r);
    const atOnce = explainSteps(scheme, { ...A1 }, groupDrg(scheme, A1));
    r.diagnoses[1] = 'J18.900';
    r.ageYears = 3;
    r.procedures.push('00.0000');
    assert.deepEqual(g.explanation.steps, atOnce);
    assert.equal(g.explanation.steps, g.explanation.steps, 'built once');
    const json = JSON.parse(JSON.stringify(g));
    assert.deepEqual(json, JSON.parse(JSON.stringify({ ...groupDrg(scheme, A1), explanation: { scheme: g.explanation.scheme, steps: atOnce } })));
    assert.deepEqual(Object.keys(json.explanation), ['scheme', 'steps']);
    for (const w of ['BU2', 'ZZ1', 'PS1']) {
      const x = witness(w);
      assert.deepEqual(JSON.parse(JSON.stringify(groupDrgExplained(scheme, x).explanation.steps)), JSON.parse(JSON.stringify(explainSteps(scheme, x, groupDrg(scheme, x)))), w);
    }
  });
});
