/**
 * A resolved pack compiled for quoting: amounts in fen, dates as day numbers, rule
 * conditions as predicates. Pure data in, pure functions out; no I/O.
 */
import { addMonths, ageOn, dayOf, parseDay, yearStart, type Day } from '../dates.js';
import { applyRate, parseRate, yuanToFen, type Fen, type Rate } from '../money.js';
import type { ResolvedPack, ResolvedParam } from '../policy/loader.js';
import type { Condition, Rule, RuleGroup } from '../policy/schema.js';
import { PERSON_KINDS, type PersonKind, type RegionClass, type SubsidyLevel, type Tier } from '../policy/vocabulary.js';
import type { QuoteInput } from './input.js';
import { statusBit } from './status-mask.js';

export interface Amount {
  fen: Fen;
  param: ResolvedParam;
}

export interface CompiledRule<G extends RuleGroup = RuleGroup> {
  id: string;
  rule: Rule<G>;
  param: ResolvedParam;
  matches: (q: QuoteInput, ctx: EvalContext) => boolean;
  /** ids of rules this one overrides, directly or through a chain */
  overrides: Set<string>;
  /** for assistance rules: the status mask they claim */
  statusMask: number;
}

/** Values derived once per quote and shared by every predicate. */
export interface EvalContext {
  age: number;
}

export interface SplitLine {
  level: SubsidyLevel;
  fen: Fen;
}

export interface CompiledPack {
  pack: ResolvedPack;
  tiers: Tier[];
  tiersParam: ResolvedParam | undefined;
  /** individual standard per kind: by tier (index 0 tier1, 1 tier2) or single [fen] */
  standard: Record<PersonKind, { byTier: Fen[] | null; single: Fen | null; param: ResolvedParam }>;
  perCapita: Amount;
  splits: Map<string, { lines: SplitLine[]; param: ResolvedParam }>;
  central: { rate: Rate; param: ResolvedParam; classParam: ResolvedParam; regionClass: RegionClass } | null;
  window: { from: Day; to: Day; param: ResolvedParam };
  coverageStart: Day;
  coverageEnd: Day;
  college: {
    period: 'academic_year' | 'natural_year';
    periodParam: ResolvedParam | undefined;
    academicYear: { from: Day; to: Day; param: ResolvedParam } | null;
    graduateEnd: 'academic_year_end' | 'coverage_year_end';
    graduateEndParam: ResolvedParam | undefined;
  };
  ageReference: { value: 'coverage_start' | 'payment_date'; param: ResolvedParam | undefined };
  guardianContribution: Amount | null;
  multipleStatuses: ResolvedParam | undefined;
  /** whether any assistance rule depends on age */
  ageConditioned: boolean;
  rules: { [G in RuleGroup]: CompiledRule<G>[] };
}

function need(pack: ResolvedPack, key: string): ResolvedParam {
  const p = pack.params.get(key);
  if (!p) throw new Error(`pack ${pack.id} lacks parameter ${key}`);
  return p;
}

export function compilePack(pack: ResolvedPack): CompiledPack {
  const tiersParam = pack.params.get('tiers');
  const tiers = ((tiersParam?.value as Tier[] | undefined) ?? []).slice();
  const def = need(pack, 'contribution.default');
  const standard = {} as CompiledPack['standard'];
  for (const kind of PERSON_KINDS) {
    const p = pack.params.get(`contribution.${kind}`) ?? def;
    const v = p.value as number | string | { tier1: number | string; tier2: number | string };
    standard[kind] =
      typeof v === 'object'
        ? { byTier: [yuanToFen(v.tier1), yuanToFen(v.tier2)], single: null, param: p }
        : { byTier: null, single: yuanToFen(v), param: p };
  }
  const perCapitaP = need(pack, 'fiscalSubsidy.perCapita');
  const splits = new Map<string, { lines: SplitLine[]; param: ResolvedParam }>();
  for (const [key, p] of pack.params)
    if (key.startsWith('fiscalSubsidy.split.'))
      splits.set(key.slice('fiscalSubsidy.split.'.length), {
        lines: (p.value as { level: SubsidyLevel; amount: number | string }[]).map((l) => ({ level: l.level, fen: yuanToFen(l.amount) })),
        param: p,
      });
  const classParam = pack.params.get('fiscalSubsidy.regionClass');
  let central: CompiledPack['central'] = null;
  if (classParam) {
    const regionClass = classParam.value as RegionClass;
    const shareP = need(pack, `fiscalSubsidy.centralShare.${regionClass}`);
    central = { rate: parseRate(shareP.value as string), param: shareP, classParam, regionClass };
  }
  const windowP = need(pack, 'enrollment.window');
  const w = windowP.value as { from: string; to: string };
  const year = pack.year;
  const acad = pack.params.get('college.academicYear');
  const guardian = pack.params.get('newborn.followingGuardianContribution');
  const compiled: CompiledPack = {
    pack,
    tiers,
    tiersParam,
    standard,
    perCapita: { fen: yuanToFen(perCapitaP.value as number), param: perCapitaP },
    splits,
    central,
    window: { from: parseDay(w.from), to: parseDay(w.to), param: windowP },
    coverageStart: yearStart(year),
    coverageEnd: dayOf(year, 12, 31),
    college: {
      period: (pack.params.get('college.period')?.value as 'academic_year' | 'natural_year') ?? 'natural_year',
      periodParam: pack.params.get('college.period'),
      academicYear: acad
        ? { from: parseDay((acad.value as { from: string }).from), to: parseDay((acad.value as { to: string }).to), param: acad }
        : null,
      graduateEnd: (pack.params.get('college.graduateBenefitEnd')?.value as 'academic_year_end' | 'coverage_year_end') ?? 'coverage_year_end',
      graduateEndParam: pack.params.get('college.graduateBenefitEnd'),
    },
    ageReference: {
      value: (pack.params.get('age.referenceDate')?.value as 'coverage_start' | 'payment_date') ?? 'coverage_start',
      param: pack.params.get('age.referenceDate'),
    },
    guardianContribution: guardian ? { fen: yuanToFen(guardian.value as number), param: guardian } : null,
    multipleStatuses: pack.params.get('assistance.multipleStatuses'),
    ageConditioned: [...pack.rules.assistance.values()].some((r) => r.when.ageBelow !== undefined || r.when.ageAtLeast !== undefined),
    rules: {} as CompiledPack['rules'],
  };
  for (const g of Object.keys(pack.rules) as RuleGroup[]) {
    const group = pack.rules[g] as Map<string, Rule & { param: ResolvedParam }>;
    const list: CompiledRule[] = [];
    for (const [id, r] of group) {
      const { param, ...rule } = r;
      list.push({
        id,
        rule: rule as Rule,
        param,
        matches: compileCondition(rule.when, compiled),
        overrides: new Set(),
        statusMask: rule.when.status ? rule.when.status.reduce((m, s) => m | statusBit(s), 0) : 0,
      });
    }
    const byId = new Map(list.map((r) => [r.id, r]));
    const close = (r: CompiledRule, seen: Set<string>): void => {
      for (const ex of r.rule.exceptionTo ?? [])
        if (!seen.has(ex)) {
          seen.add(ex);
          const next = byId.get(ex);
          if (next) close(next, seen);
        }
    };
    for (const r of list) close(r, r.overrides);
    (compiled.rules as Record<string, CompiledRule[]>)[g] = list;
  }
  return compiled;
}

/** A rule's conditions as one predicate; every condition written must hold. */
export function compileCondition(c: Condition, cp: CompiledPack): (q: QuoteInput, ctx: EvalContext) => boolean {
  const tests: ((q: QuoteInput, ctx: EvalContext) => boolean)[] = [];
  if (c.status) {
    const mask = c.status.reduce((m, s) => m | statusBit(s), 0);
    tests.push((q) => (q.statusMask & mask) !== 0);
  }
  if (c.tier) {
    const t = c.tier;
    tests.push((q) => q.tier === t);
  }
  if (c.kind) {
    const kinds = new Set<string>(c.kind);
    tests.push((q) => kinds.has(q.kind));
  }
  if (c.ageBelow !== undefined) {
    const n = c.ageBelow;
    tests.push((_q, ctx) => ctx.age < n);
  }
  if (c.ageAtLeast !== undefined) {
    const n = c.ageAtLeast;
    tests.push((_q, ctx) => ctx.age >= n);
  }
  if (c.paid) {
    const { from, to } = cp.window;
    switch (c.paid) {
      case 'none':
        tests.push((q) => q.paid === null);
        break;
      case 'in_window':
        tests.push((q) => q.paid !== null && q.paid >= from && q.paid <= to);
        break;
      case 'before_window':
        tests.push((q) => q.paid !== null && q.paid < from);
        break;
      case 'after_window':
        tests.push((q) => q.paid !== null && q.paid > to);
        break;
    }
  }
  if (c.paidAfter) {
    const d = parseDay(c.paidAfter);
    tests.push((q) => q.paid !== null && q.paid > d);
  }
  if (c.paidOnOrBefore) {
    const d = parseDay(c.paidOnOrBefore);
    tests.push((q) => q.paid !== null && q.paid <= d);
  }
  if (c.paidWithinDaysOfBirth !== undefined) {
    const n = c.paidWithinDaysOfBirth;
    // 出生之日起90日内: the birth day is day 1, so the last day is birth + n − 1
    tests.push((q) => q.paid !== null && q.paid >= q.birth && q.paid <= q.birth + n - 1);
  }
  if (c.bornInCoverageYear !== undefined) {
    const want = c.bornInCoverageYear;
    tests.push((q) => (q.birth >= cp.coverageStart && q.birth <= cp.coverageEnd) === want);
  }
  if (c.guardianEnrolled !== undefined) {
    const want = c.guardianEnrolled;
    tests.push((q) => q.guardianEnrolled === want);
  }
  if (c.employeeGapWithinMonths !== undefined) {
    const n = c.employeeGapWithinMonths;
    tests.push(
      (q) =>
        q.paid !== null &&
        q.previousCoverage !== null &&
        q.previousCoverage.scheme === 'employee' &&
        q.paid > q.previousCoverage.endedOn &&
        q.paid <= addMonths(q.previousCoverage.endedOn, n),
    );
  }
  if (c.graduatingPaidWithin) {
    const from = parseDay(`${cp.pack.year}-${c.graduatingPaidWithin.from}`);
    const until = addMonths(from, c.graduatingPaidWithin.months); // exclusive
    const year = cp.pack.year;
    tests.push((q) => q.graduationYear === year && q.paid !== null && q.paid >= from && q.paid < until);
  }
  if (tests.length === 0) return () => true;
  if (tests.length === 1) return tests[0];
  return (q, ctx) => {
    for (let i = 0; i < tests.length; i++) if (!tests[i](q, ctx)) return false;
    return true;
  };
}

/** The rules of a group that apply, after dropping those an applying exception overrides. */
export function applicable<G extends RuleGroup>(rules: CompiledRule<G>[], q: QuoteInput, ctx: EvalContext): CompiledRule<G>[] {
  const hit: CompiledRule<G>[] = [];
  for (let i = 0; i < rules.length; i++) if (rules[i].matches(q, ctx)) hit.push(rules[i]);
  if (hit.length < 2) return hit;
  return hit.filter((r) => !hit.some((o) => o !== r && o.overrides.has(r.id)));
}

export function referenceAge(cp: CompiledPack, q: QuoteInput): number {
  const at = cp.ageReference.value === 'payment_date' && q.paid !== null ? q.paid : cp.coverageStart;
  // A person born after the reference date (a newborn of the coverage year) is 0, not −1.
  return at < q.birth ? 0 : ageOn(q.birth, at);
}

export { applyRate };
