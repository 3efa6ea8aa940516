/**
 * One-stop settlement (一站式结算) of one encounter through the three tiers — 基本医保,
 * 大病保险, 医疗救助 — in that order, each on what the one before left. Pure: compiled
 * benefits, person, encounter and accumulators in; amounts, per-fund detail, the
 * accumulator delta and a trace out. Funds + cash = total cost, to the fen.
 */
import { formatDay } from '../../dates.js';
import { formatYuan, type Fen } from '../../money.js';
import { ENCOUNTER_LABELS, SETTLEMENT_CODES, type EncounterType, type SettlementCode } from '../../policy/vocabulary.js';
import { Trace } from '../trace.js';
import { groupCheckSteps, type QuoteWarning } from '../warnings.js';
import { basicFund } from './basic-fund.js';
import type { CompiledBenefits, PaidType } from './compile.js';
import { criticalIllness } from './critical-illness.js';
import { addAccumulators, emptyAccumulators, type Accumulators, type Encounter, type SettlementPerson } from './input.js';
import { medicalAssistance } from './medical-assistance.js';
import type { FundDetail, SettlementResult } from './result.js';

export function settle(cb: CompiledBenefits, p: SettlementPerson, e: Encounter, acc: Accumulators, traceOn = true): SettlementResult {
  const trace = new Trace(traceOn);
  const delta = emptyAccumulators();
  const c = e.costs;
  { if (trace.on) trace.add(
    'costs',
    c.total / 100,
    `医疗费总额 ${formatYuan(c.total)} = 全自费 ${formatYuan(c.fullOwnPay)} + 超限价自费 ${formatYuan(c.overLimitSelfPay)} + 先行自付 ${formatYuan(c.preSelfPay)} + 符合政策范围 ${formatYuan(c.inScope)} 元`,
  ); }
  if (p.periodAssumed) { if (trace.on) trace.add('benefitPeriod', null, `未提供待遇享受期，按整个待遇年度 ${formatDay(cb.coverageStart)} 至 ${formatDay(cb.coverageEnd)} 计算（假定，非核定结果）`); }

  if (e.date < cb.coverageStart || e.date > cb.coverageEnd) return cash(cb, e, trace, delta, acc, 'OUTSIDE_COVERAGE_YEAR', `就诊日期 ${formatDay(e.date)} 不在 ${cb.pack.year} 待遇年度内`);
  if (e.date < p.benefitStart || e.date > p.benefitEnd)
    return cash(cb, e, trace, delta, acc, 'OUTSIDE_BENEFIT_PERIOD', `就诊日期 ${formatDay(e.date)} 不在待遇享受期 ${formatDay(p.benefitStart)} 至 ${formatDay(p.benefitEnd)} 内，费用由个人负担`);

  let type: EncounterType = e.type;
  if (type === 'maternity') {
    if (!cb.maternity || !e.setting) return cash(cb, e, trace, delta, acc, 'ENCOUNTER_TYPE_NOT_COVERED');
    type = e.setting === 'inpatient' ? 'inpatient' : 'general_outpatient';
    { if (trace.on) trace.add('settledAs', type, `生育${e.setting === 'inpatient' ? '住院费用按住院规定' : '门诊费用按门诊统筹规定'}支付`, cb.maternity); else trace.use(cb.maternity); }
  }
  const paid = type as PaidType;
  if (!cb.basic[paid]) return cash(cb, e, trace, delta, acc, 'ENCOUNTER_TYPE_NOT_COVERED', `政策包未规定${ENCOUNTER_LABELS[type]}的待遇，费用由个人负担`);
  if (type === 'chronic_special_outpatient') {
    if (!e.disease || !cb.diseases?.byCode.has(e.disease)) return cash(cb, e, trace, delta, acc, 'DISEASE_NOT_LISTED', `病种 ${e.disease ?? '（未填）'} 不在门诊慢特病病种范围内，费用由个人负担`);
    { if (trace.on) trace.add('disease', e.disease, `门诊慢特病病种：${cb.diseases.byCode.get(e.disease)!.name}`, cb.diseases.param); else trace.use(cb.diseases.param); }
  }

  const basic = basicFund(cb, paid, p, e, acc, delta, trace);
  const afterBasic = c.inScope - basic.pay;
  const ci = criticalIllness(cb, type, p, afterBasic, acc, delta, trace);
  const afterCi = afterBasic - ci.pay;
  const ma = medicalAssistance(cb, type, p, e, afterCi, acc, delta, trace);
  const detail: FundDetail[] = [basic.detail];
  if (ci.detail) detail.push(ci.detail);
  if (ma.detail) detail.push(ma.detail);
  const warnings = ci.groupChecks ? groupCheckSteps(ci.groupChecks, p.statuses, cb.residenceWhenUnknown.param, trace) : undefined;
  return result(cb, e, trace, null, type, basic.deductible, basic.ratio, basic.pay, ci.pay, ma.pay, detail, delta, acc, warnings);
}

function cash(cb: CompiledBenefits, e: Encounter, trace: Trace, delta: Accumulators, acc: Accumulators, code: SettlementCode, explain?: string): SettlementResult {
  const message = explain ?? SETTLEMENT_CODES[code];
  if (trace.on) trace.add('cashReason', code, message);
  return result(cb, e, trace, { code, message }, null, 0, null, 0, 0, 0, [], delta, acc);
}

function result(
  cb: CompiledBenefits,
  e: Encounter,
  trace: Trace,
  cashReason: SettlementResult['cashReason'],
  settledAs: string | null,
  deductiblePaid: Fen,
  basicRatio: SettlementResult['basicRatio'],
  basicFund: Fen,
  ci: Fen,
  ma: Fen,
  detail: FundDetail[],
  delta: Accumulators,
  acc: Accumulators,
  warnings?: QuoteWarning[],
): SettlementResult {
  const fundTotal = basicFund + ci + ma;
  const personalBurden = e.costs.total - fundTotal;
  { if (trace.on) trace.add('psn_cash_pay', personalBurden / 100, `个人现金支付 = 总额 ${formatYuan(e.costs.total)} − 基金支付 ${formatYuan(fundTotal)} = ${formatYuan(personalBurden)} 元`); }
  void cb;
  return {
    cashReason,
    settledAs,
    costs: e.costs,
    lines: e.lines,
    deductiblePaid,
    basicRatio,
    basicFund,
    criticalIllness: ci,
    medicalAssistance: ma,
    fundTotal,
    personalBurden,
    detail,
    delta,
    after: addAccumulators(acc, delta),
    examples: trace.examples(),
    warnings,
    trace: trace.steps,
  };
}

/** Reversing a settlement: the accumulators before it, exactly. */
export function reverse(acc: Accumulators, settled: Pick<SettlementResult, 'delta'>): Accumulators {
  return addAccumulators(acc, settled.delta, -1);
}
