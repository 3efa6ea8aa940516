/**
 * Room src/rules/ — pure computations of the notices: contribution, assistance, fiscal subsidy, enrollment, benefit period, the quote; settlement/ the three tiers.
 * May import: src/policy and the base; no I/O (no node core modules), checked by the layering test.
 *
 * The contribution quote: for one person, what the notice means — accepted or refused,
 * standard, assistance, what the person pays, the fiscal subsidy and its split, the
 * benefit period — each step traced to its rule. Pure: a compiled pack and an input in.
 * An answer that takes money gives a benefit period, or refuses (NO_BENEFIT_PERIOD).
 */
import type { Fen } from '../money.js';
import { formatDay, ymd } from '../dates.js';
import { formatYuan } from '../money.js';
import { REFUSAL_CODES, type RefusalCode, type Tier } from '../policy/vocabulary.js';
import { evalContext, type CompiledPack, type EvalContext } from './compile.js';
import { individualStandard, standardLines, type StandardLine } from './contribution.js';
import { contributionAssistance } from './assistance.js';
import { acceptance, subsidyDecision } from './enrollment.js';
import { subsidyShares, type SubsidyShare } from './fiscal-subsidy.js';
import { benefitPeriod, type BenefitPeriod } from './benefit-period.js';
import type { QuoteInput } from './input.js';
import { Trace, type TraceStep } from './trace.js';
import { countingStep, groupSteps, packWarning, subsidyClassWarning, type QuoteWarning } from './warnings.js';

export interface ContributionResult {
  accepted: boolean;
  reason: { code: RefusalCode; message: string } | null;
  tier: Tier | null;
  standard: Fen;
  /** the lines the standard is made of (the coverage year's own, an earlier year's collected late); they add up to it */
  standardLines: readonly StandardLine[];
  assistance: Fen | null;
  individualDue: Fen | null;
  /** the fiscal subsidy a late payer bears himself (0 when the subsidy is granted) */
  subsidyBorneByPerson: Fen | null;
  /** shares null: the pack splits the subsidy by class and the request named none */
  subsidy: { total: Fen; shares: SubsidyShare[] | null } | null;
  period: BenefitPeriod | null;
  examples: string[];
  warnings: readonly QuoteWarning[];
  trace: TraceStep[];
}

export function quoteContribution(cp: CompiledPack, q: QuoteInput, traceOn = true): ContributionResult {
  const trace = new Trace(traceOn);
  let warnings = packWarning(cp, q.region, trace);
  const acad = cp.college.academicYear;
  if (q.kind === 'college_student' && acad && q.paid !== null && q.paid > acad.to && q.graduationYear !== null && q.graduationYear === ymd(acad.to).y) {
    // A graduate enrolling after the academic year has ended is no longer a student: the
    // resident standard and the coverage year apply (interpretation; the notice says 补缴当年费用).
    q = { ...q, kind: 'adult' };
    if (trace.on) trace.add('kind', 'adult', `学年度（至 ${formatDay(acad.to)}）结束后参保的当年毕业生已不是在校大学生，按城乡居民（成年）标准和待遇年度计算（解释：通知称“补缴当年费用”）`, acad.param);
  }
  const ctx: EvalContext = evalContext(cp, q);
  if (cp.ageReference.param && cp.ageConditioned && q.statusMask !== 0) { if (trace.on) trace.add('age', ctx.age, `年龄条件按 ${ctx.age} 周岁计`, cp.ageReference.param); else trace.use(cp.ageReference.param); }
  let standard = individualStandard(cp, q, trace);
  let lines = standardLines(cp, q);

  if (q.kind === 'newborn' && (q.birth < cp.coverageStart || q.birth > cp.coverageEnd)) {
    { if (trace.on) trace.add('acceptance', 'NEWBORN_NOT_IN_COVERAGE_YEAR', '新生儿指待遇年度内出生者；请按学生、儿童参保'); }
    return refused(cp, q, ctx, standard, lines, 'NEWBORN_NOT_IN_COVERAGE_YEAR', REFUSAL_CODES.NEWBORN_NOT_IN_COVERAGE_YEAR, warnings, trace);
  }
  const acc = acceptance(cp, q, ctx, trace);
  if (!acc.accepted) return refused(cp, q, ctx, standard, lines, acc.code, acc.message, warnings, trace);

  let assistance: Fen = 0;
  let borne: Fen = 0;
  let subsidy: ContributionResult['subsidy'] = null;
  if (acc.how === 'guardian' && cp.guardianContribution) {
    standard = cp.guardianContribution.fen;
    lines = [{ line: 'standard', forYear: cp.pack.year, fen: standard, param: cp.guardianContribution.param }];
    { if (trace.on) trace.add('standardContribution', standard / 100, `随法定监护人参保的新生儿，个人缴费 ${formatYuan(standard)} 元`, cp.guardianContribution.param); else trace.use(cp.guardianContribution.param); }
  }
  const sd = subsidyDecision(cp, q, ctx, trace);
  if (sd.assistanceKept) assistance = contributionAssistance(cp, q, ctx, standard, trace);
  else { if (trace.on) trace.add('contributionAssistance', 0, '逾期缴费，资金全额由个人承担，不享受分类资助'); }
  if (sd.granted) {
    subsidy = { total: cp.perCapita.fen, shares: subsidyShares(cp, q, trace) };
    if (subsidy.shares === null) warnings = [...warnings, subsidyClassWarning(cp)];
  } else {
    borne = cp.perCapita.fen;
    { if (trace.on) trace.add('fiscalSubsidyBorneByPerson', borne / 100, `个人承担财政补助部分 ${formatYuan(borne)} 元`, cp.perCapita.param); else trace.use(cp.perCapita.param); }
  }
  const due = standard - assistance + borne;
  { if (trace.on) trace.add('individualDue', due / 100, `个人应缴 = 个人缴费标准 ${formatYuan(standard)} − 分类资助 ${formatYuan(assistance)}${borne ? ` + 个人承担的财政补助 ${formatYuan(borne)}` : ''} = ${formatYuan(due)} 元`); }
  const period = benefitPeriod(cp, q, ctx, trace);
  if (period === null) {
    // nobody pays for no cover: the waiting period ends after the period the contribution buys
    const college = q.kind === 'college_student' && cp.college.period === 'academic_year';
    const message = `${REFUSAL_CODES.NO_BENEFIT_PERIOD}${college ? '；在校大学生请按下一学年度（下一待遇年度）参保缴费' : '；请按下一待遇年度参保缴费'}`;
    if (trace.on) trace.add('acceptance', 'NO_BENEFIT_PERIOD', `${message}，不予受理`);
    return refused(cp, q, ctx, standard, lines, 'NO_BENEFIT_PERIOD', message, warnings, trace);
  }
  warnings = finish(cp, q, ctx, warnings, trace);
  return {
    accepted: true,
    reason: null,
    tier: q.tier,
    standard,
    standardLines: lines,
    assistance,
    individualDue: due,
    subsidyBorneByPerson: borne,
    subsidy,
    period,
    examples: trace.examples(),
    warnings,
    trace: trace.steps,
  };
}

/** The steps every answer ends with: the groups whose residence was tested, how periods were counted. */
function finish(cp: CompiledPack, q: QuoteInput, ctx: EvalContext, warnings: readonly QuoteWarning[], trace: Trace): readonly QuoteWarning[] {
  const out = ctx.groupChecks ? [...warnings, ...groupSteps(cp, q, ctx, trace)] : warnings;
  countingStep(cp, ctx, trace);
  return out;
}

function refused(
  cp: CompiledPack,
  q: QuoteInput,
  ctx: EvalContext,
  standard: Fen,
  lines: readonly StandardLine[],
  code: RefusalCode,
  message: string,
  warnings: readonly QuoteWarning[],
  trace: Trace,
): ContributionResult {
  warnings = finish(cp, q, ctx, warnings, trace);
  return {
    accepted: false,
    reason: { code, message },
    tier: q.tier,
    standard,
    standardLines: lines,
    assistance: null,
    individualDue: null,
    subsidyBorneByPerson: null,
    subsidy: null,
    period: null,
    examples: trace.examples(),
    warnings,
    trace: trace.steps,
  };
}
