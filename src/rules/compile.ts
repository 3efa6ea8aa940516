/**
 * A resolved pack compiled for quoting: amounts in fen, dates as day numbers, rule
 * conditions as predicates. Pure data in, pure functions out; no I/O.
 */
import { ageOn, dayOf, parseDay, withinPeriod, yearStart, type Day, type PeriodCounting } from '../dates.js';
import { applyRate, parseRate, yuanToFen, type Fen, type Rate } from '../money.js';
import type { ResolvedPack, ResolvedParam } from '../policy/loader.js';
import type { Condition, Rule, RuleGroup } from '../policy/schema.js';
import { PERSON_KINDS, type PersonKind, type RegionClass, type Residence, type SubsidyLevel, type Tier } from '../policy/vocabulary.js';
import { enrolledDay, type QuoteInput } from './input.js';
import { statusBit } from './status-mask.js';
import { compileGroups, compileStatusList, matchesStatusList, type CompiledGroup, type GroupCheck } from './groups.js';

export type { CompiledGroup, GroupCheck };

/** One line of the standard: the coverage year's own contribution, or an earlier year's collected late (补征). */
export interface StandardLine {
  line: 'standard' | 'arrears';
  /** the coverage year the amount is a contribution for */
  forYear: number;
  fen: Fen;
  param: ResolvedParam;
}

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

/** Values derived once per quote and shared by every predicate, and what the predicates consulted. */
export interface EvalContext {
  age: number;
  /** a rule's period condition ("90日内", "3个月内") was reached: the pack's counting rule was applied */
  periodsCounted: boolean;
  /** groups with a residence condition (农村低收入人口) tested on a person holding one of their statuses (null: none yet) */
  groupChecks: Map<string, GroupCheck> | null;
}


export function evalContext(cp: CompiledPack, q: QuoteInput): EvalContext {
  return { age: referenceAge(cp, q), periodsCounted: false, groupChecks: null };
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
  /** the lines each standard is made of, per kind and tier index (0 tier1 or no tier, 1 tier2); frozen */
  standardLines: Record<PersonKind, readonly (readonly StandardLine[])[]>;
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
  /** part of the standard that is an earlier year's contribution collected late (补征) */
  arrears: { year: number; fen: Fen; param: ResolvedParam } | null;
  /** the average floor (平均不低于) the area's standards must meet, where the pack or a parent states one */
  averageFloor: Amount | null;
  /** the person kinds a subsidy class applies to (a class not listed applies to every kind) */
  classKinds: Map<string, { kinds: PersonKind[]; param: ResolvedParam }>;
  counting: { value: PeriodCounting; param: ResolvedParam | undefined };
  groups: Map<string, CompiledGroup>;
  residenceWhenUnknown: { value: Residence; param: ResolvedParam | undefined };
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
  const arrears = pack.params.get('contribution.arrears');
  const average = pack.params.get('contribution.average');
  const arrearsLine = arrears ? { year: (arrears.value as { year: number }).year, fen: yuanToFen((arrears.value as { amount: number | string }).amount), param: arrears } : null;
  const standardLines = {} as CompiledPack['standardLines'];
  for (const kind of PERSON_KINDS)
    standardLines[kind] = [0, 1].map((t) => {
      const s = standard[kind];
      const fen = s.byTier ? s.byTier[t] : s.single!;
      const lines: StandardLine[] =
        arrearsLine && arrearsLine.fen <= fen
          ? [
              { line: 'standard', forYear: pack.year, fen: fen - arrearsLine.fen, param: s.param },
              { line: 'arrears', forYear: arrearsLine.year, fen: arrearsLine.fen, param: arrearsLine.param },
            ]
          : [{ line: 'standard', forYear: pack.year, fen, param: s.param }];
      return Object.freeze(lines.map((l) => Object.freeze(l)));
    });
  const classKinds = new Map<string, { kinds: PersonKind[]; param: ResolvedParam }>();
  for (const [key, p] of pack.params)
    if (key.startsWith('fiscalSubsidy.classKinds.')) classKinds.set(key.slice('fiscalSubsidy.classKinds.'.length), { kinds: p.value as PersonKind[], param: p });
  const groups = compileGroups(pack.params);
  const counting = pack.params.get('periods.counting');
  const whenUnknown = pack.params.get('residence.whenUnknown');
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
    standardLines,
    arrears: arrearsLine,
    averageFloor: average && average.bound === 'min' ? { fen: yuanToFen(average.value as number), param: average } : null,
    classKinds,
    counting: { value: (counting?.value as PeriodCounting | undefined) ?? 'first_day_excluded', param: counting },
    groups,
    residenceWhenUnknown: { value: (whenUnknown?.value as Residence | undefined) ?? 'rural', param: whenUnknown },
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

type Test = (q: QuoteInput, ctx: EvalContext) => boolean;

/**
 * A rule's conditions as one predicate; every condition written must hold. Plain conditions are
 * tested first; then the period conditions (which note in the context that the counting rule was
 * applied); last a status condition naming a group with a residence (which notes what it tested),
 * so that the context records only what a rule whose other conditions hold consulted.
 */
export function compileCondition(c: Condition, cp: CompiledPack): Test {
  const plain: Test[] = [];
  const periods: Test[] = [];
  let group: Test | null = null;
  const counting = cp.counting.value;
  if (c.status) {
    const list = compileStatusList(c.status, cp.groups);
    const mask = list.mask;
    const whenUnknown = cp.residenceWhenUnknown.value;
    if (list.residential.length === 0) plain.push((q) => (q.statusMask & mask) !== 0);
    else group = (q, ctx) => matchesStatusList(list, q.statusMask, q.residence, whenUnknown, (g) => (ctx.groupChecks ??= new Map()).set(g.group.name, g));
  }
  if (c.tier) {
    const t = c.tier;
    plain.push((q) => q.tier === t);
  }
  if (c.kind) {
    const kinds = new Set<string>(c.kind);
    plain.push((q) => kinds.has(q.kind));
  }
  if (c.ageBelow !== undefined) {
    const n = c.ageBelow;
    plain.push((_q, ctx) => ctx.age < n);
  }
  if (c.ageAtLeast !== undefined) {
    const n = c.ageAtLeast;
    plain.push((_q, ctx) => ctx.age >= n);
  }
  if (c.paid) {
    const { from, to } = cp.window;
    switch (c.paid) {
      case 'none':
        plain.push((q) => q.paid === null);
        break;
      case 'in_window':
        plain.push((q) => q.paid !== null && q.paid >= from && q.paid <= to);
        break;
      case 'before_window':
        plain.push((q) => q.paid !== null && q.paid < from);
        break;
      case 'after_window':
        plain.push((q) => q.paid !== null && q.paid > to);
        break;
    }
  }
  if (c.paidAfter) {
    const d = parseDay(c.paidAfter);
    plain.push((q) => q.paid !== null && q.paid > d);
  }
  if (c.paidOnOrBefore) {
    const d = parseDay(c.paidOnOrBefore);
    plain.push((q) => q.paid !== null && q.paid <= d);
  }
  if (c.bornInCoverageYear !== undefined) {
    const want = c.bornInCoverageYear;
    plain.push((q) => (q.birth >= cp.coverageStart && q.birth <= cp.coverageEnd) === want);
  }
  if (c.guardianEnrolled !== undefined) {
    const want = c.guardianEnrolled;
    plain.push((q) => q.guardianEnrolled === want);
  }
  // 出生之日起90日内: counted from the birth date by the pack's counting rule
  if (c.paidWithinDaysOfBirth !== undefined) {
    const n = c.paidWithinDaysOfBirth;
    periods.push((q) => q.paid !== null && withinPeriod(q.paid, q.birth, n, 'day', counting));
  }
  if (c.enrolledWithinDaysOfBirth !== undefined) {
    const n = c.enrolledWithinDaysOfBirth;
    periods.push((q) => {
      const e = enrolledDay(q);
      return e !== null && withinPeriod(e, q.birth, n, 'day', counting);
    });
  }
  // 在职工医保中断缴费3个月内参加居民医保: the enrollment date, counted from the day the employee insurance ended
  if (c.employeeGapWithinMonths !== undefined) {
    const n = c.employeeGapWithinMonths;
    plain.push((q) => q.previousCoverage !== null && q.previousCoverage.scheme === 'employee');
    periods.push((q) => {
      const e = enrolledDay(q);
      return e !== null && withinPeriod(e, q.previousCoverage!.endedOn, n, 'month', counting);
    });
  }
  // 毕业当年9月1日后3个月内参加居民医保并补缴当年费用
  const year = cp.pack.year;
  if (c.graduatingPaidWithin || c.graduatingEnrolledWithin) plain.push((q) => q.graduationYear === year);
  if (c.graduatingPaidWithin) {
    const from = parseDay(`${year}-${c.graduatingPaidWithin.from}`);
    const n = c.graduatingPaidWithin.months;
    periods.push((q) => q.paid !== null && withinPeriod(q.paid, from, n, 'month', counting));
  }
  if (c.graduatingEnrolledWithin) {
    const from = parseDay(`${year}-${c.graduatingEnrolledWithin.from}`);
    const n = c.graduatingEnrolledWithin.months;
    periods.push((q) => {
      const e = enrolledDay(q);
      return e !== null && withinPeriod(e, from, n, 'month', counting);
    });
  }
  if (periods.length === 0 && group === null) {
    if (plain.length === 0) return () => true;
    if (plain.length === 1) return plain[0];
    return (q, ctx) => {
      for (let i = 0; i < plain.length; i++) if (!plain[i](q, ctx)) return false;
      return true;
    };
  }
  // every period condition reads a payment or the enrollment of a person who pays
  if (periods.length) plain.push((q) => q.paid !== null);
  const last = group;
  return (q, ctx) => {
    for (let i = 0; i < plain.length; i++) if (!plain[i](q, ctx)) return false;
    if (periods.length) {
      ctx.periodsCounted = true;
      for (let i = 0; i < periods.length; i++) if (!periods[i](q, ctx)) return false;
    }
    return last === null || last(q, ctx);
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
