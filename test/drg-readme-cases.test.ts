/**
 * The grouper held to the scheme's data README (policies/drg/chs-drg-1.1/README.md, the copy a
 * peer grouper is written from), rule by rule: for each rule hand-made records that meet it and
 * records that just miss it, with the result written down from the README and the data files —
 * the codes were looked up by hand in mdc.json / adrg.json / drg.json / mcc.json / cc.json /
 * cc-exclusions.json / procedures-valid.json, not taken from the grouper's output. The facts of
 * the data each expectation rests on (a code is in a list, a complication has a table) are
 * checked first, against the raw JSON files, so a wrong premise fails as such. Then `yibao drg
 * group` against §2 / §3: the bytes of each result line, the CSV headings, bad rows by line,
 * exit codes. docs/issue-19-audit.md lists each README rule and where the grouper does it.
 */
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_DRG_DIR } from '../src/policy/drg-scheme.js';
import { groupDrg, groupDrgExplained } from '../src/rules/drg/group.js';
import type { DrgRecord } from '../src/rules/drg/record.js';
import { scheme } from './support/drg.js';

// ---- the raw data files, read as a peer grouper would read them ----
const raw = (f: string): any => JSON.parse(readFileSync(join(DEFAULT_DRG_DIR, f), 'utf8'));
const mdcFile: any[] = raw('mdc.json');
const adrgFile: Record<string, any> = raw('adrg.json');
const drgFile: Record<string, any> = raw('drg.json');
const mccFile: Record<string, string> = raw('mcc.json');
const ccFile: Record<string, string> = raw('cc.json');
const cceFile: Record<string, string> = raw('cc-exclusions.json');
const validFile = new Set<string>(raw('procedures-valid.json'));
const schemeFile = raw('scheme.json');

type Leaf = Record<string, any>;
const leaves = (c: any): Leaf[] => ('all' in c ? c.all.flatMap(leaves) : 'any' in c ? c.any.flatMap(leaves) : 'not' in c ? leaves(c.not) : [c]);
const mdcOf = (code: string) => mdcFile.find((m) => m.code === code);
/** The codes of the n-th leaf of `kind` (with `label`) in an ADRG condition or an MDC entry. */
const listIn = (c: any, kind: string, n = 0, label?: string): Set<string> => {
  const ls = leaves(c).filter((l) => l.kind === kind && (label === undefined || l.label === label));
  assert.ok(ls[n], `no ${kind} #${n}${label ? ` label ${label}` : ''}`);
  return new Set(ls[n].codes);
};
const entryList = (mdc: string): Set<string> => listIn(mdcOf(mdc).entry, 'mainDiagnosisIn');
const adrgList = (adrg: string, kind: string, n = 0, label?: string): Set<string> => listIn(adrgFile[adrg].condition, kind, n, label);
const inAnyEntry = (code: string): string[] => mdcFile.filter((m) => leaves(m.entry).some((l) => l.codes?.includes(code))).map((m) => m.code);
const inAnyAdrgProcedureList = (code: string): boolean => Object.values(adrgFile).some((a: any) => leaves(a.condition).some((l) => /Procedure/.test(l.kind) && l.codes?.includes(code)));
const trauma = leaves(mdcOf('MDCZ').entry).find((l) => l.kind === 'distinctTraumaRegions')!.regions as Record<string, string[]>;
const regionOf = (code: string): string | undefined => Object.keys(trauma).find((k) => trauma[k].includes(code));

// ---- records and results ----
/** An adult man with nothing else: each case says what differs. */
const rec = (r: Partial<DrgRecord>): DrgRecord => ({ id: 'x', sex: '1', ageYears: 50, ageDays: null, birthWeightGrams: null, diagnoses: [], procedures: [], ...r });
/** A newborn boy of 10 days, 3 000 g. */
const baby = (r: Partial<DrgRecord>): DrgRecord => rec({ ageYears: 0, ageDays: 10, birthWeightGrams: 3000, ...r });
/** "MDCB BU2 BU25", or a status. */
const expect = (r: DrgRecord, want: string, why: string): void => {
  const g = groupDrg(scheme, r);
  const got = g.status === 'success' ? `${g.mdc} ${g.adrg} ${g.drg}` : g.status;
  assert.equal(got, want, `${why}: ${JSON.stringify(r)}`);
  if (g.status !== 'success') assert.deepEqual([g.mdc, g.adrg, g.drg], [null, null, null], 'no codes unless success (§3)');
  else {
    assert.equal(g.drg!.slice(0, 3), g.adrg, 'the first 3 characters of a DRG are its ADRG (§3)');
    assert.equal(`MDC${g.drg![0]}`, g.mdc, 'the first letter of a DRG is its MDC letter (§3)');
  }
};

// codes used below, by name (diagnosis-names.json / procedure-names.json)
const PARKINSON = 'G20.x03'; // 帕金森综合征: MDCB BU2 (MCC / noCC); exclusion table 66
const PNEUMONIA = 'J18.900'; // 肺炎: MDCE ES3 (MCC / CC / noCC); a CC of table 101, its own exclusion table 101
const HYPONATRAEMIA = 'E87.100'; // 低渗透性和低钠血症: a CC of table 52
const RESP_FAILURE = 'J96.000'; // 急性呼吸衰竭: an MCC of table 109
const DRUG_PARKINSON = 'G21.100'; // 帕金森综合征，其他药物性继发性的: an MCC of table 66 (G20.x03's)
const ASTHMA = 'J45.000'; // 主要为变应性哮喘: MDCE EX1 (CC / noCC); exclusion table 104
const HEART_FAILURE = 'I50.900'; // 心力衰竭: MDCF FR2 (MCC / noCC)
const MI = 'I21.900'; // 急性心肌梗死: MDCF FR1 (unsplit)
const BALANITIS = 'A06.800x004+N51.2*'; // 阿米巴龟头炎: MDCM only (MS1)
const PELVIC_TB = 'A18.100x032'; // 结核性盆腔炎: MDCN only (NS1)
const HIV = 'B20.001'; // MDCY: YR1 (by main diagnosis), YC1 with a valid main procedure
const JAUNDICE = 'P59.901'; // 新生儿高胆红素血症: MDCP PU1 (ageDays ≤ 28)
const JAUNDICE_GAP = 'P59.900'; // 新生儿黄疸: in no MDC entry list (§6 "Gaps")
const PRETERM = 'P07.300'; // the preterm list of PS1–PS4
const HEAD = 'S01.800x011'; // 开放性脑损伤伴颅骨骨折: MDCZ list, region 头颈部创伤; also MDCB BY1
const HEAD_2 = 'S01.800x031'; // another 头颈部创伤 code
const CHEST = 'S21.100x002'; // 胸骨前区开放性损伤: region 胸部创伤 (a CC for HEAD)
const BREAST_CA = 'C50.900x005'; // 双侧乳腺恶性肿瘤: JA1 / JB1 (MDCJ)
const APPENDICITIS = 'K35.800'; // 急性阑尾炎，其他未特指: in no MDC entry list
const DM1 = 'E10.900'; // 1型糖尿病: MDCK KS1
const HEART_TX = '37.5100'; // 心脏移植: AA1, valid
const PANCREAS_TX = '52.8000'; // AC1 list 1, AD1
const KIDNEY_TX = '55.6100'; // AC1 list 2, AE1
const VENT_96H = '96.7201'; // 呼吸机治疗[大于等于96小时]: AH1 (MCC / noCC)
const STENT = '00.5500'; // 其他周围血管药物洗脱支架置入: valid, in no ADRG list
const NEO_VENT = '93.9000x003'; // 无创呼吸机辅助通气(高频通气[HFPPV]): PK1, NOT valid
const HEMATOMA_DRAIN = '01.0900x006'; // 颅内血肿硬通道穿刺引流术: ZB1 (main procedure), valid
const VALVE = '35.0100x002'; // 经皮主动脉瓣探查术: FB1 list 1 (and FB2 by main procedure)
const PTCA = '00.6600x004'; // 经皮冠状动脉球囊扩张成形术: FB1 list 2 (and FM2 by main procedure)
const JA_G1 = '85.5300x001'; // 单侧乳房假体置入术: JA1 group 1
const JA_G2 = '85.4300x003'; // 单侧乳房切除伴同侧腋窝淋巴结活检术: JA1 group 2
const JA_G3 = '85.2100x003'; // 乳房病损切除术: JA1 group 3
const JA_G4 = '40.2100'; // 深部颈淋巴结切除术: JA1 group 4

describe('the premises: what the data files say about the codes used here', () => {
  test('lists, tables and valid procedures, read from the raw JSON', () => {
    assert.deepEqual(schemeFile.mdcOrder, mdcFile.map((m) => m.code), 'mdcOrder is the order of mdc.json (§4 step 2)');
    assert.deepEqual(inAnyEntry(PARKINSON), ['MDCB']);
    assert.ok(adrgList('BU2', 'mainDiagnosisIn').has(PARKINSON));
    assert.deepEqual(adrgFile.BU2.drgs, ['BU21', 'BU25']);
    assert.deepEqual(adrgFile.ES3.drgs, ['ES31', 'ES33', 'ES35']);
    assert.deepEqual(adrgFile.EX1.drgs, ['EX13', 'EX15']);
    assert.deepEqual(adrgFile.FR1.drgs, ['FR19']);
    assert.deepEqual(['BU21', 'BU25', 'ES31', 'ES33', 'ES35', 'EX13', 'EX15'].map((d) => drgFile[d].split), ['MCC', 'noCC', 'MCC', 'CC', 'noCC', 'CC', 'noCC']);
    assert.equal(cceFile[PARKINSON], '66');
    assert.equal(mccFile[DRUG_PARKINSON], '66', 'an MCC in the main diagnosis’s own table: excluded');
    assert.equal(ccFile[PARKINSON], '66', 'the main diagnosis repeated as a secondary: a CC of its own table, excluded');
    assert.equal(ccFile[PNEUMONIA], '101');
    assert.equal(cceFile[PNEUMONIA], '101');
    assert.equal(ccFile[HYPONATRAEMIA], '52');
    assert.equal(mccFile[RESP_FAILURE], '109');
    assert.equal(cceFile[ASTHMA], '104');
    assert.ok(!(PNEUMONIA in mccFile) && !(RESP_FAILURE in ccFile), 'no code is in both lists');
    assert.deepEqual(inAnyEntry(JAUNDICE_GAP), []);
    assert.deepEqual(inAnyEntry(APPENDICITIS), []);
    assert.deepEqual(inAnyEntry(BALANITIS), ['MDCM']);
    assert.deepEqual(inAnyEntry(PELVIC_TB), ['MDCN']);
    assert.ok(entryList('MDCP').has(JAUNDICE) && entryList('MDCP').has(PRETERM));
    assert.ok(entryList('MDCZ').has(HEAD) && entryList('MDCB').has(HEAD));
    assert.equal(regionOf(HEAD), '头颈部创伤');
    assert.equal(regionOf(HEAD_2), '头颈部创伤');
    assert.equal(regionOf(CHEST), '胸部创伤');
    assert.ok(validFile.has(HEART_TX) && validFile.has(STENT) && validFile.has(HEMATOMA_DRAIN) && validFile.has(VENT_96H));
    assert.ok(!validFile.has(NEO_VENT), '93.9000x003 is not a valid procedure (§6)');
    assert.ok(!inAnyAdrgProcedureList(STENT), 'the stent is valid but in no ADRG procedure list');
    assert.ok(adrgList('PK1', 'mainProcedureIn').has(NEO_VENT));
    assert.ok(adrgList('ZB1', 'mainProcedureIn').has(HEMATOMA_DRAIN));
    assert.ok(adrgList('AA1', 'mainProcedureIn').has(HEART_TX));
    assert.ok(adrgList('AC1', 'anyProcedureIn', 0).has(PANCREAS_TX) && adrgList('AC1', 'anyProcedureIn', 1).has(KIDNEY_TX));
    assert.ok(adrgList('FB1', 'anyProcedureIn', 0).has(VALVE) && adrgList('FB1', 'anyProcedureIn', 1).has(PTCA));
    assert.ok(adrgList('JA1', 'mainDiagnosisIn').has(BREAST_CA));
    assert.ok(adrgList('JA1', 'anyProcedureIn', 0, '1').has(JA_G1) && adrgList('JA1', 'anyProcedureIn', 0, '2').has(JA_G2));
    assert.ok(adrgList('JA1', 'anyProcedureIn', 0, '3').has(JA_G3) && adrgList('JA1', 'anyProcedureIn', 0, '4').has(JA_G4));
    assert.deepEqual(mdcOf('MDCZ').adrgs, ['ZB1', 'ZC1', 'ZD1', 'ZJ1', 'ZZ1']);
    assert.deepEqual(adrgFile.ZZ1.condition, { kind: 'noValidProcedure' });
    assert.deepEqual(adrgFile.PV1.condition, { kind: 'always' });
  });
});

describe('§4 step 1: validation, in order', () => {
  test('rule 1 sexMissing: null, absent or "" — not " ", "0" or "9"', () => {
    expect(rec({ sex: null, diagnoses: [PARKINSON] }), 'invalid_missing_sex', 'sex null');
    expect(rec({ sex: '', diagnoses: [PARKINSON] }), 'invalid_missing_sex', 'sex ""');
    const { sex: _, ...noSex } = rec({ diagnoses: [PARKINSON] });
    expect(noSex, 'invalid_missing_sex', 'sex absent');
    for (const sex of [' ', '0', '9', 'M']) expect(rec({ sex, diagnoses: [PARKINSON] }), 'MDCB BU2 BU25', `sex ${JSON.stringify(sex)} is given (not male, not female)`);
  });
  test('rule 1 comes before rules 2 and 3', () => {
    expect(rec({ sex: null, ageYears: 0, diagnoses: [] }), 'invalid_missing_sex', 'no sex, newborn without weight, no diagnosis');
  });
  test('rule 2: ageYears == 0 and ageDays ≤ 28 and weight == 0, missing numbers counting as 0', () => {
    expect(baby({ ageDays: null, birthWeightGrams: null, diagnoses: [JAUNDICE] }), 'invalid_newborn_no_weight', 'ageDays and weight null');
    expect(baby({ ageDays: 28, birthWeightGrams: 0, diagnoses: [JAUNDICE] }), 'invalid_newborn_no_weight', 'ageDays 28, weight 0');
    expect(rec({ ageYears: null, ageDays: null, birthWeightGrams: null, diagnoses: [PARKINSON] }), 'invalid_newborn_no_weight', 'no age at all counts as a 0-year-old');
    const { ageYears: _a, ageDays: _d, birthWeightGrams: _w, ...bare } = rec({ diagnoses: [PARKINSON] });
    expect(bare, 'invalid_newborn_no_weight', 'ages and weight absent');
    expect(baby({ ageDays: 29, birthWeightGrams: null, diagnoses: [JAUNDICE] }), 'MDCP PV1 PV15', 'ageDays 29: the rule does not apply; PU1 needs ageDays ≤ 28, PV1 takes it');
    expect(baby({ ageDays: 28, birthWeightGrams: 1, diagnoses: [JAUNDICE] }), 'MDCP PU1 PU15', 'a weight of 1 g is a weight');
    expect(rec({ ageYears: 1, ageDays: 0, birthWeightGrams: null, diagnoses: [PARKINSON] }), 'MDCB BU2 BU25', 'ageYears 1');
  });
  test('rule 2 comes before rule 3; rule 3: an empty diagnoses array', () => {
    expect(baby({ ageDays: null, birthWeightGrams: null, diagnoses: [] }), 'invalid_newborn_no_weight', 'newborn without weight and without diagnosis');
    expect(rec({ diagnoses: [] }), 'invalid_no_diagnosis', 'no diagnosis');
    expect(rec({ diagnoses: [''] }), 'ungroupable', 'a diagnosis "" is a diagnosis (in no list)');
  });
  test('the normalise entry: 男 → 1 and 女 → 2, after the checks', () => {
    expect(rec({ sex: '男', diagnoses: [BALANITIS] }), 'MDCM MS1 MS15', '男 is male');
    expect(rec({ sex: '女', diagnoses: [PELVIC_TB] }), 'MDCN NS1 NS19', '女 is female');
    expect(rec({ sex: '男性', diagnoses: [BALANITIS] }), 'ungroupable', '男性 is not one of the words');
  });
});

describe('§2 / §3: the record and the result', () => {
  test('the §2 example gives the §3 result', () => {
    const r = { id: 'A-1', sex: '1', ageYears: 73, ageDays: null, birthWeightGrams: null, dept: '神经内科', losDays: 8, dischargeMethod: '1', diagnoses: ['G20.x03', 'I10.x00x002', 'N39.000'], procedures: [] };
    assert.equal(JSON.stringify(groupDrg(scheme, r)), '{"id":"A-1","status":"success","mdc":"MDCB","adrg":"BU2","drg":"BU25"}');
  });
  test('codes are compared exactly: case and spaces count, no code map is applied (§1, §8)', () => {
    expect(rec({ diagnoses: ['g20.x03'] }), 'ungroupable', 'lower case');
    expect(rec({ diagnoses: ['G20.x03 '] }), 'ungroupable', 'a trailing space');
    expect(rec({ diagnoses: [PARKINSON], procedures: [' 37.5100'] }), 'MDCB BU2 BU25', 'a procedure with a leading space is not the transplant');
  });
  test('dept, losDays and dischargeMethod (death too) and ageDays of an adult change nothing (§2, §6)', () => {
    for (const more of [{ losDays: 0 }, { losDays: 365 }, { dischargeMethod: '5' }, { dept: '外科' }, { ageDays: 3 }, { ageDays: 25000 }])
      expect(rec({ diagnoses: [HEART_FAILURE, RESP_FAILURE], ...more }), 'MDCF FR2 FR21', JSON.stringify(more));
  });
});

describe('§4 steps 2–5 and §6: MDCs, fall-through, ADRGs', () => {
  test('MDCA: entered on a valid main procedure; a transplant groups there even with an unknown main diagnosis (§8)', () => {
    expect(rec({ diagnoses: [MI], procedures: [HEART_TX] }), 'MDCA AA1 AA19', 'heart transplant');
    expect(rec({ diagnoses: ['NOT-A-CODE'], procedures: [HEART_TX] }), 'MDCA AA1 AA19', 'unknown main diagnosis, transplant');
    expect(rec({ diagnoses: ['NOT-A-CODE'] }), 'ungroupable', 'unknown main diagnosis, no procedure');
    expect(rec({ diagnoses: [MI], procedures: [STENT, HEART_TX] }), 'MDCF FR1 FR19', 'the transplant as a second procedure: AA1 needs the main procedure');
  });
  test('fall-through from MDCA: a valid main procedure that is no MDCA case lands in the main diagnosis’s MDC', () => {
    expect(rec({ diagnoses: [PARKINSON], procedures: [STENT] }), 'MDCB BU2 BU25', 'valid stent, Parkinson');
    expect(rec({ diagnoses: [JAUNDICE_GAP], procedures: [STENT] }), 'ungroupable', 'enters MDCA, no ADRG, no other MDC');
  });
  test('AC1: a pancreas and a kidney transplant at any positions; one alone is AD1 / AE1', () => {
    expect(rec({ diagnoses: [DM1], procedures: [PANCREAS_TX, KIDNEY_TX] }), 'MDCA AC1 AC19', 'pancreas then kidney');
    expect(rec({ diagnoses: [DM1], procedures: [KIDNEY_TX, PANCREAS_TX] }), 'MDCA AC1 AC19', 'kidney then pancreas');
    expect(rec({ diagnoses: [DM1], procedures: [KIDNEY_TX] }), 'MDCA AE1 AE19', 'kidney alone');
    expect(rec({ diagnoses: [DM1], procedures: [PANCREAS_TX] }), 'MDCA AD1 AD19', 'pancreas alone');
    expect(rec({ diagnoses: [DM1], procedures: ['NOT-A-CODE', PANCREAS_TX] }), 'MDCK KS1 KS15', 'pancreas, not as main procedure: MDCA not entered');
  });
  test('AH1 ventilation ≥ 96 h (main procedure), split by MCC', () => {
    expect(rec({ diagnoses: [RESP_FAILURE], procedures: [VENT_96H] }), 'MDCA AH1 AH15', 'no secondary');
    expect(rec({ diagnoses: [RESP_FAILURE, 'N17.900'], procedures: [VENT_96H] }), 'MDCA AH1 AH11', 'N17.900 acute renal failure, an MCC');
    expect(rec({ diagnoses: [RESP_FAILURE], procedures: [STENT, VENT_96H] }), 'MDCE ER3 ER35', 'ventilation as a second procedure');
  });
  test('MDCP: main diagnosis in the P list and ageYears == 0 (not "under 29 days")', () => {
    expect(baby({ diagnoses: [JAUNDICE] }), 'MDCP PU1 PU15', '10 days');
    expect(baby({ ageDays: 200, diagnoses: [JAUNDICE] }), 'MDCP PV1 PV15', '200 days, still ageYears 0: MDCP, PU1 needs ≤ 28 days, PV1');
    expect(rec({ ageYears: 1, ageDays: 400, birthWeightGrams: 3000, diagnoses: [JAUNDICE] }), 'ungroupable', 'ageYears 1: not MDCP, and the code opens nothing else');
    expect(baby({ diagnoses: [JAUNDICE_GAP] }), 'ungroupable', 'P59.900 is in no entry list (its siblings are)');
  });
  test('PK1 (main procedure, ageDays ≤ 28, null passes): a procedure that is not valid matches its list', () => {
    expect(baby({ diagnoses: [JAUNDICE], procedures: [NEO_VENT] }), 'MDCP PK1 PK15', '10 days');
    expect(baby({ ageDays: null, diagnoses: [JAUNDICE], procedures: [NEO_VENT] }), 'MDCP PK1 PK15', 'ageDays null counts as 0');
    expect(baby({ ageDays: 29, diagnoses: [JAUNDICE], procedures: [NEO_VENT] }), 'MDCP PV1 PV15', '29 days');
  });
  test('PS1–PS4: a preterm code anywhere, ageDays ≤ 28, weight > 0 in lower-inclusive bands', () => {
    const bands: [number, string][] = [[1, 'PS1 PS15'], [1499, 'PS1 PS15'], [1500, 'PS2 PS25'], [1999, 'PS2 PS25'], [2000, 'PS3 PS39'], [2499, 'PS3 PS39'], [2500, 'PS4 PS45'], [4200, 'PS4 PS45']];
    for (const [w, g] of bands) expect(baby({ ageDays: 3, birthWeightGrams: w, diagnoses: [PRETERM] }), `MDCP ${g}`, `${w} g`);
    // preterm as a secondary diagnosis: also a CC for the jaundice main diagnosis (PS2 / PS3 have no CC split)
    assert.equal(ccFile[PRETERM] !== undefined && ccFile[PRETERM] !== cceFile[JAUNDICE], true);
    expect(baby({ ageDays: 3, birthWeightGrams: 1400, diagnoses: [JAUNDICE, PRETERM] }), 'MDCP PS1 PS13', 'preterm at position 1');
    expect(baby({ ageDays: 3, birthWeightGrams: 2600, diagnoses: [JAUNDICE, PRETERM] }), 'MDCP PS4 PS43', 'preterm at position 1, ≥ 2500 g');
    expect(baby({ ageDays: null, birthWeightGrams: 1400, diagnoses: [PRETERM] }), 'MDCP PS1 PS15', 'ageDays null passes ≤ 28');
    expect(baby({ ageDays: 29, birthWeightGrams: 1400, diagnoses: [PRETERM] }), 'MDCP PV1 PV15', '29 days');
    expect(baby({ ageDays: 29, birthWeightGrams: 0, diagnoses: [PRETERM] }), 'MDCP PV1 PV15', 'weight 0 after 28 days: valid, but no PS band');
  });
  test('MDCY: YC1 needs an HIV diagnosis anywhere and a valid main procedure, else YR1', () => {
    expect(rec({ diagnoses: [HIV], procedures: [STENT] }), 'MDCY YC1 YC15', 'valid main procedure');
    expect(rec({ diagnoses: [HIV] }), 'MDCY YR1 YR15', 'no procedure');
    expect(rec({ diagnoses: [HIV], procedures: ['NOT-A-CODE', STENT] }), 'MDCY YR1 YR15', 'the valid procedure second');
  });
  test('MDCZ: main in the list and ≥ 2 regions; ZZ1 only without any valid procedure, else fall-through', () => {
    expect(rec({ diagnoses: [HEAD, CHEST] }), 'MDCZ ZZ1 ZZ15', 'head and chest, no procedure');
    expect(rec({ diagnoses: [HEAD, HEAD_2] }), 'MDCB BY1 BY15', 'one region twice: not MDCZ');
    expect(rec({ diagnoses: [HEAD, CHEST], procedures: [HEMATOMA_DRAIN] }), 'MDCZ ZB1 ZB19', 'ZB1 by main procedure');
    expect(rec({ diagnoses: [HEAD, CHEST], procedures: [STENT] }), 'MDCB BY1 BY13', 'a valid procedure outside ZB1–ZJ1: leaves MDCZ (chest wound a CC)');
    expect(rec({ diagnoses: [HEAD, CHEST], procedures: [NEO_VENT, HEMATOMA_DRAIN] }), 'MDCB BY1 BY13', 'the drain second: not ZB1, and a valid procedure: not ZZ1');
    expect(rec({ diagnoses: [HEAD, CHEST], procedures: [NEO_VENT] }), 'MDCZ ZZ1 ZZ15', 'only a procedure that is not valid: ZZ1');
  });
  test('sex: MDCM needs 1, MDCN needs 2; the other sex falls through (here to ungroupable)', () => {
    expect(rec({ sex: '1', diagnoses: [BALANITIS] }), 'MDCM MS1 MS15', 'male');
    expect(rec({ sex: '2', diagnoses: [BALANITIS] }), 'ungroupable', 'female with a male-only diagnosis');
    expect(rec({ sex: '2', diagnoses: [PELVIC_TB] }), 'MDCN NS1 NS19', 'female');
    expect(rec({ sex: '1', diagnoses: [PELVIC_TB] }), 'ungroupable', 'male with a female-only diagnosis');
  });
  test('JA1 combined surgery: groups 1+2 or 1+3+4, at any positions; else JB1', () => {
    const w = (procedures: string[]) => rec({ sex: '2', diagnoses: [BREAST_CA], procedures });
    expect(w([JA_G1, JA_G2]), 'MDCJ JA1 JA19', '1+2');
    expect(w([JA_G2, JA_G1]), 'MDCJ JA1 JA19', '2+1');
    expect(w([JA_G4, JA_G3, JA_G1]), 'MDCJ JA1 JA19', '4+3+1');
    expect(w([JA_G1, JA_G3]), 'MDCJ JB1 JB19', '1+3 without 4');
    expect(w([JA_G1]), 'MDCJ JB1 JB19', '1 alone');
  });
  test('FB1 double procedure: a valve and a coronary procedure at any positions; one alone is FB2 / FM2', () => {
    expect(rec({ diagnoses: [MI], procedures: [VALVE, PTCA] }), 'MDCF FB1 FB19', 'valve then PTCA');
    expect(rec({ diagnoses: [MI], procedures: [PTCA, VALVE] }), 'MDCF FB1 FB19', 'PTCA then valve');
    expect(rec({ diagnoses: [MI], procedures: [VALVE] }), 'MDCF FB2 FB25', 'valve alone');
    expect(rec({ diagnoses: [MI], procedures: [PTCA] }), 'MDCF FM2 FM29', 'PTCA alone');
  });
  test('a code that opens an MDC with no catch-all, or no MDC at all: ungroupable without a matching procedure', () => {
    expect(rec({ diagnoses: [APPENDICITIS] }), 'ungroupable', 'K35.800 in no entry list');
    expect(rec({ diagnoses: [APPENDICITIS], procedures: ['47.0901'] }), 'ungroupable', 'appendectomy: valid, enters MDCA, no MDCA ADRG, no other MDC');
  });
  test('no result is an ambiguity group (xQY): the disabled rules are not applied', () => {
    assert.ok(mdcFile.every((m) => (m.disabledRules ?? []).every((d: any) => d.enabled === false && /QY$/.test(d.code))));
    for (const p of [STENT, HEART_TX, VENT_96H, HEMATOMA_DRAIN]) for (const d of [PARKINSON, PNEUMONIA, MI, HIV]) assert.doesNotMatch(groupDrg(scheme, rec({ diagnoses: [d], procedures: [p] })).drg ?? '', /QY/);
  });
});

describe('§4.1: MCC, CC and the exclusion table', () => {
  test('MCC / CC / noCC (ES3): an MCC gives 1, a CC 3, neither 5', () => {
    expect(rec({ diagnoses: [PNEUMONIA] }), 'MDCE ES3 ES35', 'no secondary');
    expect(rec({ diagnoses: [PNEUMONIA, HYPONATRAEMIA] }), 'MDCE ES3 ES33', 'a CC');
    expect(rec({ diagnoses: [PNEUMONIA, RESP_FAILURE] }), 'MDCE ES3 ES31', 'an MCC');
    expect(rec({ diagnoses: [PNEUMONIA, HYPONATRAEMIA, RESP_FAILURE] }), 'MDCE ES3 ES31', 'both: MCC first');
    expect(rec({ diagnoses: [HYPONATRAEMIA, PNEUMONIA] }), 'ungroupable', 'order matters: E87.100 as main opens no MDC');
  });
  test('MCC / noCC (BU2): a CC alone gives 5', () => {
    expect(rec({ diagnoses: [PARKINSON, PNEUMONIA] }), 'MDCB BU2 BU25', 'a CC');
    expect(rec({ diagnoses: [PARKINSON, RESP_FAILURE] }), 'MDCB BU2 BU21', 'an MCC');
  });
  test('CC / noCC (EX1): an MCC counts as a CC, giving 3', () => {
    expect(rec({ diagnoses: [ASTHMA] }), 'MDCE EX1 EX15', 'none');
    expect(rec({ diagnoses: [ASTHMA, HYPONATRAEMIA] }), 'MDCE EX1 EX13', 'a CC');
    expect(rec({ diagnoses: [ASTHMA, RESP_FAILURE] }), 'MDCE EX1 EX13', 'an MCC');
  });
  test('the exclusion table: a secondary whose table is the main diagnosis’s does not count', () => {
    expect(rec({ diagnoses: [PARKINSON, DRUG_PARKINSON] }), 'MDCB BU2 BU25', 'G21.100 (MCC, table 66) under G20.x03 (table 66)');
    expect(rec({ diagnoses: [PARKINSON, DRUG_PARKINSON, RESP_FAILURE] }), 'MDCB BU2 BU21', 'another MCC still counts');
    expect(rec({ diagnoses: [PNEUMONIA, PNEUMONIA] }), 'MDCE ES3 ES35', 'the main diagnosis repeated: a CC of table 101 under table 101, excluded');
    expect(rec({ diagnoses: [HEART_FAILURE, DRUG_PARKINSON] }), 'MDCF FR2 FR21', 'the same MCC under another main diagnosis counts');
  });
  test('the explanation names the excluded secondary and the table', () => {
    const e = groupDrgExplained(scheme, rec({ diagnoses: [PARKINSON, DRUG_PARKINSON, PNEUMONIA] }));
    const last = e.explanation.steps.at(-1)!;
    assert.equal(last.code, 'BU25');
    assert.match(last.explain, /exclusion table 66 of the main diagnosis G20\.x03 .* removes G21\.100 .*\(MCC, secondary 1\)/);
    assert.match(last.explain, /J18\.900 肺炎 \(CC, secondary 2\) counts, but not for a higher group/);
  });
  test('the explanation of a fall-through names the ADRGs not tried and why', () => {
    const e = groupDrgExplained(scheme, rec({ diagnoses: [HEAD, CHEST], procedures: [STENT] }));
    const z = e.explanation.steps.find((s) => s.code === 'MDCZ')!;
    assert.equal(z.outcome, 'fell_through');
    assert.deepEqual(z.tried!.map((t) => t.code), ['ZZ1']);
    assert.match(z.explain, /ZB1, ZC1, ZD1, ZJ1/);
    assert.match(z.explain, /on to the next MDC/);
  });
});

// ---- yibao drg group against §2 / §3 ----
const bin = join(import.meta.dirname, '..', 'bin', 'yibao.js');
const run = (args: string[], input?: string) => spawnSync(process.execPath, [bin, 'drg', 'group', '--no-progress', ...args], { input, encoding: 'utf8', timeout: 120_000 });
const dir = mkdtempSync(join(tmpdir(), 'yibao-drg-readme-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('yibao drg group: §2 records in, §3 results out', () => {
  test('one §3 line per record, in order, field for field; every status', () => {
    const input = [
      '{"id":"A-1","sex":"1","ageYears":73,"ageDays":null,"birthWeightGrams":null,"dept":"神经内科","losDays":8,"dischargeMethod":"1","diagnoses":["G20.x03","I10.x00x002","N39.000"],"procedures":[]}',
      '{"id":"U","sex":"1","ageYears":40,"diagnoses":["P59.900"]}',
      '{"id":"S","sex":"","ageYears":40,"diagnoses":["G20.x03"]}',
      '{"id":"W","sex":"2","ageYears":0,"ageDays":5,"diagnoses":["P59.901"]}',
      '{"id":"D","sex":"2","ageYears":40,"diagnoses":[]}',
      '{"sex":"男","ageYears":"40","diagnoses":["A06.800x004+N51.2*"]}',
    ].join('\r\n');
    const r = run([], `\uFEFF${input}\r\n`);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.split('\n'), [
      '{"id":"A-1","status":"success","mdc":"MDCB","adrg":"BU2","drg":"BU25"}',
      '{"id":"U","status":"ungroupable","mdc":null,"adrg":null,"drg":null}',
      '{"id":"S","status":"invalid_missing_sex","mdc":null,"adrg":null,"drg":null}',
      '{"id":"W","status":"invalid_newborn_no_weight","mdc":null,"adrg":null,"drg":null}',
      '{"id":"D","status":"invalid_no_diagnosis","mdc":null,"adrg":null,"drg":null}',
      '{"id":null,"status":"success","mdc":"MDCM","adrg":"MS1","drg":"MS15"}',
      '',
    ]);
    assert.match(r.stderr, /^6 records: 2 grouped, 1 ungroupable, 3 invalid \(invalid_missing_sex 1, invalid_newborn_no_weight 1, invalid_no_diagnosis 1\), 0 bad rows/);
  });
  test('bad records are named by line and field on standard error, the rest grouped; exit 1', () => {
    const input = ['{"id":"ok","sex":"1","ageYears":73,"diagnoses":["G20.x03"]}', '', '{"id":"f","sex":"1","ageYears":7.5,"diagnoses":["G20.x03"]}', '{"id":"g","sex":"1","ageYears":7,"diagnoses":"G20.x03"}', '[1]'].join('\n');
    const r = run([], input);
    assert.equal(r.status, 1);
    assert.deepEqual(r.stdout.trimEnd().split('\n'), ['{"id":"ok","status":"success","mdc":"MDCB","adrg":"BU2","drg":"BU25"}']);
    assert.match(r.stderr, /line 3: ageYears: /);
    assert.match(r.stderr, /line 4: diagnoses: /);
    assert.match(r.stderr, /line 5: \(record\): /);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });
  test('CSV with the 病案首页 headings in, CSV out with Chinese headings', () => {
    const csv = [
      '病案号,性别,年龄（岁）,（年龄不足1周岁的）年龄（天）,新生儿出生体重（克）,主要诊断编码,其他诊断编码,主要手术操作编码,其他手术操作编码,实际住院天数,离院方式,出院科别',
      'A-1,男,73,,,G20.x03,I10.x00x002；N39.000,,,8,1,神经内科',
      'P,女,0,3,1400,P59.901,P07.300,,,20,1,新生儿科',
      'Z,1,30,,,S01.800x011,S21.100x002,00.5500,,12,1,神经外科',
      'N,1,0,,,P59.901,,,,2,1,新生儿科',
    ].join('\n');
    writeFileSync(join(dir, 'in.csv'), csv);
    const out = join(dir, 'out.csv');
    const r = run(['--file', join(dir, 'in.csv'), '-o', out]);
    assert.equal(r.status, 0, r.stderr);
    const rows = readFileSync(out, 'utf8').replace(/^\uFEFF/, '').trimEnd().split(/\r?\n/);
    assert.equal(rows[0], '行号,病案号,状态,状态说明,MDC,MDC名称,ADRG,ADRG名称,DRG,DRG名称,错误');
    const cols = rows.slice(1).map((l) => l.split(','));
    assert.deepEqual(cols.map((c) => [c[0], c[1], c[2], c[4], c[6], c[8]]), [
      ['2', 'A-1', 'success', 'MDCB', 'BU2', 'BU25'],
      ['3', 'P', 'success', 'MDCP', 'PS1', 'PS13'],
      ['4', 'Z', 'success', 'MDCB', 'BY1', 'BY13'],
      ['5', 'N', 'invalid_newborn_no_weight', '', '', ''],
    ]);
    assert.equal(cols[3][3], '信息校验不通过：新生儿的出生体重必须有值');
  });
});
