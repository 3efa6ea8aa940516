/**
 * Property tests (fast-check): random persons over every region with a pack, every coverage year,
 * tier, subsidy class, kind, status set and date; the quote API must answer each valid request and
 * keep its invariants. Plus the money and date primitives against independent references.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { QuoteService } from '../src/quotes/quote-service.js';
import { contributionAnswerSchema, type ContributionAnswer, type ContributionRequest } from '../src/quotes/contribution-request.js';
import { NEEDY_STATUSES, PERSON_KINDS, REFUSAL_CODES, RESIDENCE_ALIASES, TIER_ALIASES } from '../src/policy/vocabulary.js';
import { applyRate, fenToYuan, formatYuan, parseRate, yuanToFen } from '../src/money.js';
import { addMonths, ageOn, dayOf, daysInMonth, formatDay, isLeap, parseDay, ymd } from '../src/dates.js';

const service = QuoteService.load();
const lib = service.lib;
const RUNS = Number(process.env.PROPERTY_RUNS ?? 400);

// ---------------------------------------------------------------------------------------------
// Random valid requests
// ---------------------------------------------------------------------------------------------

interface Target {
  region: string;
  year: number;
  tiers: string[];
  classes: string[];
}

/** Every region × coverage year a pack governs, with what a request must then name. */
const targets: Target[] = [];
for (const region of [...lib.regions.keys()].sort())
  for (const year of lib.years()) {
    const id = lib.packIdFor(region, year);
    if (!id) continue;
    const cp = service.compiled(id);
    targets.push({ region, year, tiers: cp.tiers.slice(), classes: [...cp.splits.keys()] });
  }

const iso = (d: number): string => formatDay(d);
const dayIn = (from: number, to: number): fc.Arbitrary<number> => fc.integer({ min: from, max: to });

/** A day near the interesting dates of a coverage year: windows, 06-30, 09-30, year ends. */
function dayAround(year: number): fc.Arbitrary<number> {
  const anchors = [
    dayOf(year - 1, 9, 1),
    dayOf(year - 1, 10, 25),
    dayOf(year - 1, 12, 1),
    dayOf(year - 1, 12, 31),
    dayOf(year, 1, 1),
    dayOf(year, 2, 28),
    dayOf(year, 3, 1),
    dayOf(year, 6, 30),
    dayOf(year, 9, 1),
    dayOf(year, 9, 30),
    dayOf(year, 11, 30),
    dayOf(year, 12, 31),
  ];
  return fc.oneof(
    dayIn(dayOf(year - 1, 6, 1), dayOf(year + 1, 3, 31)),
    fc.tuple(fc.constantFrom(...anchors), fc.integer({ min: -2, max: 2 })).map(([a, d]) => a + d),
  );
}

/** Random valid requests over the given targets and person kinds. */
const requestArbOf = (over: Target[], kinds: readonly (typeof PERSON_KINDS)[number][] = PERSON_KINDS): fc.Arbitrary<ContributionRequest> => fc.constantFrom(...over).chain((t) => {
  const y = t.year;
  return fc
    .record({
        tier: t.tiers.length ? fc.constantFrom(...t.tiers) : fc.constant(undefined),
        // the tier as users write it: tier1, 1, "1", 一档 …
        tierSpelling: fc.constantFrom(...Object.keys(TIER_ALIASES), 1, 2),
        subsidyClass: t.classes.length ? fc.option(fc.constantFrom(...t.classes), { nil: undefined, freq: 4 }) : fc.constant(undefined),
        residence: fc.option(fc.constantFrom(...Object.keys(RESIDENCE_ALIASES)), { nil: undefined }),
        kind: fc.constantFrom(...kinds),
        statuses: fc.subarray([...NEEDY_STATUSES], { maxLength: 4 }),
        adultBirth: fc.oneof(dayIn(dayOf(1920, 1, 1), dayOf(y, 12, 31)), fc.tuple(fc.integer({ min: 15, max: 65 }), fc.integer({ min: -2, max: 2 })).map(([age, d]) => dayOf(y - age, 1, 1) + d)),
        babyBirth: dayIn(dayOf(y - 1, 10, 1), dayOf(y, 12, 31)),
        paid: fc.option(dayAround(y), { nil: undefined }),
        enrolledDelta: fc.option(fc.integer({ min: -20, max: 5 }), { nil: undefined }),
        guardianEnrolled: fc.option(fc.boolean(), { nil: undefined }),
        previous: fc.option(fc.record({ scheme: fc.constantFrom('employee' as const, 'resident' as const), endedOn: dayIn(dayOf(y - 1, 6, 1), dayOf(y, 12, 31)) }), { nil: undefined }),
        graduationYear: fc.option(fc.integer({ min: y - 1, max: y + 1 }), { nil: undefined }),
        trace: fc.option(fc.boolean(), { nil: undefined }),
    })
    .map((r) => {
      const birth = r.kind === 'newborn' ? r.babyBirth : r.adultBirth;
      const paid = r.paid === undefined ? undefined : Math.max(r.paid, birth);
      const req: ContributionRequest = {
        region: t.region,
        coverageYear: y,
        person: { birthDate: iso(birth), kind: r.kind, statuses: r.statuses as ContributionRequest['person']['statuses'] },
      };
      if (r.tier) req.tier = TIER_ALIASES[String(r.tierSpelling)] === r.tier ? r.tierSpelling : r.tier;
      if (r.subsidyClass) req.subsidyClass = r.subsidyClass;
      // a class that applies to some kinds only (区直高校: college students) is sent for those kinds
      const kinds = r.subsidyClass ? service.compiled(lib.packIdFor(t.region, y)!).classKinds.get(r.subsidyClass)?.kinds : undefined;
      if (kinds && !kinds.includes(r.kind)) delete req.subsidyClass;
      if (r.residence !== undefined) req.person.residence = r.residence;
      if (paid !== undefined) req.paidOn = iso(paid);
      if (paid !== undefined && r.enrolledDelta !== undefined) req.enrolledOn = iso(Math.max(birth, paid + r.enrolledDelta));
      if (r.guardianEnrolled !== undefined) req.guardianEnrolled = r.guardianEnrolled;
      if (r.previous) req.previousCoverage = { scheme: r.previous.scheme, endedOn: iso(r.previous.endedOn) };
      if (r.graduationYear !== undefined) req.graduationYear = r.graduationYear;
      if (r.trace !== undefined) req.trace = r.trace;
      return req;
    });
});
const requestArb = requestArbOf(targets);

/** Yuan → fen for an answer amount, refusing anything with more than two decimals. */
function fen(v: number): number {
  assert.ok(Number.isFinite(v), `not a finite amount: ${v}`);
  assert.match(String(v), /^-?\d+(\.\d{1,2})?$/, `amount ${v} has more than two decimals`);
  return yuanToFen(v);
}

function quote(req: ContributionRequest): ContributionAnswer {
  return service.contribution(structuredClone(req));
}

const withoutTrace = (a: ContributionAnswer): Omit<ContributionAnswer, 'trace'> => {
  const { trace: _t, ...rest } = a;
  return rest;
};

// ---------------------------------------------------------------------------------------------
// Quote invariants
// ---------------------------------------------------------------------------------------------

describe('contribution quote properties', () => {
  test('the generator reaches every pack, region class and year', () => {
    const packs = new Set(targets.map((t) => lib.packIdFor(t.region, t.year)));
    assert.deepEqual([...packs].sort(), lib.packIds());
  });

  test('the generator reaches the outcomes worth checking', () => {
    const seen = new Set<string>();
    for (const req of fc.sample(requestArb, { numRuns: 4000, seed: 20220630 })) {
      const a = quote({ ...req, trace: true });
      if (!a.accepted) {
        seen.add(`refused ${a.reason!.code}`);
        continue;
      }
      seen.add(`accepted ${a.trace.find((s) => s.step === 'acceptance')?.value}`);
      if (a.fiscalSubsidy === null) seen.add('subsidy borne by the person');
      if (a.contributionAssistance! > 0) seen.add('assistance');
      if (a.contributionAssistance! > 0 && a.contributionAssistance === a.standardContribution) seen.add('full assistance');
      if (a.waitingDays! > 0) seen.add('waiting period');
      if (a.benefitPeriod === null) seen.add('accepted without a benefit period');
      if (a.warnings.some((w) => w.code === 'RESIDENCE_ASSUMED')) seen.add('residence assumed');
      if (a.warnings.some((w) => w.code === 'PACK_OF_PARENT_REGION')) seen.add('parent region’s pack');
      if (a.standardContributionLines.length > 1) seen.add('arrears line');
      if (a.trace.some((s) => s.step === 'assistance.multipleStatuses')) seen.add('several statuses');
    }
    const wanted = [
      'refused BEFORE_ENROLLMENT_WINDOW',
      'refused AFTER_FINAL_DEADLINE',
      'refused NEWBORN_NOT_IN_COVERAGE_YEAR',
      'refused NO_BENEFIT_PERIOD',
      'accepted window',
      'accepted late',
      'accepted newborn',
      'accepted guardian',
      'accepted graduate',
      'subsidy borne by the person',
      'assistance',
      'full assistance',
      'waiting period',
      'several statuses',
      'residence assumed',
      'parent region’s pack',
      'arrears line',
    ];
    assert.ok(!seen.has('accepted without a benefit period'), 'an accepted answer without a benefit period');
    assert.deepEqual(wanted.filter((w) => !seen.has(w)), [], `seen: ${[...seen].sort().join(', ')}`);
  });

  test('every valid request is answered, and the answer fits its schema', () => {
    fc.assert(
      fc.property(requestArb, (req) => {
        const a = quote(req);
        const parsed = contributionAnswerSchema.safeParse(a);
        assert.ok(parsed.success, parsed.success ? '' : JSON.stringify(parsed.error.issues));
        assert.equal(a.pack, lib.packIdFor(req.region, req.coverageYear));
      }),
      { numRuns: RUNS },
    );
  });

  test('every amount has at most two decimals; assistance is between 0 and the standard', () => {
    fc.assert(
      fc.property(requestArb, (req) => {
        const a = quote(req);
        const amounts = [a.standardContribution, a.contributionAssistance, a.individualDue, a.fiscalSubsidyBorneByPerson, a.fiscalSubsidy?.total, ...(a.fiscalSubsidy?.shares?.map((s) => s.amount) ?? [])];
        for (const v of amounts) if (v !== null && v !== undefined) fen(v);
        assert.ok(fen(a.standardContribution) >= 0);
        if (a.contributionAssistance !== null) {
          assert.ok(fen(a.contributionAssistance) >= 0, 'assistance below 0');
          assert.ok(fen(a.contributionAssistance) <= fen(a.standardContribution), `assistance ${a.contributionAssistance} above the standard ${a.standardContribution}`);
        }
      }),
      { numRuns: RUNS },
    );
  });

  test('individualDue − fiscalSubsidyBorneByPerson + contributionAssistance = standardContribution, in fen', () => {
    fc.assert(
      fc.property(requestArb, (req) => {
        const a = quote(req);
        if (!a.accepted) return;
        assert.equal(fen(a.individualDue!) - fen(a.fiscalSubsidyBorneByPerson!) + fen(a.contributionAssistance!), fen(a.standardContribution));
        assert.ok(fen(a.individualDue!) >= 0);
      }),
      { numRuns: RUNS },
    );
  });

  test('the fiscal subsidy is granted (shares sum to the total) or borne by the person, never both', () => {
    fc.assert(
      fc.property(requestArb, (req) => {
        const a = quote(req);
        if (!a.accepted) return;
        const perCapita = yuanToFen(lib.resolve(a.pack).params.get('fiscalSubsidy.perCapita')!.value as number);
        if (a.fiscalSubsidy) {
          if (a.fiscalSubsidy.shares === null) {
            // only where the pack splits by class and the request named none; the answer says so
            assert.ok(service.compiled(a.pack).splits.size > 0 && req.subsidyClass === undefined, 'shares left out without cause');
            assert.ok(a.warnings.some((w) => w.code === 'SUBSIDY_CLASS_MISSING' && w.field === 'subsidyClass'));
          } else {
            assert.equal(a.fiscalSubsidy.shares.reduce((s, l) => s + fen(l.amount), 0), fen(a.fiscalSubsidy.total));
            assert.ok(a.fiscalSubsidy.shares.every((s) => fen(s.amount) >= 0));
          }
          assert.equal(fen(a.fiscalSubsidy.total), perCapita);
          assert.equal(a.fiscalSubsidyBorneByPerson, 0);
        } else assert.equal(fen(a.fiscalSubsidyBorneByPerson!), perCapita);
      }),
      { numRuns: RUNS },
    );
  });

  test('the benefit period starts no later than it ends, inside the period the contribution buys', () => {
    fc.assert(
      fc.property(requestArb, (req) => {
        const a = quote(req);
        if (!a.benefitPeriod) {
          assert.equal(a.waitingDays, null);
          return;
        }
        const start = parseDay(a.benefitPeriod.start);
        const end = parseDay(a.benefitPeriod.end);
        assert.ok(start <= end, `${a.benefitPeriod.start} after ${a.benefitPeriod.end}`);
        assert.ok(a.waitingDays !== null && a.waitingDays >= 0);
        const y = req.coverageYear;
        const college = service.compiled(a.pack).college;
        if (req.person.kind === 'college_student' && college.period === 'academic_year' && college.academicYear) {
          // a college student's coverage year is the academic year (e.g. 2021-09-01..2022-08-31),
          // extended to 12-31 for that year's graduates where the pack says so
          assert.ok(start >= college.academicYear.from, `${a.benefitPeriod.start} before the academic year`);
          assert.ok([college.academicYear.to, dayOf(ymd(college.academicYear.to).y, 12, 31)].includes(end), `unexpected end ${a.benefitPeriod.end}`);
        } else {
          assert.ok(start >= dayOf(y, 1, 1), `${a.benefitPeriod.start} before coverage year ${y}`);
          assert.equal(a.benefitPeriod.end, `${y}-12-31`);
        }
        if (req.person.kind === 'newborn') assert.ok(start >= parseDay(req.person.birthDate), 'a newborn covered before birth');
      }),
      { numRuns: RUNS },
    );
  });

  describe('nobody pays for no cover: accepted ∧ due > 0 ⇒ benefit period not null', () => {
    for (const id of lib.packIds())
      for (const kind of PERSON_KINDS)
        test(`${id} ${kind}`, () => {
          const over = targets.filter((t) => lib.packIdFor(t.region, t.year) === id);
          fc.assert(
            fc.property(requestArbOf(over, [kind]), (req) => {
              const a = quote(req);
              assert.equal(a.pack, id);
              if (a.accepted && fen(a.individualDue!) > 0) assert.notEqual(a.benefitPeriod, null, `${a.pack}: pays ${a.individualDue} for no cover`);
              // stronger: no accepted answer lacks a benefit period (nor may the assistance fund pay for no cover)
              if (a.accepted) assert.notEqual(a.benefitPeriod, null, `${a.pack}: accepted without a benefit period`);
              if (a.reason?.code === 'NO_BENEFIT_PERIOD') assert.equal(a.individualDue, null);
            }),
            { numRuns: Math.max(30, Math.round(RUNS / 4)) },
          );
        });
  });

  test('the standard’s lines add up to it; the answer names the tier in one form', () => {
    fc.assert(
      fc.property(requestArb, (req) => {
        const a = quote(req);
        assert.equal(a.standardContributionLines.reduce((t, l) => t + fen(l.amount), 0), fen(a.standardContribution));
        assert.ok(a.standardContributionLines.every((l) => fen(l.amount) >= 0 && (l.cite || l.example)));
        if (req.tier === undefined) assert.equal(a.tier, null);
        else assert.equal(a.tier, TIER_ALIASES[String(req.tier)]);
      }),
      { numRuns: RUNS },
    );
  });

  test('an answer from another region’s pack says so; one from the region’s own pack does not', () => {
    fc.assert(
      fc.property(requestArb, (req) => {
        const a = quote({ ...req, trace: true });
        const own = lib.resolve(a.pack).region === req.region;
        const w = a.warnings.filter((x) => x.code === 'PACK_OF_PARENT_REGION');
        assert.equal(w.length, own ? 0 : 1);
        assert.equal(a.trace.some((s) => s.step === 'pack'), !own);
        if (req.person.residence !== undefined) assert.ok(!a.warnings.some((x) => x.code === 'RESIDENCE_ASSUMED'), 'residence given but assumed');
      }),
      { numRuns: RUNS },
    );
  });

  test('refused answers carry a refusal code and no amounts; accepted ones carry all amounts', () => {
    fc.assert(
      fc.property(requestArb, (req) => {
        const a = quote(req);
        if (a.accepted) {
          assert.equal(a.reason, null);
          assert.ok(a.contributionAssistance !== null && a.individualDue !== null && a.fiscalSubsidyBorneByPerson !== null);
        } else {
          assert.ok(a.reason && a.reason.code in REFUSAL_CODES);
          assert.equal(a.contributionAssistance, null);
          assert.equal(a.individualDue, null);
          assert.equal(a.fiscalSubsidyBorneByPerson, null);
          assert.equal(a.fiscalSubsidy, null);
          assert.equal(a.benefitPeriod, null);
          assert.equal(a.waitingDays, null);
        }
      }),
      { numRuns: RUNS },
    );
  });

  test('with and without the trace the answer is the same', () => {
    fc.assert(
      fc.property(requestArb, (req) => {
        const on = quote({ ...req, trace: true });
        const off = quote({ ...req, trace: false });
        assert.deepEqual(off.trace, []);
        assert.ok(on.trace.length > 0);
        assert.deepEqual(withoutTrace(off), withoutTrace(on));
      }),
      { numRuns: RUNS },
    );
  });

  test('every traced parameter names the pack it came from, and that pack is in the chain', () => {
    fc.assert(
      fc.property(requestArb, (req) => {
        const a = quote({ ...req, trace: true });
        for (const s of a.trace) {
          if (!s.param) continue;
          assert.ok(s.pack && a.packChain.includes(s.pack), `${s.step}: ${s.param} from ${s.pack}, not in ${a.packChain.join(' → ')}`);
          assert.ok(s.cite || s.example, `${s.step}: ${s.param} has neither cite nor example`);
          if (s.example) assert.ok(a.examplesUsed.includes(s.param), `${s.param} is an example but not in examplesUsed`);
        }
      }),
      { numRuns: RUNS },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Money
// ---------------------------------------------------------------------------------------------

/** Amounts a yuan JSON number can carry exactly: |fen| < 10^15 (15 significant digits). */
const fenArb = fc.integer({ min: -(10 ** 15) + 1, max: 10 ** 15 - 1 });

/** A rate as written in a pack: "60%", "12.5%", "0.6", "1"; never above 100%. */
const rateTextArb = fc.oneof(
  fc.tuple(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 9999 })).map(([i, n, d]) => {
    if (i === 100 || n === 0) return `${i}%`;
    return `${i}.${String(d % 10 ** n).padStart(n, '0')}%`;
  }),
  fc.tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 999999 })).map(([n, d]) => (n === 0 ? String(d % 2) : `0.${String(d % 10 ** n).padStart(n, '0')}`)),
);

/** fen × num / den rounded half up, in BigInt: the reference applyRate is checked against. */
function refApplyRate(f: bigint, num: bigint, den: bigint): bigint {
  const q = (f * num) / den;
  const r = (f * num) % den;
  return 2n * r >= den ? q + 1n : q;
}

describe('money', () => {
  test('fenToYuan then yuanToFen gives back the fen', () => {
    fc.assert(fc.property(fenArb, (f) => assert.equal(yuanToFen(fenToYuan(f)), f)), { numRuns: 2000 });
  });

  test('formatYuan writes exactly two decimals and parses back', () => {
    fc.assert(
      fc.property(fenArb, (f) => {
        const s = formatYuan(f);
        assert.match(s, /^-?\d+\.\d\d$/);
        assert.equal(yuanToFen(s), f);
        assert.equal(yuanToFen(String(fenToYuan(f))), f);
      }),
      { numRuns: 2000 },
    );
  });

  test('yuanToFen refuses amounts with more than two decimals', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 ** 9 }), fc.integer({ min: 1, max: 9 }), (whole, last) => {
        assert.throws(() => yuanToFen(`${whole}.00${last}`), RangeError);
        assert.throws(() => yuanToFen(`${whole}.12${last}`), RangeError);
      }),
    );
    assert.throws(() => yuanToFen(0.001), RangeError);
    assert.throws(() => yuanToFen('1e3'), RangeError);
  });

  test('applyRate rounds half up exactly as a BigInt reference (amounts up to 10 million yuan)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 ** 9 }), rateTextArb, (f, text) => {
        const r = parseRate(text);
        assert.ok(r.num >= 0 && r.num <= r.den, `${text} parsed to ${r.num}/${r.den}`);
        assert.equal(BigInt(applyRate(f, r)), refApplyRate(BigInt(f), BigInt(r.num), BigInt(r.den)), `${f} fen × ${text} (${r.num}/${r.den})`);
      }),
      { numRuns: 3000 },
    );
  });

  test('applyRate on the rates the packs write', () => {
    assert.equal(applyRate(61000, parseRate('80%')), 48800);
    assert.equal(applyRate(32000, parseRate('90%')), 28800);
    assert.equal(applyRate(32000, parseRate('70%')), 22400);
    assert.equal(applyRate(40000, parseRate('60%')), 24000);
    assert.equal(applyRate(1, parseRate('50%')), 1); // 0.5 fen rounds up
    assert.equal(applyRate(3, parseRate('50%')), 2); // 1.5 fen rounds up
    assert.equal(applyRate(1, parseRate('49%')), 0);
    assert.equal(applyRate(69500, parseRate('0.6')), 41700);
  });
});

// ---------------------------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------------------------

const ymdArb = fc.integer({ min: 1, max: 9999 }).chain((y) =>
  fc.integer({ min: 1, max: 12 }).chain((m) => fc.integer({ min: 1, max: daysInMonth(y, m) }).map((d) => ({ y, m, d }))),
);
const dayArb = fc.integer({ min: dayOf(1, 1, 1), max: dayOf(9999, 12, 31) });
const pad = (n: number, w: number): string => String(n).padStart(w, '0');

describe('dates', () => {
  test('parseDay and formatDay are inverse, and agree with the JS calendar', () => {
    fc.assert(
      fc.property(ymdArb, ({ y, m, d }) => {
        const s = `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`;
        const day = parseDay(s);
        assert.equal(formatDay(day), s);
        assert.deepEqual(ymd(day), { y, m, d });
        const js = new Date(0);
        js.setUTCFullYear(y, m - 1, d); // unlike Date.UTC, keeps years 0..99 as written
        assert.equal(day, js.getTime() / 86_400_000);
      }),
      { numRuns: 3000 },
    );
    fc.assert(fc.property(dayArb, (day) => assert.equal(parseDay(formatDay(day)), day)), { numRuns: 3000 });
  });

  test('parseDay refuses dates that do not exist', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9999 }), fc.integer({ min: 1, max: 12 }), (y, m) => {
        assert.ok(Number.isNaN(parseDay(`${pad(y, 4)}-${pad(m, 2)}-${pad(daysInMonth(y, m) + 1, 2)}`)));
        assert.ok(Number.isNaN(parseDay(`${pad(y, 4)}-${pad(m, 2)}-00`)));
      }),
    );
    for (const bad of ['2023-02-29', '2022-13-01', '2022-1-01', '2022/01/01', '20220101', '', '2100-02-29']) assert.ok(Number.isNaN(parseDay(bad)), bad);
    assert.ok(!Number.isNaN(parseDay('2000-02-29')) && !Number.isNaN(parseDay('2024-02-29')));
  });

  test('addMonths lands on the same day n months later, clamped to the end of a shorter month', () => {
    fc.assert(
      fc.property(fc.integer({ min: dayOf(1900, 1, 1), max: dayOf(2100, 12, 31) }), fc.integer({ min: -240, max: 240 }), (day, n) => {
        const from = ymd(day);
        const to = ymd(addMonths(day, n));
        const total = from.y * 12 + (from.m - 1) + n;
        assert.equal(to.y, Math.floor(total / 12));
        assert.equal(to.m, (((total % 12) + 12) % 12) + 1);
        assert.equal(to.d, Math.min(from.d, daysInMonth(to.y, to.m)));
      }),
      { numRuns: 3000 },
    );
    assert.equal(formatDay(addMonths(parseDay('2022-01-31'), 1)), '2022-02-28');
    assert.equal(formatDay(addMonths(parseDay('2024-01-31'), 1)), '2024-02-29');
    assert.equal(formatDay(addMonths(parseDay('2022-03-31'), 3)), '2022-06-30');
    assert.equal(formatDay(addMonths(parseDay('2022-05-31'), -3)), '2022-02-28');
    assert.equal(formatDay(addMonths(parseDay('2022-12-15'), 1)), '2023-01-15');
  });

  test('ageOn counts full years (周岁), a birthday reached on the day itself', () => {
    fc.assert(
      fc.property(fc.integer({ min: dayOf(1900, 1, 1), max: dayOf(2100, 12, 31) }), fc.integer({ min: 0, max: 100 }), (birth, years) => {
        const b = ymd(birth);
        if (b.m === 2 && b.d === 29 && !isLeap(b.y + years)) return; // no such birthday that year
        const birthday = dayOf(b.y + years, b.m, b.d);
        assert.equal(ageOn(birth, birthday), years);
        if (years > 0) assert.equal(ageOn(birth, birthday - 1), years - 1);
      }),
      { numRuns: 2000 },
    );
  });
});
