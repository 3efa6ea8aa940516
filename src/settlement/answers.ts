/** What the settlement service answers: a settlement, a settlement in a list, a reversal. */
import type { SettlementQuoteAnswer } from '../quotes/quote-service.js';
import { type AccumulatorsJson } from '../quotes/settlement-request.js';

export type SettlementAnswerBody = SettlementQuoteAnswer;

export interface SettlementView extends SettlementAnswerBody {
  settlementId: string;
  encounterId: string;
  personId: string;
  hospitalCode: string;
}

export interface SettlementSummary {
  id: string;
  encounterId: string;
  personId: string;
  person: { name: string; idNumber: string };
  hospitalCode: string;
  coverageYear: number;
  encounterDate: string;
  encounterType: string;
  total: number;
  basicFund: number;
  criticalIllness: number;
  medicalAssistance: number;
  fundTotal: number;
  personalCash: number;
  cashReason: string | null;
  settledAt: string;
  settledBy: string;
  reversedAt: string | null;
  reversedBy: string | null;
}

export interface ReversalAnswer {
  reversed: { settlementId: string; encounterId: string };
  /** later live settlements of the same person and year, reversed newest first */
  alsoReversed: string[];
  /** those later encounters settled again, in their original order */
  resettled: { encounterId: string; from: string; to: string }[];
  accumulators: AccumulatorsJson;
  version: number;
}

/** timestamptz columns arrive as Date (typed loosely by schema.ts's Generated<Timestamp>) */
export const iso = (t: unknown): string | null => (t === null || t === undefined ? null : new Date(t as Date | string).toISOString());

/** Costs of an encounter by the national split (yuan). */
export interface CostsView {
  total: number;
  fullOwnPay: number;
  overLimitSelfPay: number;
  preSelfPay: number;
  inScope: number;
}

/** An encounter as recorded, with its settlements (live first-class, reversed kept). */
export interface EncounterView {
  id: string;
  hospitalCode: string;
  personId: string;
  person: { name: string; idNumber: string };
  coverageYear: number;
  type: string;
  setting: string | null;
  date: string;
  location: string;
  referred: boolean;
  disease: string | null;
  costs: CostsView;
  lines: (CostsView & { sn: string })[] | null;
  externalId: string | null;
  createdAt: string | null;
  settlement: SettlementSummary | null;
  settlements: SettlementSummary[];
}
