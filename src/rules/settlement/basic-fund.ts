/**
 * 基本医保统筹基金: deductible (per admission, lower for later admissions; per year for
 * outpatient types), the ratio by tier and hospital level less the out-of-area reduction,
 * and the annual limits.
 */
import { applyRate, formatYuan, type Fen, type Rate } from '../../money.js';
import { ENCOUNTER_LABELS, LEVEL_LABELS } from '../../policy/vocabulary.js';
import type { ResolvedParam } from '../../policy/loader.js';
import type { Trace } from '../trace.js';
import { subtractRate, type CompiledBenefits, type PaidType } from './compile.js';
import type { Accumulators, Encounter, SettlementPerson } from './input.js';
import type { FundDetail } from './result.js';

export interface BasicOutcome {
  deductible: Fen;
  ratio: Rate;
  pay: Fen;
  detail: FundDetail;
}

export function basicFund(cb: CompiledBenefits, type: PaidType, p: SettlementPerson, e: Encounter, acc: Accumulators, delta: Accumulators, trace: Trace): BasicOutcome {
  const b = cb.basic[type]!;
  const S = e.costs.inScope;
  const label = ENCOUNTER_LABELS[type];
  // Deductible.
  let ded = b.deductible.get(p.tier, e.level);
  let deductibleLeft: Fen;
  if (type === 'inpatient') {
    { if (trace.on) trace.add('basic.deductible', ded / 100, `${label}${LEVEL_LABELS[e.level]}医院起付线 ${formatYuan(ded)} 元`, b.deductible.param); else trace.use(b.deductible.param); }
    // a later part of an admission its earlier parts already counted: the admissions before it exclude itself
    const continued = e.stay?.admissionCounted === true;
    const before = continued ? Math.max(0, acc.inpatientAdmissions - 1) : acc.inpatientAdmissions;
    if (before > 0 && cb.laterAdmission) {
      ded = applyRate(ded, cb.laterAdmission.rate);
      { if (trace.on) trace.add('basic.deductible', ded / 100, `本年度第 ${before + 1} 次住院，起付线按 ${cb.laterAdmission.rate.text} 计为 ${formatYuan(ded)} 元`, cb.laterAdmission.param); else trace.use(cb.laterAdmission.param); }
    }
    // the deductible is the admission's (起付线按次): a mid-stay settlement and the discharge settlement share it
    const applied = e.stay ? e.stay.deductibleApplied : 0;
    deductibleLeft = Math.max(0, ded - applied);
    if (e.stay) { if (trace.on) trace.add('basic.deductible', deductibleLeft / 100, `本次住院已中途结算，起付线 ${formatYuan(ded)} 元已计 ${formatYuan(applied)} 元，本次尚余 ${formatYuan(deductibleLeft)} 元`, b.deductible.param); else trace.use(b.deductible.param); }
    if (!continued) delta.inpatientAdmissions += 1;
  } else {
    const used = type === 'general_outpatient' ? acc.generalOutpatientDeductible : type === 'hypertension_diabetes' ? acc.hypertensionDiabetesDeductible : acc.chronicDeductible;
    deductibleLeft = Math.max(0, ded - used);
    { if (trace.on) trace.add('basic.deductible', ded / 100, `${label}年度起付线 ${formatYuan(ded)} 元，本年已累计 ${formatYuan(used)} 元，尚余 ${formatYuan(deductibleLeft)} 元`, b.deductible.param); else trace.use(b.deductible.param); }
  }
  const act = Math.min(deductibleLeft, S);
  if (type === 'general_outpatient') delta.generalOutpatientDeductible += act;
  else if (type === 'hypertension_diabetes') delta.hypertensionDiabetesDeductible += act;
  else if (type === 'chronic_special_outpatient') delta.chronicDeductible += act;

  // Ratio.
  let ratio = b.ratio.get(p.tier, e.level);
  { if (trace.on) trace.add('basic.ratio', ratio.text, `${p.tier ? (p.tier === 'tier1' ? '一档' : '二档') : ''}${LEVEL_LABELS[e.level]}医院${label}统筹基金支付比例 ${ratio.text}`, b.ratio.param); else trace.use(b.ratio.param); }
  if (e.location !== 'in_area' && cb.outOfArea) {
    const cut = cb.outOfArea[e.location];
    ratio = subtractRate(ratio, cut);
    let why = `${e.location === 'in_province' ? '省内异地' : '跨省异地'}就医降低 ${cut.text}`;
    if (!e.referred) {
      ratio = subtractRate(ratio, cb.outOfArea.unreferred);
      why += `，未按规定转诊再降低 ${cb.outOfArea.unreferred.text}`;
    }
    { if (trace.on) trace.add('basic.ratio', ratio.text, `${why}，实际支付比例 ${ratio.text}`, cb.outOfArea.param); else trace.use(cb.outOfArea.param); }
  }
  const eligible = S - act;
  let pay = applyRate(eligible, ratio);
  { if (trace.on) trace.add('basic.computed', pay / 100, `（政策范围内 ${formatYuan(S)} − 起付线 ${formatYuan(act)}）× ${ratio.text} = ${formatYuan(pay)} 元`); }

  // Limits.
  const lim: LimitState = { pay, left: null };
  if (type === 'inpatient' || type === 'chronic_special_outpatient') {
    if (cb.basicLimit) applyLimit(lim, cb.basicLimit.get(p.tier), acc.basicPaid, '基本医保统筹基金年度最高支付限额', cb.basicLimit.param, trace);
    if (type === 'chronic_special_outpatient' && e.disease && cb.diseases) {
      const d = cb.diseases.byCode.get(e.disease)!;
      applyLimit(lim, d.limit, acc.chronicPaid[e.disease] ?? 0, d.name + '门诊年度支付限额', cb.diseases.param, trace);
      delta.chronicPaid[e.disease] = (delta.chronicPaid[e.disease] ?? 0) + lim.pay;
    }
    delta.basicPaid += lim.pay;
  } else if (b.annualLimit) {
    const used = type === 'general_outpatient' ? acc.generalOutpatientPaid : acc.hypertensionDiabetesPaid;
    applyLimit(lim, b.annualLimit.get(p.tier), used, label + '年度支付限额', b.annualLimit.param, trace);
    if (type === 'general_outpatient') delta.generalOutpatientPaid += lim.pay;
    else delta.hypertensionDiabetesPaid += lim.pay;
  }
  pay = lim.pay;
  const left = lim.left;
  { if (trace.on) trace.add('hifp_pay', pay / 100, `基本医保统筹基金支付 ${formatYuan(pay)} 元`); }
  const outpatientPool = type === 'general_outpatient' || type === 'hypertension_diabetes';
  return {
    deductible: act,
    ratio,
    pay,
    detail: {
      fundPayType: outpatientPool ? '390102' : '390100',
      fundName: outpatientPool ? '居民门诊统筹基金' : '城乡居民基本医疗保险基金',
      base: S,
      limitLeft: left,
      amount: pay,
      info: { deductible: act, ratio, cumulative: null, preferential: false, classLabel: null, extra: 0 },
    },
  };
}

interface LimitState {
  pay: Fen;
  /** the least of the limits' remainders (null: no limit applied) */
  left: Fen | null;
}

function applyLimit(s: LimitState, limit: Fen, used: Fen, what: string, param: ResolvedParam, trace: Trace): void {
  const rest = Math.max(0, limit - used);
  s.left = s.left === null ? rest : Math.min(s.left, rest);
  if (s.pay > rest) {
    if (trace.on) trace.add('basic.limit', rest / 100, `${what} ${formatYuan(limit)} 元，本年已支付 ${formatYuan(used)} 元，本次最多支付 ${formatYuan(rest)} 元`, param);
    else trace.use(param);
    s.pay = rest;
  }
}
