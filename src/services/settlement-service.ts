/**
 * Settlement for hospitals: encounters, one-stop settlement through the three tiers with each
 * person's year-to-date accumulators kept in the database, reversal, and the ledger entry of
 * every settlement.
 *
 * Concurrency: every settlement moves the person's accumulator row for the coverage year from
 * the version it was computed on to the next, in the same statement that writes the
 * settlement, so settlements of one person apply one after the other and an annual limit can
 * never be crossed by two at once; different persons do not wait for each other. The order of
 * a person's live settlements by id is the order their deltas were applied (the id is drawn
 * after the accumulator row is updated, while its row lock is held), which is what reversal
 * replays.
 *
 * A settlement is two round trips, each a statement that commits by itself (optimistic
 * concurrency): read (one SELECT joining the encounter, hospital, person's area, enrollment,
 * needy statuses and the accumulator with its version, no lock); run the engine; write (one
 * statement of data-modifying CTEs: the accumulator update `WHERE version = <read>`, and
 * hanging on it the settlement row, journal entry, postings and audit row). When another
 * settlement of the person committed in between, the update matches no row, nothing is
 * written, and the settlement is read and computed again; after `optimisticTries` such misses
 * it runs as a transaction that locks the accumulator row (`SELECT … FOR UPDATE`), which
 * always gets through. The first settlement of a person in a year adds one INSERT … ON
 * CONFLICT DO NOTHING to create the accumulator row. An encounter with a live settlement is
 * refused before the engine runs (409 ALREADY_SETTLED); two settling it at once are told apart
 * by the unique index settlement_live, whose violation also undoes the accumulator update of
 * the same statement.
 *
 * Settlements asked for at the same time share those two round trips (natural batching,
 * src/services/batcher.ts): the ones that arrive while `maxInFlight` batches are at the
 * database are read in one statement and written in one, a person's settlements in a batch
 * each computed on the accumulators the one before left. Under light load a settlement goes
 * alone and waits for nothing. The statements (src/services/settlement-store.ts) are named
 * prepared statements on connections of their own, planned once per connection
 * (Database.settlementPool, plan_cache_mode, src/store/db.ts).
 * Measured in BENCHMARKS.md: batching and the generic plans together took settlement over
 * HTTP from 45 % to about 65 % of pgbench running one settlement per transaction.
 *
 * Ledger sign convention (as src/services/ledger.ts: debit +, credit −). The three funds are
 * equity accounts whose natural balance is a credit (money held for benefits); a settlement
 * debits each fund with what it paid (hifp_pay, hifmi_pay, maf_pay) and credits
 * payable_hospitals (a liability) with the fund total owed to the hospital. A reversal posts
 * the mirror: every line of the original with its sign flipped.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import { z } from 'zod';
import { isDateString, parseDay } from '../dates.js';
import { ConflictError, ForbiddenError, InputError, NotFoundError, fromZodIssues } from '../errors.js';
import { fenToYuan, type Fen } from '../money.js';
import { NEEDY_STATUSES, SETTLEMENT_CODES, type EncounterType, type HospitalLevel, type CareLocation, type Tier } from '../policy/vocabulary.js';
import { addAccumulators, emptyAccumulators, type Accumulators, type Encounter, type LineSplit, type SettlementPerson } from '../rules/settlement/input.js';
import type { SettlementResult } from '../rules/settlement/result.js';
import { reverse as reverseDelta, settle as settleEncounter } from '../rules/settlement/settle.js';
import { personMask } from '../rules/status-mask.js';
import type { Database } from '../store/db.js';
import { isServerError, isUniqueViolation } from '../store/pg-errors.js';
import type { DB } from '../store/schema.js';
import { audit } from './audit.js';
import { requireHospital, type Actor } from './auth.js';
import { ACCOUNTS, post, type PostingLine } from './ledger.js';
import { maskIdNumber, maskName } from './privacy.js';
import type { QuoteService, SettlementQuoteAnswer } from './quote-service.js';
import { accumulatorsJson, encounterSchema, settlementJson } from './settlement-request.js';
import { Batcher, type BatchItem } from './batcher.js';
import {
  accumulatorsOf,
  contextOf,
  onClient,
  onKysely,
  readContextLocked,
  readContexts,
  writeResettlement,
  writeSettlement,
  writeSettlements,
  type AccumulatorMove,
  type Context,
  type Runner,
  type SettlementRecord,
} from './settlement-store.js';

type Db = Kysely<DB> | Transaction<DB>;

const ID_NUMBER = /^\d{17}[\dX]$/;
const idString = z.string().regex(/^[1-9]\d{0,17}$/, 'must be a record id (a positive integer)');

/** POST /api/v1/encounters: the encounter of the settlement quote without the hospital level (the hospital's own), plus who and where. */
export const encounterRequestSchema = encounterSchema
  .omit({ hospitalLevel: true })
  .extend({
    hospitalCode: z.string().min(1).max(30).optional().describe('the hospital (fixmedins_code); a hospital account may leave it out'),
    idNumber: z
      .string()
      .transform((s) => s.trim().toUpperCase())
      .refine((s) => ID_NUMBER.test(s), { message: 'must be an 18-character resident ID number' })
      .optional()
      .describe('the patient’s resident ID number (give this or personId)'),
    personId: z.union([idString, z.number().int().positive()]).optional().describe('the patient’s person id in the register'),
    coverageYear: z.number().int().min(2000).max(2100),
    externalId: z.string().min(1).max(64).optional().describe('the hospital’s own id of the encounter (mdtrt_id); unique per hospital'),
  })
  .strict();
export type EncounterRequest = z.input<typeof encounterRequestSchema>;

export const settleRequestSchema = z
  .object({ trace: z.boolean().optional().describe('keep the explanation of every amount with the settlement (default true)') })
  .strict();

export const settlementQuerySchema = z
  .object({
    hospital: z.string().min(1).max(30).optional(),
    person: idString.optional(),
    year: z.coerce.number().int().min(2000).max(2100).optional(),
    live: z.enum(['true', 'false']).optional().describe('true: only settlements not reversed'),
    date: z.string().refine(isDateString, { message: 'must be a real date written YYYY-MM-DD' }).optional().describe('the encounter date (a day of the hospital)'),
    after: idString.optional().describe('paging: the last id of the previous page'),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();

function parseWith<T extends z.ZodType>(schema: T, data: unknown): z.infer<T> {
  const r = schema.safeParse(data ?? {});
  if (!r.success) throw fromZodIssues(r.error.issues);
  return r.data;
}

function checkId(field: string, id: string): string {
  if (!/^[1-9]\d{0,17}$/.test(id)) throw new InputError(field, 'must be a record id (a positive integer)');
  return id;
}

/** The ledger lines of a settlement (zero lines left out); a reversal posts them negated. */
export function settlementLines(basicFund: Fen, criticalIllness: Fen, medicalAssistance: Fen): PostingLine[] {
  return [
    { account: ACCOUNTS.basicFund, fen: basicFund },
    { account: ACCOUNTS.criticalIllnessFund, fen: criticalIllness },
    { account: ACCOUNTS.medicalAssistanceFund, fen: medicalAssistance },
    { account: ACCOUNTS.payableHospitals, fen: -(basicFund + criticalIllness + medicalAssistance) },
  ].filter((l) => l.fen !== 0);
}

// ---- answers ----

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
  accumulators: Record<string, unknown>;
  version: number;
}

/** timestamptz columns arrive as Date (typed loosely by schema.ts's Generated<Timestamp>) */
const iso = (t: unknown): string | null => (t === null || t === undefined ? null : new Date(t as Date | string).toISOString());

/** Optimistic tries of a settlement before one that locks the accumulator row. */
const OPTIMISTIC_TRIES = 3;
/** Settlements written in one statement at most. */
const MAX_BATCH = 64;

/** How settlements got through (counts since the service was made; for monitoring and tests). */
export interface SettlementContention {
  /** settlements sent to be written without a lock (each try counts) */
  tries: number;
  /** of those, the ones whose accumulators had moved on meanwhile (tried again) */
  misses: number;
  /** settlements done under the lock after `optimisticTries` misses */
  locked: number;
  /** write statements for settlements, and the most settlements one of them carried */
  writes: number;
  largestBatch: number;
  /** batch statements the database refused, whose settlements were then written one by one */
  failedBatches: number;
}

/** A settlement waiting to be done. */
interface Pending extends BatchItem {
  actor: Actor;
  encounterId: string;
  trace: boolean;
  misses: number;
  resolve(v: SettlementView): void;
}

export interface SettlementOptions {
  /** optimistic tries before the locked transaction (default 3) */
  optimisticTries?: number;
  /** batches of settlements worked on at once (default: the settlement pool's size) */
  maxInFlight?: number;
  /** settlements in one batch at most (default 64) */
  maxBatch?: number;
}

export class SettlementService {
  private readonly db: Kysely<DB>;
  private readonly optimisticTries: number;
  private readonly batcher: Batcher<Pending>;
  readonly contention: SettlementContention = { tries: 0, misses: 0, locked: 0, writes: 0, largestBatch: 0, failedBatches: 0 };

  constructor(
    private readonly database: Database,
    private readonly quotes: QuoteService,
    opts: SettlementOptions = {},
  ) {
    this.db = database.db;
    this.optimisticTries = opts.optimisticTries ?? OPTIMISTIC_TRIES;
    // every connection of the settlement pool may carry a batch
    this.batcher = new Batcher((batch) => this.settleBatch(batch), opts.maxInFlight ?? (database.settlementPool.options.max ?? 1), opts.maxBatch ?? MAX_BATCH);
  }

  // ---- encounters ----

  /** Record an encounter (fees or pre-classified costs) for a hospital; a hospital account only for itself. */
  async createEncounter(actor: Actor, body: unknown): Promise<Record<string, unknown>> {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new InputError('(request)', 'must be a JSON object');
    const r = parseWith(encounterRequestSchema, body);
    const hospitalCode = r.hospitalCode ?? actor.hospitalCode;
    if (!hospitalCode) throw new InputError('hospitalCode', 'say which hospital the encounter is at');
    requireHospital(actor, hospitalCode);
    if (r.idNumber === undefined && r.personId === undefined) throw new InputError('idNumber', 'give the patient’s idNumber or personId');
    if (r.idNumber !== undefined && r.personId !== undefined) throw new InputError('personId', 'give idNumber or personId, not both');

    const hospital = await this.db.selectFrom('hospital').select(['code', 'level']).where('code', '=', hospitalCode).executeTakeFirst();
    if (!hospital) throw new InputError('hospitalCode', `no hospital ${hospitalCode}`);
    let personQ = this.db.selectFrom('person as p').innerJoin('admin_area as a', 'a.code', 'p.village_code').select(['p.id', 'a.region']);
    personQ = r.idNumber !== undefined ? personQ.where('p.id_number', '=', r.idNumber) : personQ.where('p.id', '=', String(r.personId));
    const person = await personQ.executeTakeFirst();
    if (!person) throw r.idNumber !== undefined ? new InputError('idNumber', `no person ${maskIdNumber(r.idNumber)} in the register`) : new InputError('personId', `no person ${r.personId} in the register`);

    const packId = this.quotes.lib.packIdFor(person.region, r.coverageYear);
    if (!packId) throw new InputError('coverageYear', `no policy pack covers region ${person.region} in ${r.coverageYear} (years with packs: ${this.quotes.lib.years().join(', ')})`);
    // the quote's own parsing (fees into the national split, the checks between fields), field names without its "encounter." prefix
    const { hospitalCode: _h, idNumber: _i, personId: _p, coverageYear: _y, externalId, ...raw } = r;
    const tiers = this.quotes.compiled(packId).tiers;
    let enc: Encounter;
    try {
      enc = this.quotes.parseSettlement({ region: person.region, coverageYear: r.coverageYear, ...(tiers.length ? { tier: tiers[0] } : {}), encounter: { ...raw, hospitalLevel: hospital.level }, trace: false }, false).encounters[0];
    } catch (e) {
      if (e instanceof InputError && e.field.startsWith('encounter.')) {
        const field = e.field.slice('encounter.'.length);
        throw new InputError(field, e.message.slice(e.field.length + 2));
      }
      throw e;
    }

    return this.db.transaction().execute(async (tx) => {
      const row = await tx
        .insertInto('encounter')
        .values({
          hospital_code: hospitalCode,
          person_id: person.id,
          coverage_year: r.coverageYear,
          type: enc.type,
          setting: enc.setting,
          date: r.date,
          location: enc.location,
          referred: enc.referred,
          disease: enc.disease,
          total_fen: enc.costs.total,
          full_own_pay_fen: enc.costs.fullOwnPay,
          over_limit_fen: enc.costs.overLimitSelfPay,
          pre_self_pay_fen: enc.costs.preSelfPay,
          in_scope_fen: enc.costs.inScope,
          lines: enc.lines ? JSON.stringify(enc.lines) : null,
          external_id: externalId ?? null,
        })
        .onConflict((oc) => oc.columns(['hospital_code', 'external_id']).doNothing())
        .returning('id')
        .executeTakeFirst();
      if (!row) throw new ConflictError('DUPLICATE_ENCOUNTER', `hospital ${hospitalCode} already has an encounter with externalId ${externalId}`);
      await audit(tx, actor, 'create', 'encounter', row.id, { hospitalCode, personId: person.id, coverageYear: r.coverageYear, type: enc.type, date: r.date, totalFen: enc.costs.total, externalId: externalId ?? null });
      return this.encounterView(tx, actor, row.id);
    });
  }

  async getEncounter(actor: Actor, id: string): Promise<Record<string, unknown>> {
    return this.encounterView(this.db, actor, checkId('id', id));
  }

  private async encounterView(db: Db, actor: Actor, id: string): Promise<Record<string, unknown>> {
    const e = await db
      .selectFrom('encounter as e')
      .innerJoin('person as p', 'p.id', 'e.person_id')
      .selectAll('e')
      .select(['p.name', 'p.id_number'])
      .where('e.id', '=', id)
      .executeTakeFirst();
    if (!e) throw new NotFoundError('encounter', id);
    requireHospital(actor, e.hospital_code);
    const settlements = await this.summaries(db, (q) => q.where('s.encounter_id', '=', id), null, 1000);
    return {
      id: String(e.id),
      hospitalCode: e.hospital_code,
      personId: String(e.person_id),
      person: { name: maskName(e.name), idNumber: maskIdNumber(e.id_number) },
      coverageYear: e.coverage_year,
      type: e.type,
      setting: e.setting,
      date: e.date,
      location: e.location,
      referred: e.referred,
      disease: e.disease,
      costs: { total: fenToYuan(Number(e.total_fen)), fullOwnPay: fenToYuan(Number(e.full_own_pay_fen)), overLimitSelfPay: fenToYuan(Number(e.over_limit_fen)), preSelfPay: fenToYuan(Number(e.pre_self_pay_fen)), inScope: fenToYuan(Number(e.in_scope_fen)) },
      lines: (e.lines as LineSplit[] | null)?.map((l) => ({ sn: l.sn, total: fenToYuan(l.total), fullOwnPay: fenToYuan(l.fullOwnPay), overLimitSelfPay: fenToYuan(l.overLimitSelfPay), preSelfPay: fenToYuan(l.preSelfPay), inScope: fenToYuan(l.inScope) })) ?? null,
      externalId: e.external_id,
      createdAt: iso(e.created_at),
      settlement: settlements.find((s) => s.reversedAt === null) ?? null,
      settlements,
    };
  }

  // ---- settlement ----

  private head(packId: string, region: string): Pick<SettlementAnswerBody, 'region' | 'regionName' | 'coverageYear' | 'pack' | 'packChain'> {
    const pack = this.quotes.lib.resolve(packId);
    return { region, regionName: this.quotes.lib.regions.get(region)?.name ?? region, coverageYear: pack.year, pack: pack.id, packChain: pack.chain };
  }

  private packOf(c: Context): string {
    const packId = this.quotes.lib.packIdFor(c.region, c.year);
    if (!packId) throw new ConflictError('NO_POLICY_PACK', `no policy pack covers region ${c.region} in ${c.year}`);
    return packId;
  }

  /** The pure engine on one encounter: the person as enrolled (paid) for the year, or all cash when not. */
  private run(c: Context, packId: string, before: Accumulators, trace: boolean): SettlementResult {
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
    };
    return settleEncounter(cb, person, c.encounter, before, trace);
  }

  /** What a settlement writes: the row, its ledger amounts and its audit detail. */
  private record(actor: Actor, c: Context, r: SettlementResult, answer: SettlementAnswerBody, action: string, note?: Record<string, unknown>): SettlementRecord {
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
      settledBy: actor.username,
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
  private compute(actor: Actor, c: Context, before: Accumulators, trace: boolean): { view: SettlementView; rec: SettlementRecord; after: Accumulators } {
    requireHospital(actor, c.hospitalCode);
    if (c.liveSettlement !== null) throw alreadySettled(c.encounterId);
    const packId = this.packOf(c);
    const r = this.run(c, packId, before, trace);
    const answer: SettlementAnswerBody = { ...this.head(packId, c.region), ...settlementJson(r, before) };
    const view = { settlementId: '', encounterId: c.encounterId, personId: c.personId, hospitalCode: c.hospitalCode, ...answer };
    return { view, rec: this.record(actor, c, r, answer, 'settle'), after: r.after };
  }

  /** Statements that commit one by one, on one connection of the settlement pool (so named prepared statements are reused). */
  private async connected<T>(fn: (run: Runner) => Promise<T>): Promise<T> {
    const client = await this.database.settlementPool.connect();
    let broken: Error | undefined;
    const base = onClient(client);
    // an error the server sent leaves the connection usable; any other (a dropped socket) does not
    const run: Runner = async (name, text, values) => {
      try {
        return await base(name, text, values);
      } catch (e) {
        if (!isServerError(e)) broken = e as Error;
        throw e;
      }
    };
    try {
      return await fn(run);
    } finally {
      client.release(broken);
    }
  }

  /**
   * One transaction on a connection of its own, with BEGIN and COMMIT sent by hand so that the
   * statements inside run as named prepared statements (pg keeps them per connection).
   */
  private async transaction<T>(fn: (run: Runner) => Promise<T>): Promise<T> {
    const client = await this.database.settlementPool.connect();
    let done = false;
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const out = await fn(onClient(client));
      await client.query('COMMIT');
      done = true;
      return out;
    } finally {
      if (!done) await client.query('ROLLBACK').catch((e: Error) => (broken = e));
      client.release(broken);
    }
  }

  /**
   * Settle an encounter: read it with the person's accumulators for the year, run the engine,
   * and write the settlement, the new accumulators, the ledger entry and the audit row, on
   * condition that no other settlement of the person came in between (otherwise again, and
   * after `optimisticTries` misses under a lock). Settlements asked for at the same time are
   * read and written together (see Batcher). A second settlement of the same encounter is
   * refused (409 ALREADY_SETTLED).
   */
  async settle(actor: Actor, encounterId: string, opts: { trace?: boolean } = {}): Promise<SettlementView> {
    checkId('id', encounterId);
    return new Promise<SettlementView>((resolve, reject) =>
      this.batcher.add({ actor, encounterId, trace: opts.trace ?? true, misses: 0, resolve, reject: (e) => reject(asAlreadySettled(e, encounterId)) }),
    );
  }

  /**
   * A batch of settlements on one connection: one read for all; the engine on each in the order
   * asked, a person's settlements in the batch each starting from the one before (a chain); one
   * write for all (WRITE_SETTLEMENT when there is one). A settlement whose person's
   * accumulators moved on is tried again (in the next batch, or under the lock after too many
   * misses). When the batch's statement fails (e.g. an encounter settled meanwhile by another
   * process), each is written alone, in order, so that only the one at fault fails; once one
   * settlement of a chain is not written, the rest of that chain is not written either (they
   * were computed on it) and is tried again.
   */
  private async settleBatch(items: Pending[]): Promise<void> {
    const later: Pending[] = [];
    const missed: Pending[] = [];
    await this.connected(async (run) => {
      const rows = await readContexts(run, [...new Set(items.map((i) => i.encounterId))]);
      const chains = new Map<string, AccumulatorMove>();
      const ready: { item: Pending; view: SettlementView; rec: SettlementRecord; after: Accumulators; version: number; chain: string }[] = [];
      const taken = new Set<string>();
      for (const item of items) {
        // the same encounter twice: the second after the first is written (it will be refused)
        if (taken.has(item.encounterId)) {
          later.push(item);
          continue;
        }
        const row = rows.get(item.encounterId);
        if (!row) {
          item.reject(new NotFoundError('encounter', item.encounterId));
          continue;
        }
        try {
          const c = contextOf(row);
          const key = `${c.personId}/${c.year}`;
          const chain = chains.get(key) ?? { personId: c.personId, year: c.year, after: c.acc ?? emptyAccumulators(), version: c.version ?? 0, settlements: 0 };
          const x = this.compute(item.actor, c, chain.after, item.trace);
          ready.push({ item, ...x, version: chain.version + chain.settlements, chain: key });
          chains.set(key, { ...chain, after: x.after, settlements: chain.settlements + 1 });
          taken.add(item.encounterId);
        } catch (e) {
          item.reject(e);
        }
      }
      if (ready.length === 0) return;
      this.contention.tries += ready.length;
      this.contention.largestBatch = Math.max(this.contention.largestBatch, ready.length);
      const answer = (x: (typeof ready)[number], id: string | undefined): void => {
        if (id !== undefined) x.item.resolve({ ...x.view, settlementId: id });
        else missed.push(x.item);
      };
      if (ready.length > 1) {
        let written: Map<string, string> | null = null;
        try {
          this.contention.writes += 1;
          written = await writeSettlements(run, ready.map((x) => x.rec), [...chains.values()].sort((p, q) => Number(p.personId) - Number(q.personId) || p.year - q.year));
        } catch (e) {
          if (!isServerError(e)) throw e;
          this.contention.failedBatches += 1;
        }
        if (written) {
          for (const x of ready) answer(x, written.get(x.rec.encounterId));
          return;
        }
      }
      // one at a time, in order, each answered as soon as it is written
      const broken = new Set<string>();
      for (const x of ready) {
        if (broken.has(x.chain)) {
          missed.push(x.item);
          continue;
        }
        let id: string | null;
        try {
          this.contention.writes += 1;
          id = await writeSettlement(run, x.rec, x.after, x.version);
        } catch (e) {
          if (!isServerError(e)) throw e;
          x.item.reject(e);
          broken.add(x.chain);
          continue;
        }
        if (id === null) broken.add(x.chain);
        answer(x, id ?? undefined);
      }
    });
    this.contention.misses += missed.length;
    for (const item of missed) item.misses += 1;
    for (const item of [...missed, ...later].reverse()) {
      if (item.misses >= this.optimisticTries) void this.settleLocked(item);
      else this.batcher.add(item, true);
    }
  }

  /** The way that always gets through: one transaction holding the person's accumulator row. */
  private async settleLocked(item: Pending): Promise<void> {
    this.contention.locked += 1;
    try {
      const view = await this.transaction(async (run) => {
        const row = await readContextLocked(run, item.encounterId);
        if (!row) throw new NotFoundError('encounter', item.encounterId);
        const c = contextOf(row);
        const x = this.compute(item.actor, c, c.acc ?? emptyAccumulators(), item.trace);
        const id = await writeSettlement(run, x.rec, x.after, c.version ?? 0);
        if (id === null) throw new Error(`settlement of encounter ${item.encounterId}: the locked accumulator row changed under its lock`);
        return { ...x.view, settlementId: id };
      });
      item.resolve(view);
    } catch (e) {
      item.reject(e);
    }
  }

  /**
   * Reverse a live settlement. The person's later live settlements of the same year are
   * reversed too (newest first) and settled again in their order, so the accumulators end
   * exactly as if the reversed one had never been settled. Each reversal posts the mirror of
   * the original entry; each re-settlement is a new settlement with its own entry.
   */
  async reverse(actor: Actor, settlementId: string, opts: { trace?: boolean } = {}): Promise<ReversalAnswer> {
    checkId('id', settlementId);
    const trace = opts.trace ?? true;
    return this.db.transaction().execute(async (tx) => {
      const target = await tx.selectFrom('settlement').select(['person_id', 'coverage_year', 'hospital_code']).where('id', '=', settlementId).executeTakeFirst();
      if (!target) throw new NotFoundError('settlement', settlementId);
      requireHospital(actor, target.hospital_code);
      const lock = await tx
        .selectFrom('accumulator')
        .select(['data', 'version'])
        .where('person_id', '=', target.person_id)
        .where('coverage_year', '=', target.coverage_year)
        .forUpdate()
        .executeTakeFirst();
      // read after the lock: what committed before it is seen
      const live = await tx
        .selectFrom('settlement')
        .select(['id', 'encounter_id', 'hospital_code', 'basic_fund_fen', 'critical_illness_fen', 'medical_assistance_fen', 'delta'])
        .where('person_id', '=', target.person_id)
        .where('coverage_year', '=', target.coverage_year)
        .where('reversed_at', 'is', null)
        .where('id', '>=', settlementId)
        .orderBy('id')
        .execute();
      if (!lock || live.length === 0 || String(live[0].id) !== settlementId) throw new ConflictError('ALREADY_REVERSED', `settlement ${settlementId} has already been reversed`);

      let acc = accumulatorsOf(lock.data);
      const now = new Date();
      const ids = live.map((s) => String(s.id));
      await tx.updateTable('settlement').set({ reversed_at: now, reversed_by: actor.username }).where('id', 'in', ids).execute();
      for (let i = live.length - 1; i >= 0; i--) {
        const s = live[i];
        acc = reverseDelta(acc, { delta: accumulatorsOf(s.delta) });
        const mirror = settlementLines(Number(s.basic_fund_fen), Number(s.critical_illness_fen), Number(s.medical_assistance_fen)).map((l) => ({ account: l.account, fen: -l.fen }));
        await post(tx, `冲正结算 ${s.id}（就诊 ${s.encounter_id}，${s.hospital_code}）`, 'reversal', String(s.id), mirror);
        await audit(tx, actor, 'reverse', 'settlement', String(s.id), i === 0 ? { encounterId: String(s.encounter_id) } : { encounterId: String(s.encounter_id), becauseOf: settlementId });
      }

      const later = live.slice(1);
      const laterIds = later.map((s) => String(s.encounter_id));
      const rows = await readContexts(onKysely(tx), laterIds);
      const contexts = laterIds.map((id) => contextOf(rows.get(id)!));
      const resettled: ReversalAnswer['resettled'] = [];
      for (let i = 0; i < later.length; i++) {
        const c = contexts[i];
        const packId = this.packOf(c);
        const before = acc;
        const r = this.run(c, packId, before, trace);
        const answer: SettlementAnswerBody = { ...this.head(packId, c.region), ...settlementJson(r, before) };
        const id = await writeResettlement(onKysely(tx), this.record(actor, c, r, answer, 'resettle', { replaces: String(later[i].id), becauseOf: settlementId }));
        resettled.push({ encounterId: c.encounterId, from: String(later[i].id), to: id });
        acc = r.after;
      }
      const v = await tx
        .updateTable('accumulator')
        .set({ data: JSON.stringify(acc), version: sql`version + 1` })
        .where('person_id', '=', target.person_id)
        .where('coverage_year', '=', target.coverage_year)
        .returning('version')
        .executeTakeFirstOrThrow();
      return {
        reversed: { settlementId, encounterId: String(live[0].encounter_id) },
        alsoReversed: ids.slice(1).reverse(),
        resettled,
        accumulators: accumulatorsJson(acc),
        version: v.version,
      };
    });
  }

  // ---- queries ----

  private async summaries(db: Db, filter: (q: SummaryQuery) => SummaryQuery, after: string | null, limit: number): Promise<SettlementSummary[]> {
    let q = summaryQuery(db);
    q = filter(q);
    if (after) q = q.where('s.id', '>', after);
    const rows = await q.orderBy('s.id').limit(limit).execute();
    return rows.map((s) => {
      const funds = Number(s.basic_fund_fen) + Number(s.critical_illness_fen) + Number(s.medical_assistance_fen);
      return {
        id: String(s.id),
        encounterId: String(s.encounter_id),
        personId: String(s.person_id),
        person: { name: maskName(s.name), idNumber: maskIdNumber(s.id_number) },
        hospitalCode: s.hospital_code,
        coverageYear: s.coverage_year,
        encounterDate: s.date,
        encounterType: s.type,
        total: fenToYuan(Number(s.total_fen)),
        basicFund: fenToYuan(Number(s.basic_fund_fen)),
        criticalIllness: fenToYuan(Number(s.critical_illness_fen)),
        medicalAssistance: fenToYuan(Number(s.medical_assistance_fen)),
        fundTotal: fenToYuan(funds),
        personalCash: fenToYuan(Number(s.cash_fen)),
        cashReason: s.cash_reason,
        settledAt: iso(s.settled_at)!,
        settledBy: s.settled_by,
        reversedAt: iso(s.reversed_at),
        reversedBy: s.reversed_by,
      };
    });
  }

  /** Settlements by hospital, person, year; a hospital account sees only its own. Paged by id. */
  async listSettlements(actor: Actor, query: unknown): Promise<{ settlements: SettlementSummary[]; next: string | null }> {
    const q = parseWith(settlementQuerySchema, query);
    let hospital = q.hospital;
    if (actor.role === 'hospital') {
      if (hospital !== undefined) requireHospital(actor, hospital);
      hospital = actor.hospitalCode!;
    }
    const settlements = await this.summaries(
      this.db,
      (s) => {
        let x = s;
        if (hospital !== undefined) x = x.where('s.hospital_code', '=', hospital);
        if (q.person !== undefined) x = x.where('s.person_id', '=', q.person);
        if (q.year !== undefined) x = x.where('s.coverage_year', '=', q.year);
        if (q.live === 'true') x = x.where('s.reversed_at', 'is', null);
        if (q.live === 'false') x = x.where('s.reversed_at', 'is not', null);
        if (q.date !== undefined) x = x.where('e.date', '=', q.date);
        return x;
      },
      q.after ?? null,
      q.limit,
    );
    return { settlements, next: settlements.length === q.limit ? settlements[settlements.length - 1].id : null };
  }

  /** One settlement with the engine's whole answer as stored. */
  async getSettlement(actor: Actor, id: string): Promise<SettlementSummary & { result: unknown }> {
    checkId('id', id);
    const [s] = await this.summaries(this.db, (q) => q.where('s.id', '=', id), null, 1);
    if (!s) throw new NotFoundError('settlement', id);
    requireHospital(actor, s.hospitalCode);
    const row = await this.db.selectFrom('settlement').select('result').where('id', '=', id).executeTakeFirstOrThrow();
    return { ...s, result: row.result };
  }

  /** A person's year-to-date accumulators (yuan). A hospital account: only for a person it has an encounter with that year. */
  async accumulators(actor: Actor, personId: string, year: unknown): Promise<{ personId: string; coverageYear: number; version: number; accumulators: Record<string, unknown> }> {
    checkId('id', personId);
    const y = parseWith(z.object({ year: z.coerce.number().int().min(2000).max(2100) }), { year }).year;
    const person = await this.db.selectFrom('person').select('id').where('id', '=', personId).executeTakeFirst();
    if (!person) throw new NotFoundError('person', personId);
    if (actor.role === 'hospital') {
      const seen = await this.db
        .selectFrom('encounter')
        .select('id')
        .where('person_id', '=', personId)
        .where('coverage_year', '=', y)
        .where('hospital_code', '=', actor.hospitalCode!)
        .limit(1)
        .executeTakeFirst();
      if (!seen) throw new ForbiddenError(`hospital ${actor.hospitalCode} has no encounter with person ${personId} in ${y}`);
    }
    const row = await this.db.selectFrom('accumulator').select(['data', 'version']).where('person_id', '=', personId).where('coverage_year', '=', y).executeTakeFirst();
    return { personId, coverageYear: y, version: row?.version ?? 0, accumulators: accumulatorsJson(accumulatorsOf(row?.data)) };
  }
}

function summaryQuery(db: Db) {
  return db
    .selectFrom('settlement as s')
    .innerJoin('encounter as e', 'e.id', 's.encounter_id')
    .innerJoin('person as p', 'p.id', 's.person_id')
    .select([
      's.id',
      's.encounter_id',
      's.person_id',
      'p.name',
      'p.id_number',
      's.hospital_code',
      's.coverage_year',
      'e.date',
      'e.type',
      's.total_fen',
      's.basic_fund_fen',
      's.critical_illness_fen',
      's.medical_assistance_fen',
      's.cash_fen',
      's.cash_reason',
      's.settled_at',
      's.settled_by',
      's.reversed_at',
      's.reversed_by',
    ]);
}
type SummaryQuery = ReturnType<typeof summaryQuery>;

/** A live settlement of the encounter exists (or two came at once): the unique index refused the second. */
function asAlreadySettled(e: unknown, encounterId: string): unknown {
  return isUniqueViolation(e, 'settlement_live') ? alreadySettled(encounterId) : e;
}

function alreadySettled(encounterId: string): ConflictError {
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
