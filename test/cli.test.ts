import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';

const bin = join(import.meta.dirname, '..', 'bin', 'yibao.js');
const run = (args: string[], input?: string) => spawnSync(process.execPath, [bin, ...args], { input, encoding: 'utf8', timeout: 60_000 });

const dibao = { region: '500230', coverageYear: 2022, tier: 'tier1', person: { birthDate: '1980-05-01', kind: 'adult', statuses: ['dibao'] } };

describe('CLI', () => {
  test('quote contribution reads stdin and prints the JSON answer', () => {
    const r = run(['quote', 'contribution'], JSON.stringify(dibao));
    assert.equal(r.status, 0, r.stderr);
    const a = JSON.parse(r.stdout);
    assert.equal(a.individualDue, 32);
    assert.equal(a.contributionAssistance, 288);
  });

  test('quote contribution --file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'yibao-'));
    const f = join(dir, 'req.json');
    writeFileSync(f, JSON.stringify({ ...dibao, tier: 'tier2' }));
    const r = run(['quote', 'contribution', '--file', f]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).standardContribution, 695);
  });

  for (const [name, input, field] of [
    ['bad date', JSON.stringify({ ...dibao, person: { ...dibao.person, birthDate: '1980-13-01' } }), 'person.birthDate'],
    ['unknown region', JSON.stringify({ ...dibao, region: '123456' }), 'region'],
    ['not JSON', 'hello', '(request)'],
  ] as const)
    test(`exit 2 with the field named: ${name}`, () => {
      const r = run(['quote', 'contribution'], input);
      assert.equal(r.status, 2);
      assert.match(r.stderr, new RegExp(`^error: ${field.replace(/[.()]/g, '\\$&')}:`));
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      assert.equal(r.stdout, '');
    });

  test('quote settlement (and --year) read stdin; bad input is exit 2 naming the field', () => {
    const enc = { type: 'general_outpatient', date: '2022-03-01', hospitalLevel: 'primary', costs: { total: 200, fullOwnPay: 0, overLimitSelfPay: 0, preSelfPay: 0, inScope: 200 } };
    const body = { region: '500230', coverageYear: 2022, tier: 'tier1', encounter: enc };
    const r = run(['quote', 'settlement'], JSON.stringify(body));
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).basicFund, 120);
    const y = run(['quote', 'settlement', '--year'], JSON.stringify({ ...body, encounter: undefined, encounters: [enc, enc, enc] }));
    assert.equal(y.status, 0, y.stderr);
    assert.equal(JSON.parse(y.stdout).totals.basicFund, 300, 'the cited 300-yuan tier-1 outpatient limit');
    const bad = run(['quote', 'settlement'], JSON.stringify({ ...body, encounter: { ...enc, date: 'soon' } }));
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /^error: encounter\.date:/);
  });

  test('pack show resolves through parents with citations and example marks', () => {
    const r = run(['pack', 'show', '500230', '2022']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /resolved through 500230\/2022 → 500000\/2022 → 000000\/2022/);
    assert.match(r.stdout, /contribution\.default = \{"tier1":320,"tier2":695\}/);
    assert.match(r.stdout, /示例（非政策）/);
  });

  test('pack diff 500000/2022 500000/2023 shows the new standards', () => {
    const r = run(['pack', 'diff', '500000/2022', '500000/2023', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const d = JSON.parse(r.stdout);
    const c = d.changes.find((x: { key: string }) => x.key === 'contribution.default');
    assert.deepEqual(c.to.value, { tier1: 350, tier2: 725 });
  });

  test('pack check passes on the bundled packs and fails (exit 2) on a bad folder', () => {
    assert.equal(run(['pack', 'check']).status, 0);
    const dir = mkdtempSync(join(tmpdir(), 'yibao-'));
    const r = run(['--policies', dir, 'pack', 'check']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /regions\.yaml/);
  });

  test('pack check warns where standards average below an average floor; --strict exits 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'yibao-'));
    const src = join(import.meta.dirname, '..', 'policies');
    cpSync(join(src, 'regions.yaml'), join(dir, 'regions.yaml'));
    cpSync(join(src, 'sources'), join(dir, 'sources'), { recursive: true });
    for (const id of ['000000/2022', '370000/2022']) {
      mkdirSync(join(dir, id.split('/')[0]), { recursive: true });
      cpSync(join(src, `${id}.yaml`), join(dir, `${id}.yaml`));
    }
    mkdirSync(join(dir, '370100'));
    writeFileSync(
      join(dir, '370100', '2022.yaml'),
      'pack: 1\nregion: "370100"\nyear: 2022\nname: 济南市 2022（测试）\nparams:\n  contribution.adult:\n    value: 360\n    example: test\n  contribution.student_child:\n    value: 300\n    example: test\n  population.shares:\n    value: { adult: 75%, student_child: 25% }\n    example: test\n',
    );
    const r = run(['--policies', dir, 'pack', 'check']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^warning: 370100\/2022\.yaml: params\.contribution: the category standards average 345\.00 yuan .*below the average floor 350\.00 yuan/m);
    assert.match(r.stdout, /1 warning\(s\)/);
    assert.equal(run(['--policies', dir, 'pack', 'check', '--strict']).status, 1);
    assert.match(run(['pack', 'check', '--strict']).stdout, /no warnings/);
  });

  test('pack show of a region without its own pack says whose pack it shows (text and JSON)', () => {
    const r = run(['pack', 'show', '370100', '2023']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^! 区划 370100（济南市） 在 2023 年没有本级政策包；以下为上级 370000\/2023/);
    const j = JSON.parse(run(['pack', 'show', '370100', '2023', '--json']).stdout);
    assert.equal(j.id, '370000/2023');
    assert.deepEqual(j.requested, { region: '370100', year: 2023 });
    assert.equal(j.warnings[0].code, 'PACK_OF_PARENT_REGION');
    assert.deepEqual(JSON.parse(run(['pack', 'show', '370000', '2023', '--json']).stdout).warnings, []);
  });

  test('区直高校 class for an adult: exit 2 naming subsidyClass', () => {
    const r = run(['quote', 'contribution'], JSON.stringify({ region: '450100', coverageYear: 2022, subsidyClass: 'regional_university', person: { birthDate: '1980-05-01', kind: 'adult' } }));
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^error: subsidyClass: regional_university applies only to college_student/);
    assert.equal(r.stdout, '');
  });

  test('unknown command is a usage error, exit 2', () => {
    assert.equal(run(['frobnicate']).status, 2);
  });
});

describe('assess: batch over CSV and XLSX', () => {
  const csv = [
    '编号,区划代码,待遇年度,档次,出生日期,人员类别,资助身份,缴费日期',
    '1,500230,2022,一档,1980-05-01,成年居民,低保,2022-01-10',
    '2,500230,2022,tier2,1950-02-03,adult,destitute;dibao,2022-02-01',
    '3,500230,2022,tier1,1980-02-30,adult,,2022-01-10',
    '4,500230,2022,tier1,1990-01-01,adult,,2023-09-01',
    '5,660000,2022,,2010-01-01,student_child,nonsense,',
  ].join('\n');

  test('CSV in, CSV out: good rows quoted, bad rows reported by line, exit 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'yibao-'));
    writeFileSync(join(dir, 'in.csv'), csv);
    const r = run(['assess', join(dir, 'in.csv'), '-o', join(dir, 'out.csv'), '--no-progress']);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /5 rows: 3 quoted \(1 refused/);
    assert.match(r.stderr, /line 4: birthDate:/);
    assert.match(r.stderr, /line 6: statuses:/);
    const out = readFileSync(join(dir, 'out.csv'), 'utf8').replace(/^\uFEFF/, '').trim().split('\n');
    assert.equal(out.length, 4);
    assert.match(out[1], /^2,1,是,,,500230\/2022,320,288,32,0,610,/);
    assert.match(out[3], /^5,4,否,AFTER_FINAL_DEADLINE,/);
    const errs = readFileSync(join(dir, 'out.csv.errors.csv'), 'utf8').replace(/^\uFEFF/, '').trim().split('\n');
    assert.deepEqual(errs.slice(1).map((l) => l.split(',').slice(0, 2).join(',')), ['4,birthDate', '6,statuses']);
    assert.ok(!existsSync(join(dir, 'out.csv.part')));
  });

  test('the 户籍类型 column decides 农村低收入人口; the 提示 column says what was assumed; 补征 has its column', () => {
    const dir = mkdtempSync(join(tmpdir(), 'yibao-'));
    writeFileSync(
      join(dir, 'in.csv'),
      [
        '编号,区划代码,待遇年度,档次,出生日期,人员类别,资助身份,缴费日期,户籍类型',
        'a,500230,2022,1,1980-05-01,成年居民,低保,2022-04-10,农业',
        'b,500230,2022,一档,1980-05-01,成年居民,低保,2022-04-10,非农业',
        'c,500230,2022,一档,1980-05-01,成年居民,低保,2022-04-10,',
        'd,660000,2023,,1980-05-01,成年居民,,,',
      ].join('\n'),
    );
    const r = run(['assess', join(dir, 'in.csv'), '-o', join(dir, 'out.csv'), '--no-progress']);
    assert.equal(r.status, 0, r.stderr);
    const [head, ...rows] = readFileSync(join(dir, 'out.csv'), 'utf8').replace(/^\uFEFF/, '').trim().split('\n').map((l) => l.split(','));
    const col = (name: string): number => head.findIndex((h) => h.startsWith(`${name} `));
    assert.deepEqual(rows.map((x) => x[col('等待期(天)')]), ['0', '90', '0', '0']);
    assert.deepEqual(rows.map((x) => x[col('提示')] !== ''), [false, false, true, false]);
    assert.match(rows[2][col('提示')], /未提供户籍类型/);
    assert.deepEqual(rows.map((x) => x[col('其中补征往年个人缴费(年度:元)')]), ['', '', '', '2022:30']);
  });

  test('XLSX in (date cells), XLSX out; ID numbers masked', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'yibao-'));
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('人员');
    ws.addRow(['身份证号', 'region', 'coverageYear', 'tier', 'birthDate', 'kind', 'statuses', 'paidOn']);
    ws.addRow(['500230198005011234', '500230', 2022, 'tier1', new Date(Date.UTC(1980, 4, 1)), 'adult', 'dibao', new Date(Date.UTC(2022, 0, 10))]);
    await wb.xlsx.writeFile(join(dir, 'in.xlsx'));
    const r = run(['assess', join(dir, 'in.xlsx'), '-o', join(dir, 'out.xlsx'), '--no-progress']);
    assert.equal(r.status, 0, r.stderr);
    const back = new ExcelJS.Workbook();
    await back.xlsx.readFile(join(dir, 'out.xlsx'));
    const row = back.worksheets[0].getRow(2).values as unknown[];
    assert.equal(row[2], '500***********1234');
    assert.equal(row[3], '是');
    assert.equal(Number(row[9]), 32);
  });

  test('a file without the required columns is exit 2 naming the header', () => {
    const dir = mkdtempSync(join(tmpdir(), 'yibao-'));
    writeFileSync(join(dir, 'in.csv'), 'a,b\n1,2\n');
    const r = run(['assess', join(dir, 'in.csv'), '-o', join(dir, 'out.csv')]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /error: header: no region column/);
    assert.ok(!existsSync(join(dir, 'out.csv')));
  });
});
