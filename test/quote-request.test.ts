/**
 * The quote request as users write it, and what it refuses (issue #13 items 3, 8, 11, 12): tiers and
 * residence types in their several spellings answered in one form; a subsidy class checked against
 * the kinds it applies to (区直高校: college students only) — an InputError naming `subsidyClass`,
 * which is HTTP 400 and CLI exit 2; a Guangxi quote without the class still answers what the person
 * pays. The HTTP and CLI forms of the refusals are in http.test.ts and cli.test.ts.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../src/errors.js';
import { QuoteService } from '../src/quotes/quote-service.js';
import { PERSON_KINDS } from '../src/policy/vocabulary.js';

const service = QuoteService.load();
const cq = { region: '500230', coverageYear: 2022, person: { birthDate: '1980-05-05', kind: 'adult' }, paidOn: '2022-01-10' };
const gx = { region: '450100', coverageYear: 2022, person: { birthDate: '2002-05-05', kind: 'college_student' } };

function inputError(body: unknown): InputError {
  try {
    service.contribution(body);
  } catch (e) {
    assert.ok(e instanceof InputError, `expected an InputError, got ${(e as Error).name}: ${(e as Error).message}`);
    return e;
  }
  assert.fail('the request was answered, but should have been refused');
}

describe('tiers as users write them (item 11)', () => {
  for (const [written, tier] of [
    ['tier1', 'tier1'],
    ['tier2', 'tier2'],
    [1, 'tier1'],
    [2, 'tier2'],
    ['1', 'tier1'],
    ['2', 'tier2'],
    ['一档', 'tier1'],
    ['二档', 'tier2'],
    [' 二档 ', 'tier2'],
    ['TIER1', 'tier1'],
  ] as const)
    test(`${JSON.stringify(written)} → ${tier}`, () => {
      const a = service.contribution({ ...cq, tier: written });
      assert.equal(a.tier, tier);
      assert.equal(a.standardContribution, tier === 'tier1' ? 320 : 695);
    });

  test('anything else is refused naming tier', () => {
    for (const bad of ['三档', 3, 'tier3', '', 'first']) {
      const e = inputError({ ...cq, tier: bad });
      assert.equal(e.field, 'tier');
      assert.match(e.message, /tier1 or tier2 \(also written 1, 2, 一档, 二档\)/);
    }
  });

  test('a region without tiers answers tier null', () => {
    assert.equal(service.contribution({ region: '660000', coverageYear: 2022, person: { birthDate: '1980-05-05', kind: 'adult' } }).tier, null);
  });
});

describe('residence types as users write them (item 8)', () => {
  const late = { ...cq, tier: 'tier1', person: { ...cq.person, statuses: ['dibao'] }, paidOn: '2022-04-10' };
  for (const [written, rural] of [
    ['rural', true],
    ['农业', true],
    ['农村', true],
    ['农业户口', true],
    ['urban', false],
    ['非农业', false],
    ['城镇', false],
    ['城镇户籍', false],
  ] as const)
    test(`${written}: ${rural ? 'rural — no waiting period' : 'urban — the 90-day wait'}`, () => {
      const a = service.contribution({ ...late, person: { ...late.person, residence: written } });
      assert.equal(a.waitingDays, rural ? 0 : 90);
      assert.deepEqual(a.warnings, []);
    });

  test('unknown: the pack’s assumption, and a warning naming person.residence', () => {
    const a = service.contribution(late);
    assert.equal(a.waitingDays, 0);
    assert.deepEqual(
      a.warnings.map((w) => [w.code, w.field]),
      [['RESIDENCE_ASSUMED', 'person.residence']],
    );
    assert.match(a.warnings[0].message, /按农村户籍计（示例假定）.*如为城镇户籍，则不属于农村低收入人口/);
  });

  test('anything else is refused naming person.residence', () => {
    const e = inputError({ ...late, person: { ...late.person, residence: '居民户口' } });
    assert.equal(e.field, 'person.residence');
  });
});

describe('subsidy classes checked against the kinds they apply to (item 3)', () => {
  test('区直高校 for a college student is answered', () => {
    const a = service.contribution({ ...gx, subsidyClass: 'regional_university' });
    assert.deepEqual(a.fiscalSubsidy?.shares, [
      { level: 'central', amount: 488 },
      { level: 'provincial', amount: 122 },
    ]);
  });

  for (const kind of PERSON_KINDS.filter((k) => k !== 'college_student'))
    test(`区直高校 for ${kind} is refused naming subsidyClass`, () => {
      const birth = kind === 'newborn' ? '2022-05-05' : '1990-05-05';
      const e = inputError({ ...gx, person: { birthDate: birth, kind }, subsidyClass: 'regional_university' });
      assert.equal(e.field, 'subsidyClass');
      assert.match(e.message, new RegExp(`regional_university applies only to college_student \\(在校大学生\\) \\(桂医保发〔2022〕30号 一\\(二\\)\\); this person is ${kind}`));
    });

  test('2023 too; and a place class applies to every kind', () => {
    assert.equal(inputError({ ...gx, coverageYear: 2023, person: { birthDate: '1980-05-05', kind: 'adult' }, subsidyClass: 'regional_university' }).field, 'subsidyClass');
    for (const kind of PERSON_KINDS) {
      const birth = kind === 'newborn' ? '2022-05-05' : '1990-05-05';
      assert.equal(service.contribution({ ...gx, person: { birthDate: birth, kind }, subsidyClass: 'prefecture_city' }).fiscalSubsidy?.total, 610);
    }
  });
});

describe('without the subsidy class, a Guangxi quote answers what the person pays (item 12)', () => {
  test('standard, assistance, due and benefit period; the split null; a warning naming subsidyClass', () => {
    const body = { region: '451000', coverageYear: 2022, person: { birthDate: '1950-05-05', kind: 'adult', statuses: ['destitute'], residence: 'rural' }, paidOn: '2022-04-18' };
    const without = service.contribution(body);
    const withClass = service.contribution({ ...body, subsidyClass: 'poverty_exited_county' });
    for (const k of ['standardContribution', 'contributionAssistance', 'individualDue', 'benefitPeriod', 'waitingDays'] as const) assert.deepEqual(without[k], withClass[k], k);
    assert.deepEqual(without.fiscalSubsidy, { total: 610, shares: null });
    assert.deepEqual(
      without.warnings.map((w) => w.field),
      ['region', 'subsidyClass'],
    );
    assert.ok(without.trace.some((s) => s.step === 'fiscalSubsidy.shares' && s.value === null));
  });

  test('a late payer bears the subsidy himself: no split is needed, no warning', () => {
    // Guangxi has no 06-30 rule; the national example grants the subsidy all year: use a Chongqing late payer instead
    const a = service.contribution({ ...cq, tier: 'tier1', paidOn: '2022-07-01' });
    assert.equal(a.fiscalSubsidy, null);
    assert.ok(!a.warnings.some((w) => w.code === 'SUBSIDY_CLASS_MISSING'));
  });

  test('a class the pack does not know is still refused', () => {
    assert.equal(inputError({ ...gx, subsidyClass: 'nowhere' }).field, 'subsidyClass');
  });
});
