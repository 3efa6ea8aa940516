/**
 * 分类资助: classified contribution assistance paid by the medical-assistance fund for needy
 * persons. Rules are the pack's; a person with several statuses gets the most favourable
 * rule (assistance.multipleStatuses), never more than the standard.
 */
import { applyRate, formatYuan, parseRate, yuanToFen, type Fen } from '../money.js';
import { STATUS_LABELS, type NeedyStatus } from '../policy/vocabulary.js';
import { applicable, type CompiledPack, type CompiledRule, type EvalContext } from './compile.js';
import { tier1Standard } from './contribution.js';
import type { QuoteInput } from './input.js';
import { matchedStatuses } from './status-mask.js';
import type { Trace } from './trace.js';

export function ruleAmount(cp: CompiledPack, r: CompiledRule<'assistance'>, standard: Fen): Fen {
  const a = r.rule.then.assist;
  if ('full' in a) return standard;
  if ('yuan' in a) return yuanToFen(a.yuan);
  const base = a.of === 'tier1' ? tier1Standard(cp) : standard;
  return applyRate(base, parseRate(a.rate));
}

export function contributionAssistance(
  cp: CompiledPack,
  q: QuoteInput,
  ctx: EvalContext,
  standard: Fen,
  trace: Trace,
): Fen {
  if (q.statusMask === 0) {
    { if (trace.on) trace.add('contributionAssistance', 0, '无困难群众身份，不享受分类资助'); }
    return 0;
  }
  const rules = applicable(cp.rules.assistance, q, ctx);
  if (rules.length === 0) {
    { if (trace.on) trace.add('contributionAssistance', 0, `身份（${q.statuses.map((s) => STATUS_LABELS[s as NeedyStatus] ?? s).join('、')}）在本统筹区本年度无适用的资助规则`); }
    return 0;
  }
  let best = rules[0];
  let bestFen = ruleAmount(cp, best, standard);
  for (let i = 1; i < rules.length; i++) {
    const f = ruleAmount(cp, rules[i], standard);
    if (f > bestFen) {
      best = rules[i];
      bestFen = f;
    }
  }
  if (trace.on && rules.length > 1) {
    const others = rules.filter((r) => r !== best).map((r) => `${r.rule.label ?? r.id} ${formatYuan(ruleAmount(cp, r, standard))} 元`);
    { if (trace.on) trace.add('assistance.multipleStatuses', best.id, `同时适用多项资助规则，取最有利的一项；未采用：${others.join('；')}`, cp.multipleStatuses); else trace.use(cp.multipleStatuses); }
  } else if (rules.length > 1) { if (trace.on) trace.add('assistance.multipleStatuses', best.id, '', cp.multipleStatuses); else trace.use(cp.multipleStatuses); }
  const capped = Math.min(bestFen, standard);
  if (trace.on) {
    const who = matchedStatuses(q.statuses, best.statusMask).map((s) => STATUS_LABELS[s as NeedyStatus]).join('、');
    { if (trace.on) trace.add('contributionAssistance', capped / 100, `按“${best.rule.label ?? best.id}”资助 ${formatYuan(bestFen)} 元（身份：${who}）${capped < bestFen ? `，以个人缴费标准 ${formatYuan(standard)} 元为限` : ''}`, best.param, best.id); else trace.use(best.param); }
  } else { if (trace.on) trace.add('contributionAssistance', 0, '', best.param); else trace.use(best.param); }
  return capped;
}
