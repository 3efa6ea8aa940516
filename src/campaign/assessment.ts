/**
 * Room src/campaign/ — the enrollment campaign: assessment (assessment.ts), newborns, tiers and enrollment views, payments, the collection list, duplicates and employee-insurance lists.
 * May import: src/registers, src/ledger, src/access, src/quotes, src/store and below.
 *
 * The enrollment campaign for a coverage year: every person of the register is assessed with
 * the contribution engine and gets one `enrollment` row (assessed, refused, or blocked as a
 * duplicate); a paid row is never touched again. Newborns whose household has a guardian
 * with a paid enrollment follow the guardian automatically (pay nothing, benefits from
 * birth). Also: a person's tier before payment, and the masked views of enrollments.
 *
 * Assessment works in batches of ~1000 persons: one keyset SELECT (persons with their
 * region, the needy statuses valid on the coverage-year start, the enrollment row if any and
 * the employee-insurance list), the engine in-process, and one INSERT … ON CONFLICT per batch.
 * Up to three batches are written at once while the next is read. A failed batch stops the
 * run; batches written before it stay (assessment is idempotent: run it again).
 *
 * The stored `quote` holds the request (with the payment date once paid) and what the columns
 * do not: acceptance, the subsidy's split, the example values used. The trace is not stored
 * (a million traces would be gigabytes); it is recomputed from the stored request when one
 * enrollment is read, and the answer says whether it still matches the record.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import { InputError } from '../errors.js';
import { type ContributionResult } from '../rules/quote.js';
import type { DB } from '../store/schema.js';
import { audit } from '../access/audit.js';
import { SYSTEM, type Actor } from '../access/roles.js';
import type { QuoteService } from '../quotes/quote-service.js';
import { type FactsRow, type PersonQuote, blockReasonEmployee, factsQuery, postSubsidy, quoteColumns, quotePerson, storedQuote, toFacts } from './person-quote.js';
import { type Guardian, guardianFor, paidGuardians } from './newborns.js';


// ---------------------------------------------------------------- assessment

export interface AssessYearOptions {
  coverageYear: number;
  /** admin-area codes (villages or townships); default: every person of the register */
  villages?: string[];
  actor?: Actor;
  batchSize?: number;
  /** batches written at the same time (default 3; PGlite has one connection and does them in turn) */
  concurrency?: number;
  /**
   * tiers persons chose before they were first assessed (by ID number; e.g. a town's sheet of
   * choices, or the demo's): used where the person has no enrollment row yet — a stored tier wins
   */
  chosenTiers?: ReadonlyMap<string, string>;
  onProgress?: (done: number, total: number) => void;
}

export interface AssessProblem {
  personId: string;
  field: string;
  message: string;
}

export interface AssessYearSummary {
  coverageYear: number;
  persons: number;
  /** state assessed: a due amount the person can pay */
  assessed: number;
  refused: number;
  blocked: number;
  /** newborns enrolled following a paid guardian */
  followingGuardian: number;
  /** already paid: left as they were */
  paidKept: number;
  inserted: number;
  updated: number;
  unchanged: number;
  /** persons the engine could not quote (no pack, unknown kind or status …); not written */
  bad: number;
  problems: AssessProblem[];
  /** persons born after the coverage year: not assessed */
  notYetBorn: number;
  ms: number;
}

export interface UpsertRow {
  person_id: string;
  region: string;
  pack: string;
  tier: string | null;
  state: 'assessed' | 'refused' | 'blocked' | 'paid';
  standard_fen: number;
  assistance_fen: number | null;
  due_fen: number | null;
  borne_fen: number | null;
  subsidy_fen: number | null;
  benefit_start: string | null;
  benefit_end: string | null;
  waiting_days: number | null;
  refusal_code: string | null;
  block_reason: string | null;
  quote: unknown;
  guardian_person_id: string | null;
}

/** Bulk statements are short: compiling them (JIT) costs more than it saves. For this transaction only. */
export const noJit = (tx: Transaction<DB>) => sql`SET LOCAL jit = off`.execute(tx);

export function validYear(year: number): number {
  if (!Number.isInteger(year) || year < 2000 || year > 2100) throw new InputError('coverageYear', 'must be a year between 2000 and 2100');
  return year;
}

export function villagePatterns(villages: readonly string[] | undefined): string[] | null {
  if (!villages || villages.length === 0) return null;
  for (const v of villages) if (!/^\d{6,12}$/.test(v)) throw new InputError('villages', `${v}: an admin-area code of 6 to 12 digits`);
  return villages.map((v) => `${v}%`);
}

/**
 * Assess every person of the register (or of some villages) for a coverage year. Each batch
 * is one transaction: the upsert, the newborns' subsidy postings and one audit row.
 */
export async function assessYear(db: Kysely<DB>, quotes: QuoteService, opts: AssessYearOptions): Promise<AssessYearSummary> {
  const t0 = performance.now();
  const year = validYear(opts.coverageYear);
  const actor = opts.actor ?? SYSTEM;
  const patterns = villagePatterns(opts.villages);
  const batchSize = opts.batchSize ?? 1000;
  const scope = patterns ? sql`p.village_code LIKE ANY(${patterns}::text[])` : sql`true`;
  const s: AssessYearSummary = {
    coverageYear: year, persons: 0, assessed: 0, refused: 0, blocked: 0, followingGuardian: 0, paidKept: 0,
    inserted: 0, updated: 0, unchanged: 0, bad: 0, problems: [], notYetBorn: 0, ms: 0,
  };
  const total = Number((await sql<{ n: string }>`SELECT count(*) AS n FROM person p WHERE ${scope}`.execute(db)).rows[0].n);
  const yearEnd = `${year}-12-31`;
  let after = '0';
  // read the next batch while the current one is quoted and written
  // JIT (on by default in PostgreSQL 15) would compile each batch's query anew: ~20 ms a batch for nothing
  const read = (from: string) => {
    const r = db.transaction().execute(async (tx) => {
      await noJit(tx);
      return factsQuery(year, sql`p.id > ${from}::bigint AND ${scope}`, sql`ORDER BY p.id LIMIT ${batchSize}`).execute(tx);
    });
    r.catch(() => {}); // awaited in the loop; a failure while a write is awaited is not "unhandled"
    return r;
  };
  let next = read(after);
  // up to `concurrency` batches are written at once (different persons: no conflicts)
  const inFlight = new Set<Promise<void>>();
  const concurrency = Math.max(1, opts.concurrency ?? 3);
  try {
    for (;;) {
      const { rows } = await next;
      if (rows.length === 0) break;
      after = String(rows[rows.length - 1].id);
      next = rows.length === batchSize ? read(after) : Promise.resolve({ rows: [] as FactsRow[] });
      const w: Promise<void> = assessBatch(db, quotes, actor, year, yearEnd, rows, s, opts.chosenTiers)
        .then(() => opts.onProgress?.(s.persons, total))
        .finally(() => inFlight.delete(w));
      w.catch(() => {}); // observed below; keeps an early failure from being reported as unhandled
      inFlight.add(w);
      if (inFlight.size >= concurrency) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  } finally {
    await Promise.allSettled([...inFlight, next]);
  }
  s.ms = Math.round(performance.now() - t0);
  await audit(db, actor, 'assess_year', 'campaign', year, {
    villages: opts.villages ?? null, persons: s.persons, assessed: s.assessed, refused: s.refused, blocked: s.blocked,
    followingGuardian: s.followingGuardian, paidKept: s.paidKept, inserted: s.inserted, updated: s.updated, bad: s.bad,
  });
  return s;
}

export async function assessBatch(db: Kysely<DB>, quotes: QuoteService, actor: Actor, year: number, yearEnd: string, rows: FactsRow[], s: AssessYearSummary, chosenTiers?: ReadonlyMap<string, string>): Promise<void> {
  const facts = rows.map(toFacts);
  // newborns of the year with a household: whose guardians have paid?
  const households = [...new Set(facts.filter((f) => f.kind === 'newborn' && f.householdId && f.birthDate.startsWith(`${year}-`)).map((f) => f.householdId!))];
  const guardians = households.length ? await paidGuardians(db, households, year) : new Map<string, Guardian[]>();
  const upserts: UpsertRow[] = [];
  const newFlags: { person_id: string; id_number: string; source: string | null }[] = [];
  const following = new Map<string, ContributionResult>();
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    const f = facts[i];
    s.persons++;
    if (r.enrollment_state === 'paid') {
      s.paidKept++;
      continue;
    }
    if (f.birthDate > yearEnd) {
      s.notYetBorn++;
      continue;
    }
    const g = guardianFor(f, year, guardians);
    let q: PersonQuote;
    try {
      q = quotePerson(quotes, f, year, { tier: r.enrollment_tier ?? chosenTiers?.get(f.idNumber) ?? null, guardianEnrolled: g !== null });
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      s.bad++;
      if (s.problems.length < 100) s.problems.push({ personId: f.personId, field: e.field, message: e.message.replace(`${e.field}: `, '') });
      continue;
    }
    const blocked = r.flag_state === 'open' || (r.employee_listed && r.flag_state === null);
    if (r.employee_listed && r.flag_state === null) newFlags.push({ person_id: f.personId, id_number: f.idNumber, source: r.employee_source });
    let state: UpsertRow['state'];
    if (blocked) state = 'blocked';
    else if (!q.result.accepted) state = 'refused';
    else if (g) state = 'paid';
    else state = 'assessed';
    if (state === 'paid') following.set(f.personId, q.result);
    upserts.push({
      person_id: f.personId,
      region: f.region,
      pack: q.cp.pack.id,
      tier: q.tier,
      state,
      ...quoteColumns(q.result),
      block_reason: blocked ? blockReasonEmployee(r.employee_source) : null,
      quote: storedQuote(q),
      guardian_person_id: state === 'paid' && g ? g.personId : null,
    });
  }
  if (upserts.length === 0) return;
  await db.transaction().execute(async (tx) => {
    await noJit(tx);
    if (newFlags.length)
      await sql`
        INSERT INTO duplicate_flag (person_id, id_number, coverage_year, reason, detail)
        SELECT x.person_id, x.id_number, ${year}, 'employee_insurance', 'employee-insurance list' || coalesce(': ' || x.source, '')
        FROM jsonb_to_recordset(${JSON.stringify(newFlags)}::jsonb) AS x(person_id bigint, id_number text, source text)
        ON CONFLICT (id_number, coverage_year, reason) DO NOTHING`.execute(tx);
    const { rows: written } = await sql<{ id: string; person_id: string; state: string; inserted: boolean }>`
      INSERT INTO enrollment AS e (person_id, coverage_year, region, pack, tier, state, standard_fen, assistance_fen, due_fen, borne_fen, subsidy_fen,
        benefit_start, benefit_end, waiting_days, refusal_code, block_reason, quote, paid_fen, paid_on, guardian_person_id)
      SELECT x.person_id, ${year}, x.region, x.pack, x.tier, x.state, x.standard_fen, x.assistance_fen, x.due_fen, x.borne_fen, x.subsidy_fen,
        x.benefit_start, x.benefit_end, x.waiting_days, x.refusal_code, x.block_reason, x.quote, 0, NULL, x.guardian_person_id
      FROM jsonb_to_recordset(${JSON.stringify(upserts)}::jsonb) AS x(person_id bigint, region text, pack text, tier text, state text,
        standard_fen bigint, assistance_fen bigint, due_fen bigint, borne_fen bigint, subsidy_fen bigint, benefit_start date, benefit_end date,
        waiting_days int, refusal_code text, block_reason text, quote jsonb, guardian_person_id bigint)
      ON CONFLICT (person_id, coverage_year) DO UPDATE SET
        region = EXCLUDED.region, pack = EXCLUDED.pack, tier = EXCLUDED.tier, state = EXCLUDED.state,
        standard_fen = EXCLUDED.standard_fen, assistance_fen = EXCLUDED.assistance_fen, due_fen = EXCLUDED.due_fen,
        borne_fen = EXCLUDED.borne_fen, subsidy_fen = EXCLUDED.subsidy_fen, benefit_start = EXCLUDED.benefit_start,
        benefit_end = EXCLUDED.benefit_end, waiting_days = EXCLUDED.waiting_days, refusal_code = EXCLUDED.refusal_code,
        block_reason = EXCLUDED.block_reason, quote = EXCLUDED.quote, guardian_person_id = EXCLUDED.guardian_person_id,
        version = e.version + 1, updated_at = now()
      WHERE e.state <> 'paid' AND (e.region, e.pack, e.tier, e.state, e.standard_fen, e.assistance_fen, e.due_fen, e.borne_fen, e.subsidy_fen,
          e.benefit_start, e.benefit_end, e.waiting_days, e.refusal_code, e.block_reason, e.quote, e.guardian_person_id)
        IS DISTINCT FROM (EXCLUDED.region, EXCLUDED.pack, EXCLUDED.tier, EXCLUDED.state, EXCLUDED.standard_fen, EXCLUDED.assistance_fen,
          EXCLUDED.due_fen, EXCLUDED.borne_fen, EXCLUDED.subsidy_fen, EXCLUDED.benefit_start, EXCLUDED.benefit_end, EXCLUDED.waiting_days,
          EXCLUDED.refusal_code, EXCLUDED.block_reason, EXCLUDED.quote, EXCLUDED.guardian_person_id)
      RETURNING e.id, e.person_id, e.state, (xmax = 0) AS inserted`.execute(tx);
    let inserted = 0;
    let followed = 0;
    for (const w of written) {
      if (w.inserted) inserted++;
      const r = w.state === 'paid' ? following.get(String(w.person_id)) : undefined;
      if (r) {
        await postSubsidy(tx, String(w.id), r, `新生儿随监护人参保 财政补助 ${year}`, year);
        followed++;
      }
    }
    const updated = written.length - inserted;
    s.inserted += inserted;
    s.updated += updated;
    s.unchanged += upserts.length - written.length;
    s.followingGuardian += followed;
    if (written.length)
      await audit(tx, actor, 'assess', 'enrollment', null, {
        coverageYear: year,
        personIds: [String(rows[0].id), String(rows[rows.length - 1].id)],
        inserted,
        updated,
        followingGuardian: followed,
        enrollmentIds: written.length <= 20 ? written.map((w) => String(w.id)) : undefined,
      });
  });
  for (const u of upserts)
    if (u.state === 'assessed') s.assessed++;
    else if (u.state === 'refused') s.refused++;
    else if (u.state === 'blocked') s.blocked++;
}
