/**
 * The memoised quote of the payment file (src/campaign/quote-memo.ts) against quotePerson, on
 * random persons and payment dates of every pack: the same request, answer and result (or the
 * same refusal of the request), and the memo is used (persons of the same key but another birth
 * date are answered from it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { InputError } from '../src/errors.js';
import { NEEDY_STATUSES, PERSON_KINDS } from '../src/policy/vocabulary.js';
import { QuoteService } from '../src/quotes/quote-service.js';
import { type PersonFacts, quotePerson } from '../src/campaign/person-quote.js';
import { QuoteMemo, birthShape, memoKey } from '../src/campaign/quote-memo.js';
import { formatDay, parseDay } from '../src/dates.js';

const RUNS = Number(process.env.PROPERTY_RUNS ?? 300);
const quotes = QuoteService.load();
const packs = quotes.lib.packIds().map((id) => ({ region: id.split('/')[0], year: Number(id.split('/')[1]) }));
const regions = [...new Set([...packs.map((p) => p.region), '500230'])];
const years = quotes.lib.years();

const day = (from: string, to: string) => fc.integer({ min: parseDay(from), max: parseDay(to) }).map((d) => formatDay(d));

interface Case {
  f: PersonFacts;
  year: number;
  tier: string | null;
  paidOn: string;
}

const person = fc.record({
  region: fc.constantFrom(...regions),
  year: fc.constantFrom(...years),
  kind: fc.oneof({ weight: 3, arbitrary: fc.constant<(typeof PERSON_KINDS)[number]>('adult') }, { weight: 2, arbitrary: fc.constantFrom(...PERSON_KINDS) }),
  // mostly none or one of a few, so that persons share keys; sometimes any two
  statuses: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom<string[]>([], [], ['dibao'], ['destitute'], ['dibao_edge'], ['stable_exited']) },
    { weight: 1, arbitrary: fc.subarray([...NEEDY_STATUSES], { maxLength: 2 }).map((s) => [...s].sort()) },
  ),
  residence: fc.constantFrom<'rural' | 'urban' | null>('rural', 'urban', null),
  tier: fc.constantFrom<string | null>(null, 'tier1', 'tier2'),
  employee: fc.option(fc.constantFrom('-06-30', '-10-15', '-12-31'), { nil: null }),
  graduation: fc.option(fc.constantFrom(0, -1, 1), { nil: null }),
  // a few payment days per year, so that persons share keys
  payDay: fc.constantFrom('-09-15', '-12-31', '+02-10', '+03-01', '+10-20'),
  // born in the coverage year or up to 100 years before; more often long before
  bornYearsBefore: fc.oneof({ weight: 1, arbitrary: fc.integer({ min: 0, max: 2 }) }, { weight: 4, arbitrary: fc.integer({ min: 3, max: 100 }) }),
  bornDay: day('2000-01-01', '2000-12-31').map((d) => d.slice(4)),
});

type P = typeof person extends fc.Arbitrary<infer T> ? T : never;

function caseOf(p: P): Case {
  const year = p.year;
  const paidOn = p.payDay.startsWith('+') ? `${year}${p.payDay.slice(1)}` : `${year - 1}${p.payDay}`;
  const birthDate = `${year - p.bornYearsBefore}${p.bornDay === '-02-29' ? '-02-28' : p.bornDay}`;
  return {
    year,
    tier: p.tier,
    paidOn,
    f: {
      personId: '1', idNumber: '500230200001010011', name: '测试', birthDate, kind: p.kind, graduationYear: p.graduation === null ? null : year + p.graduation,
      householdId: null, villageCode: '500230100001', region: p.region, statuses: p.statuses, residence: p.residence,
      employeeEndedOn: p.employee === null ? null : `${year - 1}${p.employee}`,
    },
  };
}

type Outcome = { ok: ReturnType<typeof quotePerson> } | { error: string };
const run = (fn: () => ReturnType<typeof quotePerson>): Outcome => {
  try {
    return { ok: fn() };
  } catch (e) {
    if (e instanceof InputError) return { error: `${e.field}: ${e.message}` };
    throw e;
  }
};
const plain = (o: Outcome) => ('ok' in o ? { request: o.ok.request, answer: o.ok.answer, result: o.ok.result, tier: o.ok.tier, pack: o.ok.cp.pack.id } : o);

test('the memoised quote equals quotePerson for random persons and payment dates', () => {
  const memo = new QuoteMemo(quotes);
  fc.assert(
    // persons, each with a few others of the same facts but another birth date
    fc.property(fc.array(fc.tuple(person, fc.array(fc.tuple(fc.integer({ min: 0, max: 100 }), day('2000-01-01', '2000-12-31')), { maxLength: 4 })), { minLength: 1, maxLength: 10 }), (ps) => {
      for (const c of ps.flatMap(([p, others]) => [p, ...others.map(([y, d]) => ({ ...p, bornYearsBefore: y, bornDay: d.slice(4) }))].map(caseOf))) {
        const o = { tier: c.tier, paidOn: c.paidOn, enrolledOn: c.paidOn };
        const want = run(() => quotePerson(quotes, c.f, c.year, o));
        const got = run(() => memo.quote(c.f, c.year, o));
        assert.deepEqual(plain(got), plain(want), JSON.stringify(c));
      }
    }),
    { numRuns: RUNS, seed: 14 },
  );
  // not vacuous: many answers came from the memo, and some persons were quoted alone
  assert.ok(memo.hits >= 200, `hits ${memo.hits}, misses ${memo.misses}`);
});

test('a newborn, a person born in the coverage year and a traced quote are not memoised', () => {
  const year = years[0];
  const region = packs.find((p) => p.year === year)!.region;
  const cp = quotes.compiled(quotes.lib.packIdFor(region, year)!);
  const shape = birthShape(cp);
  const request = (birthDate: string, kind: string, extra: Record<string, unknown> = {}) =>
    ({ region, coverageYear: year, person: { birthDate, kind, statuses: [] }, paidOn: `${year - 1}-12-01`, ...extra }) as Parameters<typeof memoKey>[2];
  assert.notEqual(memoKey(cp, shape, request('1980-05-05', 'adult')), null);
  assert.equal(memoKey(cp, shape, request('1980-05-05', 'adult')), memoKey(cp, shape, request('1981-07-07', 'adult')));
  assert.equal(memoKey(cp, shape, request(`${year}-01-02`, 'newborn')), null);
  assert.equal(memoKey(cp, shape, request(`${year - 1}-11-02`, 'student_child')), null);
  assert.equal(memoKey(cp, shape, request('1980-05-05', 'adult', { trace: true })), null);
  assert.equal(memoKey(cp, shape, request('1980-05-05', 'adult', { paidOn: undefined })), null);
});

test('ages on either side of an age the rules name get different keys', () => {
  const id = quotes.lib.packIds().find((i) => birthShape(quotes.compiled(i)).ages.length > 0);
  assert.ok(id, 'a pack with an age condition');
  const cp = quotes.compiled(id);
  const shape = birthShape(cp);
  const [region, y] = id.split('/');
  const year = Number(y);
  const a = shape.ages[0];
  const request = (birthDate: string) => ({ region, coverageYear: year, person: { birthDate, kind: 'adult', statuses: [] }, paidOn: `${year - 1}-12-01` }) as Parameters<typeof memoKey>[2];
  // born in mid-year: a full years younger than a on the reference date, or a + 1 years older
  const younger = memoKey(cp, shape, request(`${year - a + 1}-06-01`));
  const older = memoKey(cp, shape, request(`${year - a - 2}-06-01`));
  assert.ok(younger !== null && older !== null);
  assert.notEqual(younger, older);
});
