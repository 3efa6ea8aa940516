/** What a settlement answers: the split, what each fund pays, the cash, the per-fund detail, the accumulator delta. */
import type { Fen, Rate } from '../../money.js';
import type { SettlementCode } from '../../policy/vocabulary.js';
import type { TraceStep } from '../trace.js';
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
  /** setl_proc_info */
  process: string;
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
  trace: TraceStep[];
}
