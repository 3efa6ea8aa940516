/**
 * 医疗救助: for assistance recipients, the policy-scope personal burden left after the basic
 * fund and 大病保险, above the class's yearly deductible, at the class's ratio, within the
 * annual limit shared by outpatient and inpatient care; then 倾斜救助 where the burden left
 * after the three tiers stays heavy.
 */
import { applyRate, formatYuan, type Fen } from '../../money.js';
import { ENCOUNTER_LABELS, type EncounterType } from '../../policy/vocabulary.js';
import type { Trace } from '../trace.js';
import type { CompiledBenefits } from './compile.js';
import type { Accumulators, Encounter, SettlementPerson } from './input.js';
import type { FundDetail } from './result.js';

/** The most favourable assistance class the person belongs to: highest ratio, then lowest deductible. */
export function assistanceClass(cb: CompiledBenefits, statusMask: number): NonNullable<CompiledBenefits['assistance']>['classes'][number] | null {
  const ma = cb.assistance;
  if (!ma || statusMask === 0) return null;
  let best: (typeof ma.classes)[number] | null = null;
  for (const c of ma.classes) {
    if ((c.mask & statusMask) === 0) continue;
    if (!best) best = c;
    else {
      const cmp = c.rate.num * best.rate.den - best.rate.num * c.rate.den;
      if (cmp > 0 || (cmp === 0 && c.deductible < best.deductible)) best = c;
    }
  }
  return best;
}

export function medicalAssistance(
  cb: CompiledBenefits,
  type: EncounterType,
  p: SettlementPerson,
  e: Encounter,
  burden: Fen,
  acc: Accumulators,
  delta: Accumulators,
  trace: Trace,
): { pay: Fen; detail: FundDetail | null } {
  const ma = cb.assistance;
  if (!ma) return { pay: 0, detail: null };
  const cls = assistanceClass(cb, p.statusMask);
  if (!cls) {
    if (p.statusMask !== 0) { if (trace.on) trace.add('maf_pay', 0, '所持身份不属医疗救助对象', ma.classesParam); else trace.use(ma.classesParam); }
    return { pay: 0, detail: null };
  }
  if (!ma.types.has(type)) {
    { if (trace.on) trace.add('maf_pay', 0, `${ENCOUNTER_LABELS[type]}费用不在医疗救助范围`, ma.typesParam); else trace.use(ma.typesParam); }
    return { pay: 0, detail: null };
  }
  { if (trace.on) trace.add('medicalAssistance.class', cls.label, `按${cls.label}救助：年度起付标准 ${formatYuan(cls.deductible)} 元，救助比例 ${cls.rate.text}（多重身份取最有利者）`, ma.classesParam); else trace.use(ma.classesParam); }
  const dedLeft = Math.max(0, cls.deductible - acc.assistanceDeductible);
  const act = Math.min(dedLeft, burden);
  delta.assistanceDeductible += act;
  let pay = applyRate(burden - act, cls.rate);
  { if (trace.on) trace.add('medicalAssistance.computed', pay / 100, `（经基本医保、大病保险后政策范围内个人负担 ${formatYuan(burden)} − 起付 ${formatYuan(act)}）× ${cls.rate.text} = ${formatYuan(pay)} 元`); }
  const left = Math.max(0, ma.limit - acc.assistancePaid);
  if (pay > left) {
    { if (trace.on) trace.add('medicalAssistance.limit', left / 100, `医疗救助年度限额 ${formatYuan(ma.limit)} 元（门诊、住院共用），本次最多 ${formatYuan(left)} 元`, ma.limitParam); else trace.use(ma.limitParam); }
    pay = left;
  } else if (ma.sharedParam) { if (trace.on) trace.add('medicalAssistance.limit', left / 100, `门诊和住院救助共用年度救助限额 ${formatYuan(ma.limit)} 元，尚余 ${formatYuan(left)} 元`, ma.sharedParam); else trace.use(ma.sharedParam); }
  delta.assistancePaid += pay;

  // 倾斜救助
  let extra = 0;
  /** what 倾斜救助 may still pay this year (it has a limit of its own beside the assistance limit) */
  let prefLeft = 0;
  const pr = ma.preferential;
  const remaining = burden - pay;
  if (pr) {
    const eligible = (!pr.requiresReferral || e.referred) && (!pr.inProvinceOnly || e.location !== 'out_of_province');
    const before = acc.burdenAfterThreeTiers;
    const after = before + remaining;
    delta.burdenAfterThreeTiers += remaining;
    if (eligible) {
      const above = Math.max(0, after - pr.threshold) - Math.max(0, before - pr.threshold);
      extra = applyRate(above, pr.rate);
      prefLeft = Math.max(0, pr.limit - acc.preferentialAssistancePaid);
      if (extra > prefLeft) extra = prefLeft;
      extra = Math.min(extra, remaining);
      if (above > 0)
        { if (trace.on) trace.add('medicalAssistance.preferential', extra / 100, `倾斜救助：三重制度后政策范围内个人负担累计 ${formatYuan(after)} 元，超过 ${formatYuan(pr.threshold)} 元的 ${formatYuan(above)} 元按 ${pr.rate.text} 救助 ${formatYuan(extra)} 元`, pr.param); else trace.use(pr.param); }
      delta.preferentialAssistancePaid += extra;
    } else if (after > pr.threshold)
      { if (trace.on) trace.add('medicalAssistance.preferential', 0, '倾斜救助限规范转诊且在省域内就医的救助对象', pr.param); else trace.use(pr.param); }
  }
  const total = pay + extra;
  { if (trace.on) trace.add('maf_pay', total / 100, `医疗救助基金支付 ${formatYuan(total)} 元`); }
  return {
    pay: total,
    // one line for the fund: its limit left is the assistance limit's and, where it applies, 倾斜救助's own
    detail: { fundPayType: '610100', fundName: '医疗救助基金', base: burden, limitLeft: left + prefLeft, amount: total, info: { deductible: act, ratio: cls.rate, cumulative: null, preferential: false, classLabel: cls.label, extra } },
  };
}
