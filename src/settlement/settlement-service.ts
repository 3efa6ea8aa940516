/**
 * Room src/settlement/ — encounters and their one-stop settlement: the engine run (compute.ts), batching and writing (this file, settlement-store.ts), reversal, views.
 * May import: src/campaign and everything below it.
 *
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
 * src/settlement/batcher.ts): the ones that arrive while `maxInFlight` batches are at the
 * database are read in one statement and written in one, a person's settlements in a batch
 * each computed on the accumulators the one before left. Under light load a settlement goes
 * alone and waits for nothing. The statements (src/settlement/settlement-store.ts) are named
 * prepared statements on connections of their own, planned once per connection
 * (Database.settlementPool, plan_cache_mode, src/store/db.ts).
 * Measured in BENCHMARKS.md: batching and the generic plans together took settlement over
 * HTTP from 45 % to about 65 % of pgbench running one settlement per transaction.
 *
 * Ledger sign convention (as src/ledger/ledger.ts: debit +, credit −). The three funds are
 * equity accounts whose natural balance is a credit (money held for benefits); a settlement
 * debits each fund with what it paid (hifp_pay, hifmi_pay, maf_pay) and credits
 * payable_hospitals (a liability) with the fund total owed to the hospital. A reversal posts
 * the mirror: every line of the original with its sign flipped.
 */
import { openCoverageYears } from '../store/partitions.js';
import type { Kysely } from 'kysely';
import pino, { type Logger } from 'pino';
import { maskIdsInText } from '../access/privacy.js';
import { ConflictError, InputError, NotFoundError } from '../errors.js';
import { emptyAccumulators, type Accumulators } from '../rules/settlement/input.js';
import type { Database } from '../store/db.js';
import { isServerError } from '../store/pg-errors.js';
import type { DB } from '../store/schema.js';
import type { Actor } from '../access/roles.js';
import type { QuoteService } from '../quotes/quote-service.js';
import type { EncounterView, ReversalAnswer, SettlementSummary, SettlementView } from './answers.js';
import { Batcher, type BatchItem } from './batcher.js';
import { SettlementEngine, asAlreadySettled } from './compute.js';
import { EncounterService } from './encounters.js';
import { checkId, type EncounterRequest, type SettlementQuery } from './requests.js';
import { reverseSettlement, type ReversalOptions } from './reversal.js';
import { contextOf, onClient, readContextLocked, readContexts, readNewContext, writeNewSettlement, writeSettlement, writeSettlements, type AccumulatorMove, type AlsoRecord, type Context, type ContextRow, type Runner, type SettlementRecord, type Written } from './settlement-store.js';
import { accumulators, getSettlement, listSettlements } from './views.js';

/** Optimistic tries of a settlement before one that locks the accumulator row. */
const OPTIMISTIC_TRIES = 3;
/** Settlements written in one statement at most. */
const MAX_BATCH = 64;
/** afterWrite calls at work at once; the settlements written meanwhile wait and go together in the next (at most FOLLOW_UP_BATCH). */
const FOLLOW_UPS_IN_FLIGHT = 1;
const FOLLOW_UP_BATCH = 256;

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

/** Settlements written, waiting for afterWrite (their callers are answered once it has run). */
interface FollowUp extends BatchItem {
  written: WrittenSettlement[];
  done(): void;
}

/** A settlement waiting to be done. */
interface Pending extends BatchItem {
  actor: Actor;
  encounterId: string;
  trace: boolean;
  misses: number;
  resolve(v: SettlementView, settledAt: Date): void;
}

export interface SettlementOptions {
  /** optimistic tries before the locked transaction (default 3) */
  optimisticTries?: number;
  /** batches of settlements worked on at once (default: the settlement pool's size) */
  maxInFlight?: number;
  /** settlements in one batch at most (default 64) */
  maxBatch?: number;
  /**
   * Called with the settlements just written (committed), before their callers are answered:
   * a higher room's follow-up (the high-burden warnings of src/risk). Its failure is logged and
   * never fails a settlement; what it missed the higher room's batch scan finds. One call is at
   * work at a time: the settlements written meanwhile (by any route) wait and are given to the
   * next call together, so under load one follow-up statement serves many settlements.
   */
  afterWrite?: (written: WrittenSettlement[]) => Promise<void>;
  /** where a failed afterWrite is logged (warn; ID numbers in the message masked); default a pino logger on standard error at LOG_LEVEL */
  log?: Pick<Logger, 'warn'>;
}

/** A settlement as written, for SettlementOptions.afterWrite. */
export interface WrittenSettlement {
  settlementId: string;
  encounterId: string;
  personId: string;
  year: number;
}

export class SettlementService {
  private readonly db: Kysely<DB>;
  private readonly optimisticTries: number;
  private readonly batcher: Batcher<Pending>;
  private readonly followUps: Batcher<FollowUp> | null;
  private logger: Pick<Logger, 'warn'> | undefined;
  readonly contention: SettlementContention = { tries: 0, misses: 0, locked: 0, writes: 0, largestBatch: 0, failedBatches: 0 };

  readonly engine: SettlementEngine;
  readonly encounters: EncounterService;

  constructor(
    private readonly database: Database,
    quotes: QuoteService,
    opts: SettlementOptions = {},
  ) {
    this.db = database.db;
    this.engine = new SettlementEngine(quotes);
    this.encounters = new EncounterService(database.db, quotes);
    this.optimisticTries = opts.optimisticTries ?? OPTIMISTIC_TRIES;
    this.logger = opts.log;
    const afterWrite = opts.afterWrite;
    this.followUps = afterWrite
      ? new Batcher<FollowUp>(
          async (batch) => {
            const written = batch.flatMap((b) => b.written);
            try {
              await afterWrite(written);
            } catch (e) {
              // the settlements are committed; what the follow-up missed the batch scan finds (POST /api/v1/risk/burden-scans, yibao risk burden-scan)
              this.log().warn(
                { settlements: written.length, settlementIds: written.slice(0, 20).map((w) => w.settlementId), years: [...new Set(written.map((w) => w.year))], err: maskIdsInText((e as Error).message ?? String(e)) },
                'settlement follow-up (afterWrite) failed; the high-burden batch scan catches up what it missed',
              );
            } finally {
              for (const b of batch) b.done();
            }
          },
          FOLLOW_UPS_IN_FLIGHT,
          FOLLOW_UP_BATCH,
        )
      : null;
    // every connection of the settlement pool may carry a batch
    this.batcher = new Batcher((batch) => this.settleBatch(batch), opts.maxInFlight ?? (database.settlementPool.options.max ?? 1), opts.maxBatch ?? MAX_BATCH);
  }

  /** The logger of failed follow-ups (made when first needed). */
  private log(): Pick<Logger, 'warn'> {
    return (this.logger ??= pino({ level: process.env.LOG_LEVEL ?? 'info' }, process.stderr));
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
    return (await this.settleAt(actor, encounterId, opts)).view;
  }

  /** settle(), with the settlement's settled_at as stored (the platform's setl_time, answered without reading the settlement back). */
  async settleAt(actor: Actor, encounterId: string, opts: { trace?: boolean } = {}): Promise<{ view: SettlementView; settledAt: Date }> {
    checkId('id', encounterId);
    return new Promise<{ view: SettlementView; settledAt: Date }>((resolve, reject) =>
      this.batcher.add({ actor, encounterId, trace: opts.trace ?? true, misses: 0, resolve: (view, settledAt) => resolve({ view, settledAt }), reject: (e) => reject(asAlreadySettled(e, encounterId)) }),
    );
  }

  /**
   * A platform visit's encounter recorded and settled at once (2207 / 2304): its context read by
   * the person, year, date and hospital it will have (it is not written yet), `check` run on the
   * context (the caller's refusals: nothing is written when it throws), the engine, then the
   * encounter, its audit row and the settlement with its ledger entry and audit row in one
   * statement — two round trips where createVisitEncounter and settle take three. When the
   * person's accumulators moved on in between, the encounter is written and settled as settle()
   * settles (tried again, then under the lock); when an encounter is recorded under the same
   * external id already (the same message, sent again), nothing is written and that one is
   * settled as settle() settles it. afterWrite runs as for every settlement.
   */
  async settleNewEncounter(
    actor: Actor,
    r: EncounterRequest,
    visit: { id: string; part: string },
    known: { person: { id: string; region: string }; hospitalLevel: string },
    check?: (c: Context) => void,
  ): Promise<{ encounterId: string; view: SettlementView; settledAt: Date }> {
    const { row } = this.encounters.visitEncounterRow(actor, r, visit, known);
    return this.settleRow(actor, row, `(new, visit ${visit.id})`, () => this.encounters.createVisitEncounter(actor, r, visit, known), check);
  }

  /**
   * An encounter for a person and hospital the caller has already read (no platform visit: the
   * insured area's desk for a visit in another area, src/areas/insured.ts) recorded and settled
   * at once, as settleNewEncounter does: the request checked as createKnownEncounter checks it,
   * then two round trips (the context read, and one statement writing the encounter, its audit
   * row, the accumulator row and the settlement with its ledger entry and audit row). When the
   * person's accumulators moved on in between, the encounter is written and settled as settle()
   * settles; when an encounter is recorded under the same externalId already (an earlier try),
   * nothing is written and DUPLICATE_ENCOUNTER is thrown (the caller settles that one).
   * afterWrite runs for the settlement written here, but is not waited for (its failure never
   * fails a settlement, and what it misses the higher room's batch scan finds): the caller —
   * another area waiting on the line — is answered as soon as the settlement is committed.
   * `also`: the caller's record of the settlement, written by the same statement (AlsoRecord);
   * its row comes back as `also` when it was written (null on the fallbacks above, which write
   * the settlement without it).
   */
  async settleKnownEncounter(
    actor: Actor,
    body: EncounterRequest,
    known: { person: { id: string; region: string }; hospitalLevel: string },
    also?: AlsoRecord,
  ): Promise<{ encounterId: string; view: SettlementView; settledAt: Date; also: Record<string, unknown> | null }> {
    const { row, hospitalCode, externalId } = this.encounters.knownEncounterRow(actor, body, known);
    return this.settleRow(
      actor,
      row,
      `(new, ${externalId})`,
      () => {
        throw new ConflictError('DUPLICATE_ENCOUNTER', `hospital ${hospitalCode} already has an encounter with externalId ${externalId}`);
      },
      undefined,
      false,
      also,
    );
  }

  /** settleNewEncounter's and settleKnownEncounter's work on the encounter's row; `recorded`: what to settle when one is recorded under its external id already. */
  private async settleRow(
    actor: Actor,
    row: { values: object; detail: Record<string, unknown> },
    what: string,
    recorded: () => Promise<string>,
    check?: (c: Context) => void,
    /** wait for afterWrite before answering (false: it runs on its own) */
    waitFollowUp = true,
    /** the caller's record written by the settlement's statement (writeNewSettlement); `also`: its row, when it was */
    also?: AlsoRecord,
  ): Promise<{ encounterId: string; view: SettlementView; settledAt: Date; also: Record<string, unknown> | null }> {
    const v = row.values as unknown as Record<string, unknown> & { hospital_code: string; person_id: string; coverage_year: number; date: string; lines: string | null };
    // (the row's lines are JSON text for a query builder; the statement takes the row as one JSON document)
    const lines = v.lines ? (JSON.parse(v.lines) as ContextRow['lines']) : null;
    const again = async (encounterId: string) => ({ encounterId, ...(await this.settleAt(actor, encounterId, { trace: false })), also: null });
    // the year's partitions (migration 050) before the statement writes its encounter, settlement and postings
    await openCoverageYears(this.db, [v.coverage_year]);
    let got: { encounterId: string | null; written: Written | null; also: Record<string, unknown> | null; x: ReturnType<SettlementEngine['compute']> };
    try {
      got = await this.connected(async (run) => {
        const base = await readNewContext(run, { personId: v.person_id, year: v.coverage_year, date: v.date, hospitalCode: v.hospital_code, visit: (v.visit as string | null) ?? null, visitPart: (v.visit_part as string | null) ?? null, type: String(v.type) });
        if (!base) throw new InputError('personId', `no person ${v.person_id} or hospital ${v.hospital_code}`);
        const c = contextOf({ ...base, ...(v as unknown as Pick<ContextRow, 'type' | 'setting' | 'location' | 'referred' | 'disease' | 'total_fen' | 'full_own_pay_fen' | 'over_limit_fen' | 'pre_self_pay_fen' | 'in_scope_fen' | 'visit' | 'visit_part'>), id: '', hospital_code: v.hospital_code, person_id: v.person_id, coverage_year: v.coverage_year, date: v.date, lines, live_settlement: null });
        check?.(c);
        const x = this.engine.compute(actor, c, c.acc ?? emptyAccumulators(), false);
        this.contention.tries += 1;
        this.contention.writes += 1;
        return { ...(await writeNewSettlement(run, { ...v, lines }, row.detail, x.rec, x.after, c.version ?? 0, also)), x };
      });
    } catch (e) {
      throw asAlreadySettled(e, what);
    }
    if (got.encounterId === null) return again(await recorded());
    if (got.written === null) {
      this.contention.misses += 1;
      return again(got.encounterId);
    }
    const { x, written } = got;
    const view: SettlementView = { ...x.view, encounterId: got.encounterId, settlementId: written.id };
    const followUp = this.notify([{ settlementId: written.id, encounterId: got.encounterId, personId: x.rec.personId, year: x.rec.year }]);
    if (waitFollowUp) await followUp;
    return { encounterId: got.encounterId, view, settledAt: written.settledAt, also: got.also };
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
    const done: { item: Pending; view: SettlementView; rec: SettlementRecord; settledAt: Date }[] = [];
    try {
      await this.batchOn(items, later, missed, done);
    } finally {
      // the ones written are answered (after the follow-up) even when the rest of the batch failed
      await this.notify(done.map((x) => ({ settlementId: x.view.settlementId!, encounterId: x.rec.encounterId, personId: x.rec.personId, year: x.rec.year })));
      for (const x of done) x.item.resolve(x.view, x.settledAt);
    }
    this.contention.misses += missed.length;
    for (const item of missed) item.misses += 1;
    for (const item of [...missed, ...later].reverse()) {
      if (item.misses >= this.optimisticTries) void this.settleLocked(item);
      else this.batcher.add(item, true);
    }
  }

  private async batchOn(items: Pending[], later: Pending[], missed: Pending[], done: { item: Pending; view: SettlementView; rec: SettlementRecord; settledAt: Date }[]): Promise<void> {
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
          const x = this.engine.compute(item.actor, c, chain.after, item.trace);
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
      const answer = (x: (typeof ready)[number], w: Written | undefined): void => {
        if (w !== undefined) done.push({ item: x.item, view: { ...x.view, settlementId: w.id }, rec: x.rec, settledAt: w.settledAt });
        else missed.push(x.item);
      };
      if (ready.length > 1) {
        let written: Map<string, Written> | null = null;
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
        let id: Written | null;
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
  }

  /** The way that always gets through: one transaction holding the person's accumulator row. */
  private async settleLocked(item: Pending): Promise<void> {
    this.contention.locked += 1;
    try {
      const view = await this.transaction(async (run) => {
        const row = await readContextLocked(run, item.encounterId);
        if (!row) throw new NotFoundError('encounter', item.encounterId);
        const c = contextOf(row);
        const x = this.engine.compute(item.actor, c, c.acc ?? emptyAccumulators(), item.trace);
        const w = await writeSettlement(run, x.rec, x.after, c.version ?? 0);
        if (w === null) throw new Error(`settlement of encounter ${item.encounterId}: the locked accumulator row changed under its lock`);
        return { view: { ...x.view, settlementId: w.id }, at: w.settledAt, w: { settlementId: w.id, encounterId: x.rec.encounterId, personId: x.rec.personId, year: x.rec.year } };
      });
      await this.notify([view.w]);
      item.resolve(view.view, view.at);
    } catch (e) {
      item.reject(e);
    }
  }

  /** Run afterWrite on settlements written (with the others written meanwhile); never throws (the settlements are committed). */
  private notify(written: WrittenSettlement[]): Promise<void> {
    const f = this.followUps;
    if (!f || written.length === 0) return Promise.resolve();
    return new Promise<void>((resolve) => f.add({ written, done: resolve, reject: () => resolve() }));
  }

  // ---- the room's other doors: encounters, reversal, reading back ----

  createEncounter(actor: Actor, body: EncounterRequest, visit?: { id: string; part: string }): Promise<EncounterView> {
    return this.encounters.createEncounter(actor, body, visit);
  }

  /** Many encounters recorded at once (EncounterService.createEncounters): each request's new id, or its error. */
  createEncounters(actor: Actor, bodies: readonly EncounterRequest[]): Promise<({ id: string } | { error: Error })[]> {
    return this.encounters.createEncounters(actor, bodies);
  }

  getEncounter(actor: Actor, id: string): Promise<EncounterView> {
    return this.encounters.getEncounter(actor, id);
  }

  listSettlements(actor: Actor, query: SettlementQuery): Promise<{ settlements: SettlementSummary[]; next: string | null }> {
    return listSettlements(this.db, actor, query);
  }

  getSettlement(actor: Actor, id: string): Promise<SettlementSummary & { result: unknown }> {
    return getSettlement(this.db, actor, id);
  }

  accumulators(actor: Actor, personId: string, year: string | number | undefined): ReturnType<typeof accumulators> {
    return accumulators(this.db, actor, personId, year);
  }

  /** Reverse a live settlement (src/settlement/reversal.ts). */
  async reverse(actor: Actor, settlementId: string, opts: ReversalOptions = {}): Promise<ReversalAnswer> {
    return reverseSettlement(this.db, this.engine, actor, settlementId, opts);
  }
}
