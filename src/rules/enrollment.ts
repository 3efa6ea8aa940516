/**
 * 参保缴费: whether a payment on a date is accepted for the coverage year, and whether the
 * fiscal subsidy (and assistance) still applies to it — all from the pack's rules.
 */
import { formatDay } from '../dates.js';
import { RuleConflictError } from '../policy/errors.js';
import { REFUSAL_CODES, type RefusalCode } from '../policy/vocabulary.js';
import { applicable, type CompiledPack, type CompiledRule, type EvalContext } from './compile.js';
import type { RuleGroup } from '../policy/schema.js';
import type { QuoteInput } from './input.js';
import type { Trace } from './trace.js';

/** The one outcome of a rule group for this case; rules that still disagree are a conflict. */
export function decide<G extends RuleGroup>(cp: CompiledPack, group: G, q: QuoteInput, ctx: EvalContext): CompiledRule<G> | null {
  const rules = applicable(cp.rules[group] as CompiledRule<G>[], q, ctx);
  if (rules.length === 0) return null;
  if (rules.length === 1) return rules[0];
  const first = JSON.stringify(rules[0].rule.then);
  for (let i = 1; i < rules.length; i++)
    if (JSON.stringify(rules[i].rule.then) !== first)
      throw new RuleConflictError(cp.pack.id, group, rules.map((r) => r.id), 'to this case');
  return rules[0];
}

export type Acceptance =
  | { accepted: true; how: string }
  | { accepted: false; code: RefusalCode; message: string };

const ACCEPT_LABELS: Record<string, string> = {
  window: '集中参保期内缴费',
  late: '集中参保期后、最迟缴费期限前缴费',
  newborn: '新生儿出生之日起规定期限内独立参保',
  guardian: '新生儿随法定监护人参保',
  graduate: '毕业当年在规定期限内参保',
  exempt: '按规定受理',
};

export function acceptance(cp: CompiledPack, q: QuoteInput, ctx: EvalContext, trace: Trace): Acceptance {
  const when = !trace.on ? '' : q.paid === null ? '未缴费' : `${formatDay(q.paid)}${q.paidAssumed ? '（未提供缴费日期，按集中参保期首日估算）' : ''}缴费`;
  const r = decide(cp, 'acceptance', q, ctx);
  if (!r) {
    { if (trace.on) trace.add('acceptance', 'NO_APPLICABLE_RULE', `${when}：政策包中没有适用的受理规则`); }
    return { accepted: false, code: 'NO_APPLICABLE_RULE', message: REFUSAL_CODES.NO_APPLICABLE_RULE };
  }
  const then = r.rule.then;
  if ('refuse' in then) {
    { if (trace.on) trace.add('acceptance', then.refuse, `${when}：${REFUSAL_CODES[then.refuse]}，不予受理`, r.param, r.id); else trace.use(r.param); }
    return { accepted: false, code: then.refuse, message: `${REFUSAL_CODES[then.refuse]}（${r.param.cite ?? '示例规则'}）` };
  }
  { if (trace.on) trace.add('acceptance', then.accept, `${when}：${ACCEPT_LABELS[then.accept]}，予以受理`, r.param, r.id); else trace.use(r.param); }
  return { accepted: true, how: then.accept };
}

export interface SubsidyDecision {
  granted: boolean;
  assistanceKept: boolean;
}

export function subsidyDecision(cp: CompiledPack, q: QuoteInput, ctx: EvalContext, trace: Trace): SubsidyDecision {
  const r = decide(cp, 'subsidy', q, ctx);
  if (!r) {
    { if (trace.on) trace.add('fiscalSubsidy.eligible', true, '无财政补助限制规则，照常享受财政补助'); }
    return { granted: true, assistanceKept: true };
  }
  const granted = r.rule.then.subsidy === 'granted';
  const assistanceKept = r.rule.then.assistance !== 'lost';
  { if (trace.on) trace.add(
    'fiscalSubsidy.eligible',
    granted,
    granted ? '享受财政补助' : `不享受财政补助，财政补助部分由个人承担${assistanceKept ? '' : '，分类资助亦不适用'}`,
    r.param,
    r.id,
  ); else trace.use(r.param); }
  return { granted, assistanceKept };
}
