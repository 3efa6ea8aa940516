/** The parsed, validated form of a contribution-quote request that the pure rules work on. */
import type { Day } from '../dates.js';
import type { PersonKind, Residence, Tier } from '../policy/vocabulary.js';

export interface QuoteInput {
  region: string;
  coverageYear: number;
  tier: Tier | null;
  kind: PersonKind;
  /** bit mask of needy statuses (see statusBit), implications already applied */
  statusMask: number;
  statuses: readonly string[];
  birth: Day;
  /** payment date; null when the person pays nothing (a newborn following its guardian) */
  paid: Day | null;
  /** whether `paid` was given or assumed */
  paidAssumed: boolean;
  enrolled: Day | null;
  guardianEnrolled: boolean;
  previousCoverage: { scheme: 'employee' | 'resident'; endedOn: Day } | null;
  graduationYear: number | null;
  subsidyClass: string | null;
  /** 户籍类型; null when the request does not give it (the pack's residence.whenUnknown is assumed) */
  residence: Residence | null;
}

/** The enrollment date (参保) of a person who pays: `enrolledOn`, or the payment date where it is not given. */
export function enrolledDay(q: QuoteInput): Day | null {
  return q.paid === null ? null : (q.enrolled ?? q.paid);
}
