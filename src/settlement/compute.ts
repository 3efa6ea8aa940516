/**
 * The engine on an encounter read for settlement: which pack governs it, the person as
 * enrolled (paid) for the year or all cash when not, and what writing the settlement needs
 * (the row, its ledger amounts and its audit detail). No I/O.
 */
import { parseDay } from '../dates.js';
import { ConflictError } from '../errors.js';
import { isUniqueViolation } from '../store/pg-errors.js';
import { SETTLEMENT_CODES } from '../policy/vocabulary.js';
import { addAccumulators, emptyAccumulators, type Accumulators, type Encounter, type SettlementPerson } from '../rules/settlement/input.js';
import type { SettlementResult } from '../rules/settlement/result.js';
import { settle as settleEncounter } from '../rules/settlement/settle.js';
import { personMask } from '../rules/status-mask.js';
import { requireHospital, type Actor } from '../access/roles.js';
import type { QuoteService } from '../quotes/quote-service.js';
import { settlementJson } from '../quotes/settlement-request.js';
import type { SettlementAnswerBody, SettlementView } from './answers.js';
import type { Context, SettlementRecord } from './settlement-store.js';

export class SettlementEngine {
  constructor(private readonly quotes: QuoteService) {}

  /** The answer's head, with the warnings of the engine's results (a parent region's pack, a residence assumed) where there are any. */
  head(packId: string, region: string, results: readonly SettlementResult[] = []): Pick<SettlementAnswerBody, 'region' | 'regionName' | 'coverageYear' | 'pack' | 'packChain' | 'warnings'> {
    const pack = this.quotes.lib.resolve(packId);
    const warnings = this.quotes.settlementWarnings(packId, region, results);
    return { region, regionName: this.quotes.lib.regions.get(region)?.name ?? region, coverageYear: pack.year, pack: pack.id, packChain: pack.chain, ...(warnings.length ? { warnings } : {}) };
  }

  packOf(c: Context): string {
    const packId = this.quotes.lib.packIdFor(c.region, c.year);
    if (!packId) throw new ConflictError('NO_POLICY_PACK', `no policy pack covers region ${c.region} in ${c.year}`);
    return packId;
  }

  /** The pure engine on one encounter: the person as enrolled (paid) for the year, or all cash when not. */
  run(c: Context, packId: string, before: Accumulators, trace: boolean): SettlementResult {
    const cb = this.quotes.benefits(packId);
    if (c.enrollmentState !== 'paid') {
      const message = c.enrollmentState
        ? `${c.year} 年度参保登记状态为 ${c.enrollmentState}（未缴费），费用由个人负担`
        : `${c.year} 年度未参保，费用由个人负担`;
      return notEnrolled(c.encounter, before, message, trace);
    }
    const assumed = c.benefitStart === null || c.benefitEnd === null;
    const person: SettlementPerson = {
      tier: c.tier,
      statusMask: personMask(c.statuses),
      statuses: c.statuses,
      benefitStart: assumed ? cb.coverageStart : parseDay(c.benefitStart!),
      benefitEnd: assumed ? cb.coverageEnd : parseDay(c.benefitEnd!),
      periodAssumed: assumed,
      residence: c.residence,
    };
    return settleEncounter(cb, person, c.encounter, before, trace);
  }

  /**
   * What a settlement writes: the row, its ledger amounts and its audit detail. `settledBy`:
   * whose settlement it is — the actor's own, except a re-settlement, which keeps the name of
   * the one it replaces (the actor is then who reversed, in the audit row).
   */
  record(actor: Actor, c: Context, r: SettlementResult, answer: SettlementAnswerBody, action: string, note?: Record<string, unknown>, settledBy = actor.username): SettlementRecord {
    return {
      encounterId: c.encounterId,
      personId: c.personId,
      hospitalCode: c.hospitalCode,
      year: c.year,
      basicFund: r.basicFund,
      criticalIllness: r.criticalIllness,
      medicalAssistance: r.medicalAssistance,
      cash: r.personalBurden,
      total: r.costs.total,
      cashReason: r.cashReason?.code ?? null,
      result: answer,
      delta: r.delta,
      settledBy,
      auditActor: actor.username,
      visit: c.visit,
      role: actor.role,
      action,
      detail: {
        encounterId: c.encounterId,
        personId: c.personId,
        hospitalCode: c.hospitalCode,
        coverageYear: c.year,
        basicFundFen: r.basicFund,
        criticalIllnessFen: r.criticalIllness,
        medicalAssistanceFen: r.medicalAssistance,
        cashFen: r.personalBurden,
        cashReason: r.cashReason?.code ?? null,
        ...note,
      },
    };
  }

  /** The engine on an encounter read for settlement, and what writing it needs. */
  compute(actor: Actor, c: Context, before: Accumulators, trace: boolean): { view: SettlementView; rec: SettlementRecord; after: Accumulators } {
    requireHospital(actor, c.hospitalCode);
    if (c.liveSettlement !== null) throw alreadySettled(c.encounterId);
    const packId = this.packOf(c);
    const r = this.run(c, packId, before, trace);
    const answer: SettlementAnswerBody = { ...this.head(packId, c.region, [r]), ...settlementJson(r, before) };
    const view = { settlementId: '', encounterId: c.encounterId, personId: c.personId, hospitalCode: c.hospitalCode, ...answer };
    return { view, rec: this.record(actor, c, r, answer, 'settle'), after: r.after };
  }
}

/** A live settlement of the encounter exists (or two came at once): the unique index refused the second. */
export function asAlreadySettled(e: unknown, encounterId: string): unknown {
  // (the visit's index first: the encounter's index name is a prefix of it)
  if (isUniqueViolation(e, 'settlement_live_visit')) return new ConflictError('VISIT_SETTLED', `the visit of encounter ${encounterId} already has a live settlement (another encounter of the same visit); reverse it first to settle again`);
  return isUniqueViolation(e, 'settlement_live') ? alreadySettled(encounterId) : e;
}

export function alreadySettled(encounterId: string): ConflictError {
  return new ConflictError('ALREADY_SETTLED', `encounter ${encounterId} already has a live settlement; reverse it first to settle again`);
}

/** A person not enrolled (or not paid) for the year: the whole encounter is cash, nothing counts towards the accumulators. */
function notEnrolled(e: Encounter, before: Accumulators, message: string, trace: boolean): SettlementResult {
  const code = 'NOT_ENROLLED' satisfies keyof typeof SETTLEMENT_CODES;
  return {
    cashReason: { code, message },
    settledAs: null,
    costs: e.costs,
    lines: e.lines,
    deductiblePaid: 0,
    basicRatio: null,
    basicFund: 0,
    criticalIllness: 0,
    medicalAssistance: 0,
    fundTotal: 0,
    personalBurden: e.costs.total,
    detail: [],
    delta: emptyAccumulators(),
    after: addAccumulators(before, emptyAccumulators()),
    examples: [],
    trace: trace ? [{ step: 'cashReason', value: code, explain: message }] : [],
  };
}
