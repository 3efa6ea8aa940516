/**
 * The policy-pack loader: small packs written into a temporary policy folder (with the real
 * regions.yaml and sources/, which PolicyLibrary.load reads from the folder it is given), each
 * wrong in one way, must be refused with a PackError whose problems name the file, the path in
 * it and what is wrong. And the shipped policies/ folder loads with no problem at all.
 */
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PolicyLibrary, ancestorsOf, DEFAULT_POLICY_DIR } from '../src/policy/loader.js';
import { PackError, type PackProblem } from '../src/policy/errors.js';
import { QuoteService } from '../src/quotes/quote-service.js';
import { packWarnings } from '../src/policy/checks.js';

const made: string[] = [];
after(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

/** A policy folder with the real regions and notices, and the given pack files ("000000/2022.yaml"). */
function policyDir(packs: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'yibao-packs-'));
  made.push(dir);
  cpSync(join(DEFAULT_POLICY_DIR, 'regions.yaml'), join(dir, 'regions.yaml'));
  cpSync(join(DEFAULT_POLICY_DIR, 'sources'), join(dir, 'sources'), { recursive: true });
  for (const [file, text] of Object.entries(packs)) {
    mkdirSync(join(dir, dirname(file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  return dir;
}

/** The problems loading `dir` reports; fails when it loads. */
function problemsOf(dir: string): PackProblem[] {
  try {
    PolicyLibrary.load(dir);
  } catch (e) {
    assert.ok(e instanceof PackError, `expected a PackError, got ${(e as Error).name}: ${(e as Error).message}`);
    for (const p of e.problems) assert.ok(e.message.includes(`${p.file}: ${p.path}: ${p.message}`), 'the error message lists every problem as file: path: message');
    return e.problems;
  }
  assert.fail(`the packs in ${dir} loaded, but should have been refused`);
}

/** Exactly these problems (file and path equal, message matching). */
function assertProblems(dir: string, expected: { file: string; path: string; message: RegExp | string }[]): void {
  const got = problemsOf(dir);
  const show = got.map((p) => `${p.file}: ${p.path}: ${p.message}`).join('\n');
  assert.equal(got.length, expected.length, `expected ${expected.length} problem(s), got:\n${show}`);
  expected.forEach((e, i) => {
    assert.equal(got[i].file, e.file, show);
    assert.equal(got[i].path, e.path, show);
    if (typeof e.message === 'string') assert.equal(got[i].message, e.message, show);
    else assert.match(got[i].message, e.message, show);
  });
}

const HEADER = (region: string, year: number, extra = ''): string => `pack: 1\nregion: "${region}"\nyear: ${year}\nname: test ${region}/${year}\n${extra}params:\n`;

/** A national 2022 pack complete enough to quote from; `more` adds params (indented YAML). */
const NATIONAL_2022 = (more = ''): string =>
  HEADER('000000', 2022, 'documents: [医保发〔2022〕20号]\n') +
  `  contribution.default:
    value: 350
    cite: 医保发〔2022〕20号 一
    quote: 同步提高个人缴费标准30元，达到每人每年350元
  fiscalSubsidy.perCapita:
    value: 610
    cite: 医保发〔2022〕20号 一
    quote: 人均财政补助标准新增30元，达到每人每年不低于610元
  enrollment.window:
    value: { from: 2021-09-01, to: 2021-12-31 }
    example: test window
  rules.acceptance.window:
    value: { when: { paid: in_window }, then: { accept: window } }
    example: test rule
` + more;

describe('policy loader', () => {
  test('the shipped policies/ folder loads with no problem', () => {
    let lib: PolicyLibrary;
    try {
      lib = PolicyLibrary.load();
    } catch (e) {
      if (e instanceof PackError) assert.fail(`policies/ has ${e.problems.length} problem(s):\n${e.message}`);
      throw e;
    }
    for (const id of ['000000/2022', '000000/2023', '370000/2022', '370000/2023', '450000/2022', '450000/2023', '500000/2022', '500000/2023', '500230/2022', '660000/2022', '660000/2023'])
      assert.ok(lib.hasPack(id), `pack ${id} is missing`);
    for (const id of lib.packIds()) assert.equal(lib.resolve(id).id, id);
    assert.equal(lib.documents.size, 6);
  });

  test('a minimal valid pack loads', () => {
    const lib = PolicyLibrary.load(policyDir({ '000000/2022.yaml': NATIONAL_2022() }));
    assert.deepEqual(lib.packIds(), ['000000/2022']);
    assert.equal(lib.resolve('000000/2022').params.get('contribution.default')?.value, 350);
  });

  test('a value with neither cite nor example', () => {
    const dir = policyDir({ '000000/2022.yaml': NATIONAL_2022('  fiscalSubsidy.centralShare.west:\n    value: 80%\n') });
    assertProblems(dir, [
      { file: '000000/2022.yaml', path: 'params.fiscalSubsidy.centralShare.west', message: 'has neither a citation (cite) nor an example mark (example: why this value)' },
    ]);
  });

  test('a quote that is not in the cited document', () => {
    const dir = policyDir({
      '000000/2022.yaml': NATIONAL_2022(`  fiscalSubsidy.centralShare.west:
    value: 80%
    cite: 医保发〔2022〕20号 一
    quote: 对西部地区按照人均财政补助标准80%的比例给予补助
`),
    });
    assertProblems(dir, [
      { file: '000000/2022.yaml', path: 'params.fiscalSubsidy.centralShare.west.quote', message: 'the quoted sentence is not in 医保发〔2022〕20号 (001_ac53dd4bf0088cab.txt)' },
    ]);
  });

  test('a citation of a document that is not loaded, and a citation without its sentence', () => {
    const dir = policyDir({
      '000000/2022.yaml': NATIONAL_2022(`  fiscalSubsidy.centralShare.west:
    value: 80%
    cite: 财社〔2022〕1号 一
    quote: 对西部、中部地区分别按照人均财政补助标准80%、60%的比例给予补助
  fiscalSubsidy.centralShare.central:
    value: 60%
    cite: 医保发〔2022〕20号 一
`),
    });
    assertProblems(dir, [
      { file: '000000/2022.yaml', path: 'params.fiscalSubsidy.centralShare.west.cite', message: '"财社〔2022〕1号 一" does not name a document in sources/index.yaml' },
      { file: '000000/2022.yaml', path: 'params.fiscalSubsidy.centralShare.central.quote', message: 'a cited value needs the sentence it comes from (quote)' },
    ]);
  });

  test("a citation of a notice the pack's documents do not list (a pack cites only what applies to its area)", () => {
    const dir = policyDir({
      '000000/2022.yaml': NATIONAL_2022(`  risk.screen.FR06:
    value: { name: 透析频次异常, explain: 同一参保人一周内的血液透析次数超过合理频次。, behaviour: '2', severity: '2', params: { itemPrefixes: ['311000006'], maxPerWeek: 3 } }
    cite: 鲁医保发〔2022〕24号 八
    quote: 着力查处血液透析、高值医用耗材、基因检测、异地就医等领域突出问题
    example: 示例参数。
`),
    });
    assertProblems(dir, [
      { file: '000000/2022.yaml', path: 'params.risk.screen.FR06.cite', message: "cites 鲁医保发〔2022〕24号, which the pack's documents do not list (a pack cites only the notices that apply to its area)" },
    ]);
  });

  test('an unknown parameter key', () => {
    const dir = policyDir({ '000000/2022.yaml': NATIONAL_2022('  contribution.elderly:\n    value: 300\n    example: no such kind\n') });
    assertProblems(dir, [
      { file: '000000/2022.yaml', path: 'params.contribution.elderly', message: 'unknown parameter (see src/policy/schema.ts for the parameter families)' },
    ]);
  });

  test('a value of the wrong form names the path inside the value', () => {
    const dir = policyDir({
      '000000/2022.yaml': NATIONAL_2022(`  fiscalSubsidy.split.some_county:
    value: [{ level: central, amount: 488.005 }, { level: county, amount: 122 }]
    example: test
`),
    });
    assertProblems(dir, [{ file: '000000/2022.yaml', path: 'params.fiscalSubsidy.split.some_county.value[0].amount', message: /not a yuan amount with at most two decimals: 488\.005/ }]);
  });

  test('a pack extending another year must restate every year-specific value', () => {
    const child = (params: string): string => HEADER('500000', 2023, 'extends: "000000/2022"\ndocuments: [渝医保发〔2022〕25号]\n') + params;
    const tiers = `  tiers:
    value: [tier1, tier2]
    cite: 渝医保发〔2022〕25号 一
    quote: 参加我市2023年度居民医保个人缴费标准为一档350元/人·年、二档725元/人·年
`;
    const dir = policyDir({ '000000/2022.yaml': NATIONAL_2022(), '500000/2023.yaml': child(tiers) });
    const restate = (key: string): { file: string; path: string; message: string } => ({
      file: '500000/2023.yaml',
      path: `params.${key}`,
      message: 'inherited from 000000/2022 (another coverage year); a year-specific value must be restated for 2023, with its citation or an example mark',
    });
    assertProblems(dir, [restate('contribution.default'), restate('fiscalSubsidy.perCapita'), restate('enrollment.window'), restate('rules.acceptance.window')]);

    const restated = child(
      tiers +
        `  contribution.default:
    value: { tier1: 350, tier2: 725 }
    cite: 渝医保发〔2022〕25号 一
    quote: 参加我市2023年度居民医保个人缴费标准为一档350元/人·年、二档725元/人·年
  fiscalSubsidy.perCapita: { value: 610, example: 2023 figure not given }
  enrollment.window:
    value: { from: 2022-10-25, to: 2022-12-31 }
    cite: 渝医保发〔2022〕25号 一
    quote: 集中参保期为文件下发之日起至2022年12月31日
  rules.acceptance.window:
    value: { when: { paid: in_window }, then: { accept: window } }
    cite: 渝医保发〔2022〕25号 一
    quote: 集中参保期为文件下发之日起至2022年12月31日
`,
    );
    const lib = PolicyLibrary.load(policyDir({ '000000/2022.yaml': NATIONAL_2022(), '500000/2023.yaml': restated }));
    assert.deepEqual(lib.resolve('500000/2023').chain, ['500000/2023', '000000/2022']);
  });

  test('a subsidy split that does not add up to the per-capita subsidy', () => {
    const dir = policyDir({
      '000000/2022.yaml': NATIONAL_2022(),
      '450000/2022.yaml':
        HEADER('450000', 2022, 'documents: [桂医保发〔2022〕30号]\n') +
        `  fiscalSubsidy.split.poverty_exited_county:
    value:
      - { level: central, amount: 488 }
      - { level: provincial, amount: 91.5 }
      - { level: county, amount: 30 }
    cite: 桂医保发〔2022〕30号 一(二)
    quote: 自治区财政对脱贫县(市、区)补助91.5元/人·年,脱贫县(市、区)财政负担30.5元/人·年
`,
    });
    assertProblems(dir, [{ file: '450000/2022.yaml', path: 'params.fiscalSubsidy.split.poverty_exited_county', message: 'shares add up to 609.5 yuan, not the per-capita subsidy 610' }]);
  });

  test('two rules claiming the same case without exceptionTo are a conflict; exceptionTo resolves it', () => {
    const cutoff = (exceptionTo: string): string => `  rules.acceptance.cutoff:
    value:
      when: { paidAfter: 2021-11-30 }
      then: { refuse: AFTER_FINAL_DEADLINE }
${exceptionTo}    example: test rule
`;
    assertProblems(policyDir({ '000000/2022.yaml': NATIONAL_2022(cutoff('')) }), [
      {
        file: '000000/2022.yaml',
        path: 'params.rules.acceptance',
        message: 'rules "window" and "cutoff" can both apply to the same case with different outcomes, and neither is declared the exception (exceptionTo) of the other',
      },
    ]);
    assertProblems(policyDir({ '000000/2022.yaml': NATIONAL_2022(cutoff('      exceptionTo: [windows]\n')) }), [
      { file: '000000/2022.yaml', path: 'params.rules.acceptance.cutoff.value.exceptionTo', message: 'names rule "windows", which group acceptance of 000000/2022 does not have' },
      { file: '000000/2022.yaml', path: 'params.rules.acceptance', message: /^rules "window" and "cutoff" can both apply/ },
    ]);

    const dir = policyDir({ '000000/2022.yaml': NATIONAL_2022(cutoff('      exceptionTo: [window]\n')) });
    const service = QuoteService.load(dir);
    const person = { birthDate: '1980-01-01', kind: 'adult' };
    assert.equal(service.contribution({ region: '000000', coverageYear: 2022, person, paidOn: '2021-11-30' }).accepted, true);
    const refused = service.contribution({ region: '000000', coverageYear: 2022, person, paidOn: '2021-12-01' });
    assert.equal(refused.accepted, false, 'the exception wins where both rules apply');
    assert.equal(refused.reason?.code, 'AFTER_FINAL_DEADLINE');
  });

  test('rules with disjoint conditions need no exceptionTo', () => {
    const dir = policyDir({
      '000000/2022.yaml': NATIONAL_2022(`  rules.acceptance.late:
    value: { when: { paid: after_window, paidOnOrBefore: 2022-06-30 }, then: { accept: late } }
    example: test
  rules.acceptance.too_late:
    value: { when: { paidAfter: 2022-06-30 }, then: { refuse: AFTER_FINAL_DEADLINE } }
    example: test
  rules.assistance.minor:
    value: { when: { status: [dibao_edge], ageBelow: 18 }, then: { assist: { rate: 60%, of: own_standard } } }
    example: test
  rules.assistance.elderly:
    value: { when: { status: [dibao_edge], ageAtLeast: 60 }, then: { assist: { full: true } } }
    example: test
`),
    });
    assert.doesNotThrow(() => PolicyLibrary.load(dir));
  });

  test('rules on different statuses outside the assistance group are a conflict: a person may hold both (脱贫不稳定户 → 监测对象)', () => {
    const dir = policyDir({
      '000000/2022.yaml': NATIONAL_2022(`  rules.acceptance.late:
    value: { when: { paid: after_window }, then: { accept: late } }
    example: test
  rules.benefitStart.monitored:
    value: { when: { status: [monitored], paid: after_window }, then: { start: payment_date } }
    example: test
  rules.benefitStart.unstable:
    value: { when: { status: [unstable_exited], paid: after_window }, then: { start: enrollment_month } }
    example: test
`),
    });
    assert.throws(
      () => PolicyLibrary.load(dir),
      (e: unknown) => e instanceof PackError && /rules "monitored" and "unstable" can both apply/.test(e.message),
    );
  });

  test('a file that is not YAML, and a pack stored under the wrong path', () => {
    assertProblems(policyDir({ '000000/2022.yaml': 'pack: 1\nregion: "000000\n' }), [{ file: '000000/2022.yaml', path: '', message: /^not valid YAML: / }]);
    assertProblems(policyDir({ '000000/2022.yaml': NATIONAL_2022(), '500000/2022.yaml': HEADER('500230', 2022) + '  tiers: { value: [tier1, tier2], example: test }\n' }), [
      { file: '500000/2022.yaml', path: 'region', message: 'a pack for 500230/2022 must live at 500230/2022.yaml' },
    ]);
  });

  test('a county without its own pack is governed by its parent’s', () => {
    const lib = PolicyLibrary.load();
    assert.deepEqual(ancestorsOf('500230'), ['500230', '500200', '500000', '000000']);
    assert.equal(lib.packIdFor('500230', 2022), '500230/2022');
    assert.equal(lib.packIdFor('500230', 2023), '500000/2023');
    assert.equal(lib.packIdFor('500101', 2022), '500000/2022');
    assert.equal(lib.packIdFor('450100', 2022), '450000/2022');
    assert.equal(lib.packIdFor('370100', 2023), '370000/2023', 'Shandong 2023 has its own pack (it fell back to the national example pack before)');
    assert.equal(lib.packIdFor('500230', 2021), null);
    assert.deepEqual(lib.packFor('500230', 2023)?.chain, ['500000/2023', '000000/2023']);
    assert.deepEqual(lib.packFor('500230', 2022)?.chain, ['500230/2022', '500000/2022', '000000/2022']);
    const service = new QuoteService(lib);
    const a = service.contribution({ region: '500230', coverageYear: 2023, tier: 'tier1', person: { birthDate: '1980-01-01', kind: 'adult' } });
    assert.equal(a.pack, '500000/2023');
    assert.equal(a.regionName, '丰都县');
    assert.equal(a.standardContribution, 350);
    assert.equal(service.contribution({ region: '500101', coverageYear: 2022, tier: 'tier1', person: { birthDate: '1980-01-01', kind: 'adult' } }).pack, '500000/2022');
  });

  test('a county pack without `extends` resolves through its parents, nearest first', () => {
    const dir = policyDir({
      '000000/2022.yaml': NATIONAL_2022(),
      '500000/2022.yaml':
        HEADER('500000', 2022, 'documents: [兴义府发〔2022〕3号]\n') +
        `  contribution.default:
    value: { tier1: 320, tier2: 695 }
    cite: 兴义府发〔2022〕3号 二(二)
    quote: 2022年度全市居民医保个人缴费标准为：一档320元/人•年，二档695元/人•年。
  tiers:
    value: [tier1, tier2]
    cite: 兴义府发〔2022〕3号 二(二)
    quote: 2022年度全市居民医保个人缴费标准为：一档320元/人•年，二档695元/人•年。
`,
      '500230/2022.yaml':
        HEADER('500230', 2022, 'documents: [兴义府发〔2022〕3号]\n') +
        `  enrollment.window:
    value: { from: 2021-12-01, to: 2022-02-28 }
    cite: 兴义府发〔2022〕3号 三(一)
    quote: 集中参保缴费时间为2021年12月1日至2022年2月28日
`,
    });
    const lib = PolicyLibrary.load(dir);
    const county = lib.resolve('500230/2022');
    assert.deepEqual(county.chain, ['500230/2022', '500000/2022', '000000/2022']);
    assert.equal(county.params.get('contribution.default')?.from, '500000/2022');
    assert.equal(county.params.get('fiscalSubsidy.perCapita')?.from, '000000/2022');
    assert.equal(county.params.get('enrollment.window')?.from, '500230/2022');
    assert.equal(lib.packIdFor('500101', 2022), '500000/2022');
    assert.equal(lib.packIdFor('500230', 2023), null);
    const a = new QuoteService(lib).contribution({ region: '500230', coverageYear: 2022, tier: 'tier2', person: { birthDate: '1980-01-01', kind: 'adult' }, paidOn: '2022-01-10' });
    assert.equal(a.standardContribution, 695);
    assert.deepEqual(a.benefitPeriod, { start: '2022-01-01', end: '2022-12-31' });
  });

  test('a rule naming a group the pack does not define; shares that do not add up; a class kind list for no class', () => {
    const dir = policyDir({
      '000000/2022.yaml': NATIONAL_2022(`  rules.benefitStart.low_income:
    value: { when: { paid: after_window, status: [rural_low_income] }, then: { start: payment_date } }
    example: test rule
  population.shares:
    value: { adult: 70%, student_child: 20% }
    example: test shares
  fiscalSubsidy.classKinds.regional_university:
    value: [college_student]
    example: test kinds
`),
    });
    assertProblems(dir, [
      { file: '000000/2022.yaml', path: 'params.rules.benefitStart.low_income', message: /names the group rural_low_income, which the pack does not define: add groups\.rural_low_income/ },
      { file: '000000/2022.yaml', path: 'params.population.shares', message: 'shares add up to 70% + 20%, not 100%' },
      { file: '000000/2022.yaml', path: 'params.fiscalSubsidy.classKinds.regional_university', message: 'names subsidy class regional_university, which has no fiscalSubsidy.split.regional_university' },
    ]);
  });

  test('a group defined with its residence: members must have it', () => {
    const dir = policyDir({
      '000000/2022.yaml': NATIONAL_2022(`  rules.benefitStart.late:
    value: { when: { paid: after_window }, then: { start: { afterPaymentDays: 90 } } }
    example: test rule
  rules.benefitStart.low_income:
    value: { when: { paid: after_window, status: [rural_low_income] }, then: { start: payment_date }, exceptionTo: [late] }
    example: test rule
  rules.acceptance.late:
    value: { when: { paid: after_window }, then: { accept: late } }
    example: test rule
  groups.rural_low_income:
    value: { statuses: [dibao], residence: rural }
    example: test group
`),
    });
    const svc = new QuoteService(PolicyLibrary.load(dir));
    const q = (residence?: string, statuses = ['dibao']) =>
      svc.contribution({ region: '000000', coverageYear: 2022, person: { birthDate: '1980-01-01', kind: 'adult', statuses, ...(residence ? { residence } : {}) }, paidOn: '2022-03-01' });
    assert.equal(q('rural').waitingDays, 0);
    assert.equal(q('urban').waitingDays, 90);
    assert.equal(q(undefined).waitingDays, 0, 'no residence.whenUnknown: rural is assumed');
    assert.equal(q(undefined).warnings[0].code, 'RESIDENCE_ASSUMED');
    assert.equal(q('rural', ['destitute']).waitingDays, 90, 'a status outside the pack’s definition of the group');
  });
});

describe('pack check warnings: category standards against an average floor', () => {
  const SHANDONG = (more: string): string =>
    HEADER('370000', 2022, 'documents: [鲁医保发〔2022〕24号]\n') +
    `  contribution.average:
    value: 350
    bound: min
    cite: 鲁医保发〔2022〕24号 一
    quote: 个人缴费同步新增 30 元，达到每人每年平均不低于 350 元
` + more;

  test('the shipped packs have no warnings', () => {
    assert.deepEqual(packWarnings(PolicyLibrary.load()), []);
  });

  test('a city whose standards average below its province’s floor is warned, weighted by its population shares', () => {
    const city = (adult: number, student: number, shares: string) =>
      HEADER('370100', 2022) +
      `  contribution.adult:
    value: ${adult}
    example: test standard
  contribution.student_child:
    value: ${student}
    example: test standard
  population.shares:
    value: ${shares}
    example: test shares
`;
    const below = PolicyLibrary.load(policyDir({ '000000/2022.yaml': NATIONAL_2022(), '370000/2022.yaml': SHANDONG(''), '370100/2022.yaml': city(380, 280, '{ adult: 60%, student_child: 40% }') }));
    // 380 × 60% + 280 × 40% = 340 < 350; the province itself (default 350 from the national pack) has no shares
    assert.deepEqual(
      packWarnings(below).map((w) => [w.pack, w.path, w.message]),
      [
        ['370000/2022', 'params.population.shares', 'cannot check the category standards against the average floor 350.00 yuan (contribution.average, bound min: 370000/2022, 鲁医保发〔2022〕24号 一): the pack states no population.shares (cited or marked example)'],
        [
          '370100/2022',
          'params.contribution',
          'the category standards average 340.00 yuan (weighted by population.shares: 370100/2022, example), below the average floor 350.00 yuan (contribution.average, bound min: 370000/2022, 鲁医保发〔2022〕24号 一)',
        ],
      ],
    );
    // the same standards with more adults meet the floor: 380 × 70% + 280 × 30% = 350
    const meets = PolicyLibrary.load(
      policyDir({ '000000/2022.yaml': NATIONAL_2022(), '370000/2022.yaml': SHANDONG('  population.shares:\n    value: { adult: 100% }\n    example: test\n'), '370100/2022.yaml': city(380, 280, '{ adult: 70%, student_child: 30% }') }),
    );
    assert.deepEqual(packWarnings(meets), []);
  });

  test('tiered standards need tier shares', () => {
    const lib = PolicyLibrary.load(
      policyDir({
        '000000/2022.yaml': NATIONAL_2022(),
        '370000/2022.yaml': SHANDONG(`  tiers:
    value: [tier1, tier2]
    example: test
  contribution.default:
    value: { tier1: 300, tier2: 600 }
    example: test
  population.shares:
    value: { adult: 100% }
    example: test
`),
      }),
    );
    assert.match(packWarnings(lib)[0].message, /no population\.tierShares/);
    const withTiers = PolicyLibrary.load(
      policyDir({
        '000000/2022.yaml': NATIONAL_2022(),
        '370000/2022.yaml': SHANDONG(`  tiers:
    value: [tier1, tier2]
    example: test
  contribution.default:
    value: { tier1: 300, tier2: 600 }
    example: test
  population.shares:
    value: { adult: 100% }
    example: test
  population.tierShares:
    value: { tier1: 90%, tier2: 10% }
    example: test
`),
      }),
    );
    assert.match(packWarnings(withTiers)[0].message, /average 330\.00 yuan/);
  });
});
