/** The parsed inputs of a settlement: the person, the encounter with its classified costs, the year's accumulators. */
import type { Day } from '../../dates.js';
import type { Fen, Rate } from '../../money.js';
import type { CareLocation, EncounterType, HospitalLevel, Residence, Tier } from '../../policy/vocabulary.js';

/** One fee line as a hospital uploads it (catalog class 甲/乙/丙 = A/B/C). */
export interface FeeLine {
  sn: string;
  catalogClass: 'A' | 'B' | 'C';
  amount: Fen;
  /** quantity in ten-thousandths (the platform's 16,4), when a price limit applies */
  quantity4: number | null;
  unitPrice: Fen | null;
  priceLimit: Fen | null;
  /** 乙类先行自付比例 */
  selfPayRatio: Rate | null;
}

/** The national split of an encounter's costs (setlinfo: medfee_sumamt = the four parts). */
export interface CostSplit {
  /** medfee_sumamt */
  total: Fen;
  /** fulamt_ownpay_amt: 丙类 and other items outside the catalogue */
  fullOwnPay: Fen;
  /** overlmt_selfpay: above the price limit */
  overLimitSelfPay: Fen;
  /** preselfpay_amt: 乙类先行自付 */
  preSelfPay: Fen;
  /** inscp_scp_amt: within the policy scope */
  inScope: Fen;
}

export interface LineSplit extends CostSplit {
  sn: string;
}

export interface SettlementPerson {
  tier: Tier | null;
  statusMask: number;
  statuses: readonly string[];
  benefitStart: Day;
  benefitEnd: Day;
  /** the benefit period was not given and the whole coverage year was assumed */
  periodAssumed: boolean;
  /** 户籍类型, for groups with a residence (农村低收入人口); absent or null: unknown, the pack's assumption is tested */
  residence?: Residence | null;
}

export interface Encounter {
  type: EncounterType;
  /** maternity: where the care was given */
  setting: 'outpatient' | 'inpatient' | null;
  /** visit or admission date */
  date: Day;
  level: HospitalLevel;
  location: CareLocation;
  referred: boolean;
  /** chronic / special outpatient: the disease code of the pack's list */
  disease: string | null;
  costs: CostSplit;
  lines: LineSplit[] | null;
  /**
   * inpatient: a later part of an admission already settled in part (中途结算, then the
   * discharge settlement): the deductible its earlier live parts applied, and whether they
   * counted the admission. The admission's deductible is then charged once, not per part.
   */
  stay?: StayBefore | null;
}

/** What the earlier live parts of the same admission did (see Encounter.stay). */
export interface StayBefore {
  deductibleApplied: Fen;
  admissionCounted: boolean;
}

/** A person's year-to-date figures; a settlement returns the delta it adds. */
export interface Accumulators {
  /** admissions settled this year (the second and later have a lower deductible) */
  inpatientAdmissions: number;
  /** basic fund paid against the basic annual limit (inpatient + chronic/special outpatient) */
  basicPaid: Fen;
  generalOutpatientPaid: Fen;
  generalOutpatientDeductible: Fen;
  hypertensionDiabetesPaid: Fen;
  hypertensionDiabetesDeductible: Fen;
  chronicDeductible: Fen;
  /** per disease code */
  chronicPaid: Record<string, Fen>;
  /** the in-scope personal burden after the basic fund that counts towards 大病保险 */
  criticalIllnessBase: Fen;
  criticalIllnessPaid: Fen;
  assistanceDeductible: Fen;
  assistancePaid: Fen;
  /** policy-scope burden left after the three tiers, for preferential assistance */
  burdenAfterThreeTiers: Fen;
  preferentialAssistancePaid: Fen;
}

export function emptyAccumulators(): Accumulators {
  return {
    inpatientAdmissions: 0,
    basicPaid: 0,
    generalOutpatientPaid: 0,
    generalOutpatientDeductible: 0,
    hypertensionDiabetesPaid: 0,
    hypertensionDiabetesDeductible: 0,
    chronicDeductible: 0,
    chronicPaid: {},
    criticalIllnessBase: 0,
    criticalIllnessPaid: 0,
    assistanceDeductible: 0,
    assistancePaid: 0,
    burdenAfterThreeTiers: 0,
    preferentialAssistancePaid: 0,
  };
}

type Scalar = Exclude<keyof Accumulators, 'chronicPaid'>;
export const SCALAR_ACCUMULATORS = Object.keys(emptyAccumulators()).filter((k) => k !== 'chronicPaid') as Scalar[];

/** a + sign·d, exactly; zero entries of the per-disease map are dropped. Written out field by field: it runs once per settlement. */
export function addAccumulators(a: Accumulators, d: Accumulators, sign: 1 | -1 = 1): Accumulators {
  let chronicPaid = a.chronicPaid;
  for (const code in d.chronicPaid) {
    if (chronicPaid === a.chronicPaid) chronicPaid = { ...a.chronicPaid };
    const n = (chronicPaid[code] ?? 0) + sign * d.chronicPaid[code];
    if (n === 0) delete chronicPaid[code];
    else chronicPaid[code] = n;
  }
  return {
    inpatientAdmissions: a.inpatientAdmissions + sign * d.inpatientAdmissions,
    basicPaid: a.basicPaid + sign * d.basicPaid,
    generalOutpatientPaid: a.generalOutpatientPaid + sign * d.generalOutpatientPaid,
    generalOutpatientDeductible: a.generalOutpatientDeductible + sign * d.generalOutpatientDeductible,
    hypertensionDiabetesPaid: a.hypertensionDiabetesPaid + sign * d.hypertensionDiabetesPaid,
    hypertensionDiabetesDeductible: a.hypertensionDiabetesDeductible + sign * d.hypertensionDiabetesDeductible,
    chronicDeductible: a.chronicDeductible + sign * d.chronicDeductible,
    chronicPaid,
    criticalIllnessBase: a.criticalIllnessBase + sign * d.criticalIllnessBase,
    criticalIllnessPaid: a.criticalIllnessPaid + sign * d.criticalIllnessPaid,
    assistanceDeductible: a.assistanceDeductible + sign * d.assistanceDeductible,
    assistancePaid: a.assistancePaid + sign * d.assistancePaid,
    burdenAfterThreeTiers: a.burdenAfterThreeTiers + sign * d.burdenAfterThreeTiers,
    preferentialAssistancePaid: a.preferentialAssistancePaid + sign * d.preferentialAssistancePaid,
  };
}
