/**
 * Counting days (issue #13 item 10): "90日内", "满90日后" and "3个月内" are counted in one place,
 * src/dates.ts, by the rule each pack states (periods.counting). Checked here against a reference
 * written with the JavaScript calendar (not src/dates.ts): 民法典 第二百零一条 (the first day is not
 * counted) and 第二百零二条 (the corresponding day of the last month ends the period; the month's
 * last day where there is none). Then the boundary days of every period rule of every pack: the
 * last day inside, the first day outside, and the first day of benefits after a waiting period.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { dayAfterPeriod, formatDay, parseDay, periodLastDay, withinPeriod, type PeriodCounting } from '../src/dates.js';
import { QuoteService } from '../src/quotes/quote-service.js';
import { compileCondition, evalContext, type CompiledPack } from '../src/rules/compile.js';
import type { Condition } from '../src/policy/schema.js';
import type { QuoteInput } from '../src/rules/input.js';

const service = QuoteService.load();
const lib = service.lib;

// ---------------------------------------------------------------------------------------------
// Reference calendar (JS Date, UTC)
// ---------------------------------------------------------------------------------------------

const iso = (t: number): string => new Date(t).toISOString().slice(0, 10);
const parts = (s: string): [number, number, number] => s.split('-').map(Number) as [number, number, number];
const refDaysLater = (s: string, n: number): string => {
  const [y, m, d] = parts(s);
  return iso(Date.UTC(y, m - 1, d + n));
};
/** 民法典 第二百零二条: the corresponding day n months later, or the last day of that month. */
const refMonthsLater = (s: string, n: number): string => {
  const [y, m, d] = parts(s);
  const last = new Date(Date.UTC(y, m - 1 + n + 1, 0)).getUTCDate();
  return iso(Date.UTC(y, m - 1 + n, Math.min(d, last)));
};
/** The last day of a period from `s` under each counting. */
function refLastDay(s: string, n: number, unit: 'day' | 'month', counting: PeriodCounting): string {
  const end = unit === 'day' ? refDaysLater(s, n) : refMonthsLater(s, n);
  return counting === 'first_day_excluded' ? end : refDaysLater(end, -1);
}

describe('periods: src/dates.ts against the reference calendar', () => {
  test('hand-checked boundaries (民法典 第二百零一条、第二百零二条)', () => {
    const X = 'first_day_excluded';
    // 90 days from 03-01: 03-02..05-30; benefits after the full 90 days from 05-31
    assert.equal(formatDay(periodLastDay(parseDay('2022-03-01'), 90, 'day', X)), '2022-05-30');
    assert.equal(formatDay(dayAfterPeriod(parseDay('2022-03-01'), 90, 'day', X)), '2022-05-31');
    // born 03-10: 06-08 is the 90th day
    assert.equal(formatDay(periodLastDay(parseDay('2022-03-10'), 90, 'day', X)), '2022-06-08');
    // 3 months from 03-15 end on 06-15; from 03-31 on 06-30 (no 06-31); from 11-30 on 02-28
    assert.equal(formatDay(periodLastDay(parseDay('2022-03-15'), 3, 'month', X)), '2022-06-15');
    assert.equal(formatDay(periodLastDay(parseDay('2022-03-31'), 3, 'month', X)), '2022-06-30');
    assert.equal(formatDay(periodLastDay(parseDay('2022-11-30'), 3, 'month', X)), '2023-02-28');
    assert.equal(formatDay(periodLastDay(parseDay('2023-11-30'), 3, 'month', X)), '2024-02-29');
    // 09-01 plus 3 months: 12-01
    assert.equal(formatDay(periodLastDay(parseDay('2022-09-01'), 3, 'month', X)), '2022-12-01');
    // counting the first day: one day earlier
    assert.equal(formatDay(periodLastDay(parseDay('2022-03-01'), 90, 'day', 'first_day_included')), '2022-05-29');
    assert.equal(formatDay(periodLastDay(parseDay('2022-03-15'), 3, 'month', 'first_day_included')), '2022-06-14');
    assert.ok(withinPeriod(parseDay('2022-03-15'), parseDay('2022-03-15'), 3, 'month', X), 'the first day itself is within');
    assert.ok(!withinPeriod(parseDay('2022-03-14'), parseDay('2022-03-15'), 3, 'month', X), 'a day before is not');
  });

  test('every start, length and counting agrees with the reference', () => {
    const day = fc.integer({ min: parseDay('1990-01-01'), max: parseDay('2040-12-31') });
    fc.assert(
      fc.property(day, fc.integer({ min: 1, max: 400 }), fc.constantFrom('day' as const, 'month' as const), fc.constantFrom<PeriodCounting>('first_day_excluded', 'first_day_included'), (from, n, unit, c) => {
        const s = formatDay(from);
        const last = refLastDay(s, unit === 'month' ? Math.ceil(n / 20) : n, unit, c);
        const len = unit === 'month' ? Math.ceil(n / 20) : n;
        assert.equal(formatDay(periodLastDay(from, len, unit, c)), last);
        assert.equal(formatDay(dayAfterPeriod(from, len, unit, c)), refDaysLater(last, 1));
        assert.ok(withinPeriod(parseDay(last), from, len, unit, c));
        assert.ok(!withinPeriod(parseDay(refDaysLater(last, 1)), from, len, unit, c));
      }),
      { numRuns: 3000 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Every period rule of every pack, at its boundary days
// ---------------------------------------------------------------------------------------------

/** A person who pays, with only the dates a period condition reads. */
function person(cp: CompiledPack, over: Partial<QuoteInput>): QuoteInput {
  return {
    region: cp.pack.region,
    coverageYear: cp.pack.year,
    tier: null,
    kind: 'adult',
    statusMask: 0,
    statuses: [],
    birth: parseDay('1980-05-05'),
    paid: null,
    paidAssumed: false,
    enrolled: null,
    guardianEnrolled: false,
    previousCoverage: null,
    graduationYear: null,
    subsidyClass: null,
    residence: null,
    ...over,
  };
}

const PERIOD_KEYS = ['paidWithinDaysOfBirth', 'enrolledWithinDaysOfBirth', 'employeeGapWithinMonths', 'graduatingPaidWithin', 'graduatingEnrolledWithin'] as const;

interface Probe {
  label: string;
  condition: Condition;
  /** inputs on the last day inside and the first day outside */
  inside: Partial<QuoteInput>;
  outside: Partial<QuoteInput>;
}

/** Boundary probes for one period condition, the last day taken from the reference calendar. */
function probes(cp: CompiledPack, key: (typeof PERIOD_KEYS)[number], c: Condition): Probe[] {
  const counting = cp.counting.value;
  const y = cp.pack.year;
  const at = (s: string, f: (d: number) => Partial<QuoteInput>): Partial<QuoteInput> => f(parseDay(s));
  switch (key) {
    case 'paidWithinDaysOfBirth':
    case 'enrolledWithinDaysOfBirth': {
      const n = c[key]!;
      const birth = `${y}-03-10`;
      const last = refLastDay(birth, n, 'day', counting);
      const dates = (d: number): Partial<QuoteInput> =>
        key === 'paidWithinDaysOfBirth' ? { paid: d } : { enrolled: d, paid: parseDay(`${y}-03-11`) };
      return [
        {
          label: `${key} ${n} from ${birth}: last day ${last}`,
          condition: { [key]: n },
          inside: { kind: 'newborn', birth: parseDay(birth), ...at(last, dates) },
          outside: { kind: 'newborn', birth: parseDay(birth), ...at(refDaysLater(last, 1), dates) },
        },
      ];
    }
    case 'employeeGapWithinMonths': {
      const n = c[key]!;
      return ['03-15', '03-31', '11-30'].map((md) => {
        const ended = `${y - (md === '11-30' ? 1 : 0)}-${md}`;
        const last = refLastDay(ended, n, 'month', counting);
        const prev = { scheme: 'employee' as const, endedOn: parseDay(ended) };
        return {
          label: `${key} ${n} from ${ended}: last day ${last} (enrollment date)`,
          condition: { employeeGapWithinMonths: n },
          inside: { previousCoverage: prev, enrolled: parseDay(last), paid: parseDay(refDaysLater(last, 20)) },
          outside: { previousCoverage: prev, enrolled: parseDay(refDaysLater(last, 1)), paid: parseDay(last) },
        };
      });
    }
    case 'graduatingPaidWithin':
    case 'graduatingEnrolledWithin': {
      const w = c[key]!;
      const from = `${y}-${w.from}`;
      const last = refLastDay(from, w.months, 'month', counting);
      const dates = (d: number): Partial<QuoteInput> => (key === 'graduatingPaidWithin' ? { paid: d } : { enrolled: d, paid: parseDay(from) });
      return [
        {
          label: `${key} ${w.months} months from ${from}: last day ${last}`,
          condition: { [key]: w },
          inside: { graduationYear: y, ...at(last, dates) },
          outside: { graduationYear: y, ...at(refDaysLater(last, 1), dates) },
        },
      ];
    }
  }
}

describe('periods: the boundary days of every period rule of every pack', () => {
  for (const id of lib.packIds()) {
    const cp = service.compiled(id);
    const found: Probe[] = [];
    for (const g of ['acceptance', 'subsidy', 'benefitStart'] as const)
      for (const r of cp.rules[g])
        for (const key of PERIOD_KEYS)
          if (r.rule.when[key] !== undefined) for (const p of probes(cp, key, r.rule.when)) found.push({ ...p, label: `${g}.${r.id}: ${p.label}` });
    test(`${id}: ${found.length} period condition(s), counted ${cp.counting.value} (${cp.counting.param?.from ?? 'default'})`, () => {
      assert.ok(cp.counting.param, `${id} states no periods.counting`);
      for (const p of found) {
        const pred = compileCondition(p.condition, cp);
        const inside = person(cp, p.inside);
        const outside = person(cp, p.outside);
        assert.equal(pred(inside, evalContext(cp, inside)), true, `${p.label}: the last day is inside`);
        assert.equal(pred(outside, evalContext(cp, outside)), false, `${p.label}: the day after is outside`);
      }
    });

    // the waiting period: a plain adult paying the day after the window
    const late = cp.rules.benefitStart.find((r) => r.rule.when.paid === 'after_window' && Object.keys(r.rule.when).length === 1);
    const then = late?.rule.then.start;
    if (late && then && typeof then === 'object' && 'afterPaymentDays' in then)
      test(`${id}: benefitStart.${late.id} — “满${then.afterPaymentDays}日后” from the day after the window`, () => {
        const paid = formatDay(cp.window.to + 1);
        const a = service.contribution({
          region: cp.pack.region,
          coverageYear: cp.pack.year,
          ...(cp.tiers.length ? { tier: cp.tiers[0] } : {}),
          person: { birthDate: '1980-05-05', kind: 'adult' },
          paidOn: paid,
        });
        const last = refLastDay(paid, then.afterPaymentDays, 'day', cp.counting.value);
        if (!a.accepted) {
          assert.equal(a.reason?.code, 'NO_BENEFIT_PERIOD');
          return;
        }
        assert.equal(a.benefitPeriod?.start, refDaysLater(last, 1), `paid ${paid}: the ${then.afterPaymentDays} days end on ${last}`);
        assert.equal(a.waitingDays, then.afterPaymentDays);
        assert.ok(a.trace.some((s) => s.step === 'periods.counting' && s.param === 'periods.counting'));
      });
  }
});
