/**
 * Room src/rules/ — pure computations of the notices: contribution, assistance, fiscal subsidy, enrollment, benefit period, the quote; settlement/ the three tiers.
 * May import: src/policy and the base; no I/O (no node core modules), checked by the layering test.
 *
 * The contribution quote: for one person, what the notice means — accepted or refused,
 * standard, assistance, what the person pays, the fiscal subsidy and its split, the
 * benefit period — each step traced to its rule. Pure: a compiled pack and an input in.
 */
import type { Fen } from '../money.js';
import { formatDay, ymd } from '../dates.js';
import { formatYuan } from '../money.js';
import { REFUSAL_CODES, type RefusalCode } from '../policy/vocabulary.js';
import { referenceAge, type CompiledPack, type EvalContext } from './compile.js';
import { individualStandard } from './contribution.js';
import { contributionAssistance } from './assistance.js';
import { acceptance, subsidyDecision } from './enrollment.js';
import { subsidyShares, type SubsidyShare } from './fiscal-subsidy.js';
import { benefitPeriod, type BenefitPeriod } from './benefit-period.js';
import type { QuoteInput } from './input.js';
import { Trace, type TraceStep } from './trace.js';

export interface ContributionResult {
  accepted: boolean;
  reason: { code: RefusalCode; message: string } | null;
  standard: Fen;
  assistance: Fen | null;
  individualDue: Fen | null;
  /** the fiscal subsidy a late payer bears himself (0 when the subsidy is granted) */
  subsidyBorneByPerson: Fen | null;
  subsidy: { total: Fen; shares: SubsidyShare[] } | null;
  period: BenefitPeriod | null;
  examples: string[];
  trace: TraceStep[];
}

export function quoteContribution(cp: CompiledPack, q: QuoteInput, traceOn = true): ContributionResult {
  const trace = new Trace(traceOn);
  const acad = cp.college.academicYear;
  if (q.kind === 'college_student' && acad && q.paid !== null && q.paid > acad.to && q.graduationYear !== null && q.graduationYear === ymd(acad.to).y) {
    // A graduate enrolling after the academic year has ended is no longer a student: the
    // resident standard and the coverage year apply (interpretation; the notice says 补缴当年费用).
    q = { ...q, kind: 'adult' };
    if (trace.on) trace.add('kind', 'adult', `学年度（至 ${formatDay(acad.to)}）结束后参保的当年毕业生已不是在校大学生，按城乡居民（成年）标准和待遇年度计算（解释：通知称“补缴当年费用”）`, acad.param);
  }
  const ctx: EvalContext = { age: referenceAge(cp, q) };
  if (cp.ageReference.param && cp.ageConditioned && q.statusMask !== 0) { if (trace.on) trace.add('age', ctx.age, `年龄条件按 ${ctx.age} 周岁计`, cp.ageReference.param); else trace.use(cp.ageReference.param); }
  let standard = individualStandard(cp, q, trace);

  if (q.kind === 'newborn' && (q.birth < cp.coverageStart || q.birth > cp.coverageEnd)) {
    { if (trace.on) trace.add('acceptance', 'NEWBORN_NOT_IN_COVERAGE_YEAR', '新生儿指待遇年度内出生者；请按学生、儿童参保'); }
    return refused(standard, 'NEWBORN_NOT_IN_COVERAGE_YEAR', REFUSAL_CODES.NEWBORN_NOT_IN_COVERAGE_YEAR, trace);
  }
  const acc = acceptance(cp, q, ctx, trace);
  if (!acc.accepted) return refused(standard, acc.code, acc.message, trace);

  let assistance: Fen = 0;
  let borne: Fen = 0;
  let subsidy: ContributionResult['subsidy'] = null;
  if (acc.how === 'guardian' && cp.guardianContribution) {
    standard = cp.guardianContribution.fen;
    { if (trace.on) trace.add('standardContribution', standard / 100, `随法定监护人参保的新生儿，个人缴费 ${formatYuan(standard)} 元`, cp.guardianContribution.param); else trace.use(cp.guardianContribution.param); }
  }
  const sd = subsidyDecision(cp, q, ctx, trace);
  if (sd.assistanceKept) assistance = contributionAssistance(cp, q, ctx, standard, trace);
  else { if (trace.on) trace.add('contributionAssistance', 0, '逾期缴费，资金全额由个人承担，不享受分类资助'); }
  if (sd.granted) subsidy = { total: cp.perCapita.fen, shares: subsidyShares(cp, q, trace) };
  else {
    borne = cp.perCapita.fen;
    { if (trace.on) trace.add('fiscalSubsidyBorneByPerson', borne / 100, `个人承担财政补助部分 ${formatYuan(borne)} 元`, cp.perCapita.param); else trace.use(cp.perCapita.param); }
  }
  const due = standard - assistance + borne;
  { if (trace.on) trace.add('individualDue', due / 100, `个人应缴 = 个人缴费标准 ${formatYuan(standard)} − 分类资助 ${formatYuan(assistance)}${borne ? ` + 个人承担的财政补助 ${formatYuan(borne)}` : ''} = ${formatYuan(due)} 元`); }
  const period = benefitPeriod(cp, q, ctx, trace);
  return {
    accepted: true,
    reason: null,
    standard,
    assistance,
    individualDue: due,
    subsidyBorneByPerson: borne,
    subsidy,
    period,
    examples: trace.examples(),
    trace: trace.steps,
  };
}

function refused(standard: Fen, code: RefusalCode, message: string, trace: Trace): ContributionResult {
  return {
    accepted: false,
    reason: { code, message },
    standard,
    assistance: null,
    individualDue: null,
    subsidyBorneByPerson: null,
    subsidy: null,
    period: null,
    examples: trace.examples(),
    trace: trace.steps,
  };
}
