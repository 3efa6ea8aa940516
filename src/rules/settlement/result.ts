/** What a settlement answers: the split, what each fund pays, the cash, the per-fund detail, the accumulator delta. */
import { formatYuan, type Fen, type Rate } from '../../money.js';
import type { SettlementCode } from '../../policy/vocabulary.js';
import type { TraceStep } from '../trace.js';
import type { QuoteWarning } from '../warnings.js';
import type { Accumulators, CostSplit, LineSplit } from './input.js';

/** One line of the national setldetail: a fund, its base, the limit applied, what it paid. */
export interface FundDetail {
  /** national fund_pay_type */
  fundPayType: '390100' | '390102' | '390200' | '610100';
  fundName: string;
  /** inscp_scp_amt of this fund: the amount it worked on */
  base: Fen;
  /** crt_payb_lmt_amt: what was left of its limits before this settlement (null: no limit) */
  limitLeft: Fen | null;
  amount: Fen;
  /** what setl_proc_info says: the deductible and ratio applied, and how */
  info: { deductible: Fen; ratio: Rate | null; cumulative: Fen | null; preferential: boolean; classLabel: string | null; extra: Fen };
}

/** setl_proc_info of a fund line, built only when asked for. */
export function processText(d: FundDetail): string {
  const i = d.info;
  const parts = [i.classLabel, `起付${formatYuan(i.deductible)}`, i.cumulative !== null ? `累计${formatYuan(i.cumulative)}` : null, i.ratio ? `比例${i.ratio.text}` : null, i.preferential ? '倾斜支付' : null, i.extra ? `倾斜救助${formatYuan(i.extra)}` : null];
  return parts.filter(Boolean).join('，');
}

export interface SettlementResult {
  /** null when the encounter was settled under the pack's rules; else why it is all cash */
  cashReason: { code: SettlementCode; message: string } | null;
  /** the encounter type the pack's rules were applied as (maternity → inpatient / general_outpatient) */
  settledAs: string | null;
  costs: CostSplit;
  lines: LineSplit[] | null;
  /** act_pay_dedc */
  deductiblePaid: Fen;
  /** pool_prop_selfpay: the basic fund's ratio applied */
  basicRatio: Rate | null;
  basicFund: Fen;
  criticalIllness: Fen;
  medicalAssistance: Fen;
  fundTotal: Fen;
  /** psn_part_amt = psn_cash_pay here (no personal account in resident insurance) */
  personalBurden: Fen;
  detail: FundDetail[];
  delta: Accumulators;
  after: Accumulators;
  examples: string[];
  /** what the clerk should know: a residence type assumed for a group (倾斜支付 of 农村低收入人口); absent: nothing */
  warnings?: QuoteWarning[];
  trace: TraceStep[];
}
