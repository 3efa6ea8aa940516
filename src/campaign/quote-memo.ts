/**
 * The quotes of many persons in one pass (a payment file): the engine's answer computed once per
 * distinct tuple of the facts the pack's rules read, not once per person. Of a person's birth
 * date the rules read (src/rules/compile.ts, quote.ts, benefit-period.ts) the age on the pack's
 * reference date — only against the ages its rules name (ageBelow, ageAtLeast) — whether the
 * birth falls in the coverage year, whether the payment or enrollment is within n days of it,
 * and, for a newborn, the day itself (refusal, benefit start). So for a person who is not a
 * newborn, born before the coverage year and paying (and enrolling) well past the longest
 * "n days of birth" period of the pack, the answer depends on the birth date only through the
 * band of those ages the reference age falls in; every other fact of the request is part of the
 * key as it is. Anyone else (newborns, the recently born, a traced quote) is quoted alone.
 *
 * Each person keeps their own request (with their birth date); the answer and result are the
 * ones of the first person of the same key, which are equal to this person's own
 * (test/quote-memo.test.ts: random persons and dates against quotePerson).
 */
import { isDateString, parseDay, type Day } from '../dates.js';
import { referenceAge, type CompiledPack } from '../rules/compile.js';
import type { QuoteService } from '../quotes/quote-service.js';
import type { ContributionRequest } from '../quotes/contribution-request.js';
import { type PersonFacts, type PersonQuote, type QuoteOptions, packFor, quoteRequest, requestFor } from './person-quote.js';

/** What of a pack's rules decides how far the birth date matters. */
interface BirthShape {
  /** the ages the rules compare with, ascending */
  ages: number[];
  /** the longest "within n days of birth" of the rules (0: none) */
  birthDays: number;
}

export function birthShape(cp: CompiledPack): BirthShape {
  const ages = new Set<number>();
  let birthDays = 0;
  for (const group of Object.values(cp.rules))
    for (const r of group) {
      const w = r.rule.when;
      if (w.ageBelow !== undefined) ages.add(w.ageBelow);
      if (w.ageAtLeast !== undefined) ages.add(w.ageAtLeast);
      birthDays = Math.max(birthDays, w.paidWithinDaysOfBirth ?? 0, w.enrolledWithinDaysOfBirth ?? 0);
    }
  return { ages: [...ages].sort((a, b) => a - b), birthDays };
}

/** Days of margin past the longest birth period (the counting rule moves a period's end by a day). */
const MARGIN_DAYS = 40;

/**
 * The key of a request whose answer does not depend on the exact birth date, or null. Exported
 * for the test.
 */
export function memoKey(cp: CompiledPack, shape: { ages: number[]; birthDays: number }, request: ContributionRequest): string | null {
  const { person, ...rest } = request;
  if (person.kind === 'newborn' || request.trace || !request.paidOn) return null;
  if (!isDateString(person.birthDate) || !isDateString(request.paidOn) || (request.enrolledOn !== undefined && !isDateString(request.enrolledOn))) return null;
  const birth: Day = parseDay(person.birthDate);
  if (!(birth < cp.coverageStart)) return null;
  const paid = parseDay(request.paidOn);
  const enrolled = request.enrolledOn !== undefined ? parseDay(request.enrolledOn) : paid;
  if (Math.min(paid, enrolled) - birth <= shape.birthDays + MARGIN_DAYS) return null;
  const age = referenceAge(cp, { birth, paid });
  let band = 0;
  while (band < shape.ages.length && age >= shape.ages[band]) band++;
  const { birthDate: _birth, ...others } = person;
  return JSON.stringify([cp.pack.id, band, others, rest]);
}

export class QuoteMemo {
  private readonly answers = new Map<string, Pick<PersonQuote, 'answer' | 'result'>>();
  private readonly shapes = new Map<string, BirthShape>();
  /** quotes answered from the memo, and computed */
  hits = 0;
  misses = 0;

  /** `limit`: distinct keys kept (past it, new keys are computed and not kept) */
  constructor(private readonly quotes: QuoteService, private readonly limit = 200_000) {}

  /** quotePerson's answer for the person (the same, field for field). */
  quote(f: PersonFacts, year: number, o: QuoteOptions = {}): PersonQuote {
    const { request, tier } = requestFor(this.quotes, f, year, o);
    const trace = o.trace ?? false;
    if (trace) return quoteRequest(this.quotes, request, tier, trace);
    const cp = packFor(this.quotes, f.region, year);
    let shape = this.shapes.get(cp.pack.id);
    if (!shape) this.shapes.set(cp.pack.id, (shape = birthShape(cp)));
    const key = memoKey(cp, shape, request);
    const known = key === null ? undefined : this.answers.get(key);
    if (known) {
      this.hits++;
      return { request, answer: known.answer, result: known.result, cp, tier };
    }
    this.misses++;
    const q = quoteRequest(this.quotes, request, tier, trace);
    if (key !== null && this.answers.size < this.limit) this.answers.set(key, { answer: q.answer, result: q.result });
    return q;
  }
}

