/**
 * 大病保险: the in-scope personal burden left after the basic fund accumulates over the year;
 * above the yearly deductible (起付线) it is paid by segments; 倾斜支付 for the statuses the
 * pack names lowers the deductible, raises the ratios and may lift the limit.
 */
import { applyRate, formatYuan, type Fen, type Rate } from '../../money.js';
import { ENCOUNTER_LABELS, type EncounterType } from '../../policy/vocabulary.js';
import type { Trace } from '../trace.js';
import { matchesStatusList, type GroupCheck } from '../groups.js';
import type { CompiledBenefits } from './compile.js';
import type { Accumulators, SettlementPerson } from './input.js';
import type { FundDetail } from './result.js';

/** Pay for the part of [lo, hi) (amounts above the deductible) each segment covers. */
export function segmentPay(segments: readonly { from: Fen; rate: Rate }[], lo: Fen, hi: Fen, explain = false): { pay: Fen; parts: string[] } {
  let pay = 0;
  const parts: string[] = [];
  for (let i = 0; i < segments.length; i++) {
    const a = Math.max(lo, segments[i].from);
    const b = i + 1 < segments.length ? Math.min(hi, segments[i + 1].from) : hi;
    if (b <= a) continue;
    const p = applyRate(b - a, segments[i].rate);
    pay += p;
    if (explain) parts.push(`${formatYuan(b - a)}×${segments[i].rate.text}=${formatYuan(p)}`);
  }
  return { pay, parts };
}

export function criticalIllness(
  cb: CompiledBenefits,
  type: EncounterType,
  p: SettlementPerson,
  burden: Fen,
  acc: Accumulators,
  delta: Accumulators,
  trace: Trace,
): { pay: Fen; detail: FundDetail | null; groupChecks: GroupCheck[] | null } {
  const ci = cb.criticalIllness;
  let groupChecks: GroupCheck[] | null = null;
  if (!ci) return { pay: 0, detail: null, groupChecks };
  if (!ci.types.has(type)) {
    { if (trace.on) trace.add('hifmi_pay', 0, `${ENCOUNTER_LABELS[type]}费用不纳入大病保险`, ci.typesParam); else trace.use(ci.typesParam); }
    return { pay: 0, detail: null, groupChecks };
  }
  // 倾斜支付 for the statuses and groups the pack names; a group such as 农村低收入人口 also needs its residence
  const list = ci.preferentialList;
  const preferred =
    ci.preferential !== null &&
    (list.residential.length === 0
      ? (p.statusMask & list.mask) !== 0
      : matchesStatusList(list, p.statusMask, p.residence ?? null, cb.residenceWhenUnknown.value, (c) => (groupChecks ??= []).push(c)));
  let deductible = ci.deductible;
  let segments = ci.segments;
  let limit = ci.limit;
  { if (trace.on) trace.add('criticalIllness.deductible', deductible / 100, `大病保险起付线 ${formatYuan(deductible)} 元/人·年`, ci.deductibleParam); else trace.use(ci.deductibleParam); }
  if (preferred && ci.preferential) {
    const pr = ci.preferential;
    { if (trace.on) trace.add('criticalIllness.preferential', true, '属大病保险倾斜支付对象', ci.preferentialStatusesParam); else trace.use(ci.preferentialStatusesParam); }
    deductible = applyRate(deductible, pr.deductibleRate);
    segments = pr.segments;
    if (pr.noLimit) limit = null;
    { if (trace.on) trace.add('criticalIllness.preferential', deductible / 100, `倾斜支付：起付线按 ${pr.deductibleRate.text} 计为 ${formatYuan(deductible)} 元，各段支付比例提高 ${pr.ratioIncrease.text.replace("%", "")} 个百分点${pr.noLimit ? '，不设年度最高支付限额' : ''}`, pr.param); else trace.use(pr.param); }
  }
  const before = acc.criticalIllnessBase;
  const after = before + burden;
  delta.criticalIllnessBase += burden;
  { if (trace.on) trace.add('criticalIllness.base', after / 100, `大病保险合规费用累计：此前 ${formatYuan(before)} 元 + 本次基本医保后个人负担的政策范围内费用 ${formatYuan(burden)} 元 = ${formatYuan(after)} 元`); }
  const lo = Math.max(0, before - deductible);
  const hi = Math.max(0, after - deductible);
  const { pay: raw, parts } = segmentPay(segments, lo, hi, trace.on);
  let pay = raw;
  if (hi > lo) { if (trace.on) trace.add('criticalIllness.segments', raw / 100, `超过起付线部分分段支付：${parts.join('；')}`, ci.segmentsParam); else trace.use(ci.segmentsParam); }
  else { if (trace.on) trace.add('criticalIllness.segments', 0, `累计未超过起付线 ${formatYuan(deductible)} 元，大病保险不支付`); }
  const left = limit === null ? null : Math.max(0, limit - acc.criticalIllnessPaid);
  if (left !== null && pay > left) {
    { if (trace.on) trace.add('criticalIllness.limit', left / 100, `大病保险年度最高支付限额 ${formatYuan(limit!)} 元，本次最多支付 ${formatYuan(left)} 元`, ci.limitParam); else trace.use(ci.limitParam); }
    pay = left;
  }
  delta.criticalIllnessPaid += pay;
  { if (trace.on) trace.add('hifmi_pay', pay / 100, `大病保险支付 ${formatYuan(pay)} 元`); }
  return {
    pay,
    detail: { fundPayType: '390200', fundName: '城乡居民大病医疗保险基金', base: burden, limitLeft: left, amount: pay, info: { deductible, ratio: null, cumulative: after, preferential: preferred, classLabel: null, extra: 0 } },
    groupChecks,
  };
}
