/**
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
import { ageOn, formatDay, parseDay } from '../dates.js';
import { ConflictError, InputError, NotFoundError } from '../errors.js';
import { REFUSAL_CODES, TIERS, type Tier } from '../policy/vocabulary.js';
import type { CompiledPack } from '../rules/compile.js';
import { quoteContribution, type ContributionResult } from '../rules/quote.js';
import type { DB } from '../store/schema.js';
import { audit } from './audit.js';
import { SYSTEM, inScope, requireVillage, type Actor } from './auth.js';
import { parseContributionRequest, toAnswer, type ContributionAnswer, type ContributionRequest } from './contribution-request.js';
import { ACCOUNTS, post } from './ledger.js';
import { maskIdNumber, maskName } from './privacy.js';
import type { QuoteService } from './quote-service.js';

type Db = Kysely<DB> | Transaction<DB>;

// ---------------------------------------------------------------- person facts and quotes

/** What the engine needs to know of a person for a coverage year, read from the registers. */
export interface PersonFacts {
  personId: string;
  idNumber: string;
  name: string;
  birthDate: string;
  kind: string;
  graduationYear: number | null;
  householdId: string | null;
  villageCode: string;
  region: string;
  /** needy statuses valid on 1 January of the coverage year, distinct, sorted */
  statuses: string[];
}

interface FactsRow {
  id: string;
  id_number: string;
  name: string;
  birth_date: string;
  kind: string;
  graduation_year: number | null;
  household_id: string | null;
  village_code: string;
  region: string;
  statuses: string[] | string | null;
  enrollment_id: string | null;
  enrollment_state: string | null;
  enrollment_tier: string | null;
  employee_listed: boolean;
  employee_source: string | null;
  flag_state: 'open' | 'resolved' | null;
}

/** pg gives text[] as an array; be tolerant of the '{a,b}' text form as well. */
function textArray(v: string[] | string | null): string[] {
  if (v === null) return [];
  if (Array.isArray(v)) return v;
  const inner = v.replace(/^\{|\}$/g, '');
  return inner ? inner.split(',').map((s) => s.replace(/^"|"$/g, '')) : [];
}

const yearStartText = (year: number): string => `${year}-01-01`;

/**
 * The facts of persons with their enrollment of the year, the employee list and the employee
 * duplicate flag: one query. `where` and `tail` (ORDER BY / LIMIT) apply to the persons
 * alone, materialised first, so every lookup after is by index for the batch's rows only.
 */
function factsQuery(year: number, where: ReturnType<typeof sql>, tail: ReturnType<typeof sql> = sql``) {
  const start = yearStartText(year);
  return sql<FactsRow>`
    WITH p AS MATERIALIZED (SELECT * FROM person p WHERE ${where} ${tail})
    SELECT p.id, p.id_number, p.name, p.birth_date, p.kind, p.graduation_year, p.household_id, p.village_code, a.region,
      (SELECT array_agg(DISTINCT n.status ORDER BY n.status) FROM needy_status n
        WHERE n.person_id = p.id AND n.valid_from <= ${start}::date AND (n.valid_to IS NULL OR n.valid_to >= ${start}::date)) AS statuses,
      e.id AS enrollment_id, e.state AS enrollment_state, e.tier AS enrollment_tier,
      ei.id_number IS NOT NULL AS employee_listed, ei.source AS employee_source,
      (SELECT CASE WHEN count(*) = 0 THEN NULL WHEN bool_or(f.resolved_at IS NULL) THEN 'open' ELSE 'resolved' END FROM duplicate_flag f
        WHERE f.id_number = p.id_number AND f.coverage_year = ${year} AND f.reason = 'employee_insurance') AS flag_state
    FROM p
    JOIN admin_area a ON a.code = p.village_code
    LEFT JOIN LATERAL (SELECT e.id, e.state, e.tier FROM enrollment e WHERE e.person_id = p.id AND e.coverage_year = ${year} LIMIT 1) e ON true
    LEFT JOIN employee_insurance ei ON ei.id_number = p.id_number AND ei.coverage_year = ${year}
    ORDER BY p.id`;
}

function toFacts(r: FactsRow): PersonFacts {
  return {
    personId: String(r.id),
    idNumber: r.id_number,
    name: r.name,
    birthDate: r.birth_date,
    kind: r.kind,
    graduationYear: r.graduation_year,
    householdId: r.household_id === null ? null : String(r.household_id),
    villageCode: r.village_code,
    region: r.region,
    statuses: textArray(r.statuses),
  };
}

/** One person's facts for a coverage year (with the enrollment row's id, state and tier). */
export async function personFacts(db: Db, personId: string, year: number): Promise<(PersonFacts & { row: FactsRow }) | null> {
  const { rows } = await factsQuery(year, sql`p.id = ${personId}`).execute(db);
  return rows[0] ? { ...toFacts(rows[0]), row: rows[0] } : null;
}

export interface PersonQuote {
  request: ContributionRequest;
  answer: ContributionAnswer;
  result: ContributionResult;
  cp: CompiledPack;
  tier: Tier | null;
}

export interface QuoteOptions {
  /** the person's chosen tier; ignored where the region has no tiers; default the first tier */
  tier?: string | null;
  paidOn?: string;
  guardianEnrolled?: boolean;
  trace?: boolean;
}

/** The pack governing a region's coverage year, compiled; InputError when there is none. */
export function packFor(quotes: QuoteService, region: string, year: number): CompiledPack {
  const id = quotes.lib.packIdFor(region, year);
  if (!id) throw new InputError('coverageYear', `no policy pack covers region ${region} in ${year} (years with packs: ${quotes.lib.years().join(', ')})`);
  return quotes.compiled(id);
}

/** The contribution request for a person (the same one a clerk could send to the quote API). */
export function requestFor(quotes: QuoteService, f: PersonFacts, year: number, o: QuoteOptions = {}): { request: ContributionRequest; tier: Tier | null } {
  const cp = packFor(quotes, f.region, year);
  const tier = cp.tiers.length ? (o.tier && (cp.tiers as string[]).includes(o.tier) ? (o.tier as Tier) : cp.tiers[0]) : null;
  const request: ContributionRequest = {
    region: f.region,
    coverageYear: year,
    ...(tier ? { tier } : {}),
    person: { birthDate: f.birthDate, kind: f.kind as ContributionRequest['person']['kind'], statuses: f.statuses as ContributionRequest['person']['statuses'] },
    ...(o.paidOn ? { paidOn: o.paidOn } : {}),
    ...(o.guardianEnrolled ? { guardianEnrolled: true } : {}),
    ...(f.graduationYear !== null ? { graduationYear: f.graduationYear } : {}),
  };
  return { request, tier };
}

/** Quote a person in-process: the request validated as the API does, then the engine. */
export function quotePerson(quotes: QuoteService, f: PersonFacts, year: number, o: QuoteOptions = {}): PersonQuote {
  const { request, tier } = requestFor(quotes, f, year, o);
  const { input, cp } = parseContributionRequest(quotes.lib, quotes.compiled, request);
  const trace = o.trace ?? false;
  const result = quoteContribution(cp, input, trace);
  const answer = toAnswer(quotes.lib, cp, input, result);
  return { request, answer, result, cp, tier };
}

/**
 * The quote as stored on the enrollment: the request (with the payment date once paid) and
 * what the columns do not hold — acceptance, the subsidy's split, the example values used.
 * The trace is not stored (it is most of a quote's size); it is recomputed from the request.
 */
export interface StoredQuote {
  request: ContributionRequest;
  answer: Pick<ContributionAnswer, 'accepted' | 'reason' | 'fiscalSubsidy' | 'examplesUsed'>;
}

export function storedQuote(q: PersonQuote): StoredQuote {
  const a = q.answer;
  return { request: q.request, answer: { accepted: a.accepted, reason: a.reason, fiscalSubsidy: a.fiscalSubsidy, examplesUsed: a.examplesUsed } };
}

/** The enrollment columns a quote determines. */
export function quoteColumns(r: ContributionResult) {
  return {
    standard_fen: r.standard,
    assistance_fen: r.assistance,
    due_fen: r.individualDue,
    borne_fen: r.subsidyBorneByPerson,
    subsidy_fen: r.subsidy ? r.subsidy.total : null,
    benefit_start: r.period ? fmt(r.period.start) : null,
    benefit_end: r.period ? fmt(r.period.end) : null,
    waiting_days: r.period ? r.period.waitingDays : null,
    refusal_code: r.reason?.code ?? null,
  };
}

const fmt = formatDay;

/** Post the fiscal subsidy accrued for a paid enrollment: Dr receivable per level / Cr basic fund. */
export async function postSubsidy(tx: Db, enrollmentId: string, r: ContributionResult, memo: string): Promise<string | null> {
  if (!r.subsidy || r.subsidy.total === 0) return null;
  const lines = r.subsidy.shares.filter((s) => s.fen !== 0).map((s) => ({ account: ACCOUNTS.subsidyReceivable(s.level), fen: s.fen }));
  lines.push({ account: ACCOUNTS.basicFund, fen: -r.subsidy.shares.reduce((t, s) => t + s.fen, 0) });
  return post(tx, memo, 'subsidy', enrollmentId, lines);
}

export const blockReasonEmployee = (source: string | null): string =>
  `DUPLICATE_ENROLLMENT: 重复参保——该身份证号在职工基本医疗保险参保名单中${source ? `（${source}）` : ''}`;

// ---------------------------------------------------------------- newborns following a guardian

/** A paid guardian in the household: a member other than a newborn, 18 or older at the birth. */
export interface Guardian {
  personId: string;
  birthDate: string;
}

/** Guardians with a paid enrollment of the year in each household (youngest adult first). */
export async function paidGuardians(db: Db, householdIds: string[], year: number): Promise<Map<string, Guardian[]>> {
  const out = new Map<string, Guardian[]>();
  if (householdIds.length === 0) return out;
  // the household's members first (materialised), then each one's enrollment by its key: with
  // statistics from before the payments the planner otherwise scanned every paid enrollment
  const { rows } = await sql<{ household_id: string; id: string; birth_date: string }>`
    WITH p AS MATERIALIZED (SELECT id, household_id, birth_date FROM person WHERE household_id = ANY(${householdIds}::bigint[]) AND kind <> 'newborn')
    SELECT p.household_id, p.id, p.birth_date FROM p
    JOIN LATERAL (SELECT 1 FROM enrollment e WHERE e.person_id = p.id AND e.coverage_year = ${year} AND e.state = 'paid' AND e.guardian_person_id IS NULL) e ON true
    ORDER BY p.birth_date DESC, p.id`.execute(db);
  for (const r of rows) {
    const k = String(r.household_id);
    if (!out.has(k)) out.set(k, []);
    out.get(k)!.push({ personId: String(r.id), birthDate: r.birth_date });
  }
  return out;
}

/** The guardian a newborn follows, if any: an adult (18+ at the birth) of the household who has paid. */
export function guardianFor(f: PersonFacts, year: number, guardians: Map<string, Guardian[]>): Guardian | null {
  if (f.kind !== 'newborn' || !f.householdId || !f.birthDate.startsWith(`${year}-`)) return null;
  const birth = parseDay(f.birthDate);
  return (guardians.get(f.householdId) ?? []).find((g) => g.personId !== f.personId && ageOn(parseDay(g.birthDate), birth) >= 18) ?? null;
}

/**
 * After a guardian's payment: newborns of the household (born in the year, assessed or
 * refused, not yet paid) are enrolled following the guardian. Returns the enrollment ids.
 */
export async function followGuardian(tx: Transaction<DB>, quotes: QuoteService, actor: Actor, householdId: string | null, year: number): Promise<string[]> {
  if (!householdId) return [];
  const { rows: all } = await factsQuery(
    year,
    sql`p.household_id = ${householdId} AND p.kind = 'newborn' AND p.birth_date BETWEEN ${`${year}-01-01`}::date AND ${`${year}-12-31`}::date`,
  ).execute(tx);
  const rows = all.filter((r) => r.enrollment_id !== null && (r.enrollment_state === 'assessed' || r.enrollment_state === 'refused'));
  if (rows.length === 0) return [];
  const guardians = await paidGuardians(tx, [householdId], year);
  const done: string[] = [];
  for (const r of rows) {
    const f = toFacts(r);
    const g = guardianFor(f, year, guardians);
    if (!g) continue;
    const locked = await tx.selectFrom('enrollment').select('state').where('id', '=', r.enrollment_id!).forUpdate().executeTakeFirst();
    if (!locked || (locked.state !== 'assessed' && locked.state !== 'refused')) continue;
    const q = quotePerson(quotes, f, year, { tier: r.enrollment_tier, guardianEnrolled: true });
    if (!q.result.accepted) continue;
    await tx
      .updateTable('enrollment')
      .set({
        ...quoteColumns(q.result),
        tier: q.tier,
        state: 'paid',
        block_reason: null,
        quote: JSON.stringify(storedQuote(q)),
        paid_fen: sql`0`,
        paid_on: null,
        guardian_person_id: g.personId,
        version: sql`version + 1`,
        updated_at: sql`now()`,
      })
      .where('id', '=', r.enrollment_id!)
      .execute();
    await postSubsidy(tx, r.enrollment_id!, q.result, `新生儿随监护人参保 财政补助 ${year}`);
    await audit(tx, actor, 'follow_guardian', 'enrollment', r.enrollment_id, { coverageYear: year, personId: f.personId, guardianPersonId: g.personId, benefitStart: q.answer.benefitPeriod?.start ?? null });
    done.push(String(r.enrollment_id));
  }
  return done;
}

// ---------------------------------------------------------------- assessment

export interface AssessYearOptions {
  coverageYear: number;
  /** admin-area codes (villages or townships); default: every person of the register */
  villages?: string[];
  actor?: Actor;
  batchSize?: number;
  /** batches written at the same time (default 3; PGlite has one connection and does them in turn) */
  concurrency?: number;
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

interface UpsertRow {
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
const noJit = (tx: Transaction<DB>) => sql`SET LOCAL jit = off`.execute(tx);

function validYear(year: number): number {
  if (!Number.isInteger(year) || year < 2000 || year > 2100) throw new InputError('coverageYear', 'must be a year between 2000 and 2100');
  return year;
}

function villagePatterns(villages: readonly string[] | undefined): string[] | null {
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
      const w: Promise<void> = assessBatch(db, quotes, actor, year, yearEnd, rows, s)
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

async function assessBatch(db: Kysely<DB>, quotes: QuoteService, actor: Actor, year: number, yearEnd: string, rows: FactsRow[], s: AssessYearSummary): Promise<void> {
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
      q = quotePerson(quotes, f, year, { tier: r.enrollment_tier, guardianEnrolled: g !== null });
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
        await postSubsidy(tx, String(w.id), r, `新生儿随监护人参保 财政补助 ${year}`);
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

// ---------------------------------------------------------------- tier before payment

export async function setTier(db: Kysely<DB>, quotes: QuoteService, actor: Actor, enrollmentId: string, tier: string): Promise<EnrollmentView> {
  if (!(TIERS as readonly string[]).includes(tier)) throw new InputError('tier', `must be one of ${TIERS.join(', ')}`);
  return db.transaction().execute(async (tx) => {
    const e = await tx.selectFrom('enrollment').selectAll().where('id', '=', enrollmentId).forUpdate().executeTakeFirst();
    if (!e) throw new NotFoundError('enrollment', enrollmentId);
    const f = await personFacts(tx, String(e.person_id), e.coverage_year);
    if (!f) throw new NotFoundError('person', String(e.person_id));
    requireVillage(actor, f.villageCode);
    if (e.state === 'paid') throw new ConflictError('ENROLLMENT_PAID', 'the enrollment is paid: its tier can no longer change');
    const cp = packFor(quotes, f.region, e.coverage_year);
    if (!cp.tiers.length) throw new InputError('tier', `region ${f.region} has no contribution tiers in ${e.coverage_year}`);
    if (!(cp.tiers as string[]).includes(tier)) throw new InputError('tier', `must be one of ${cp.tiers.join(', ')}`);
    const q = quotePerson(quotes, f, e.coverage_year, { tier });
    const state = e.state === 'blocked' ? 'blocked' : q.result.accepted ? 'assessed' : 'refused';
    await tx
      .updateTable('enrollment')
      .set({ ...quoteColumns(q.result), tier: q.tier, state, pack: q.cp.pack.id, quote: JSON.stringify(storedQuote(q)), version: sql`version + 1`, updated_at: sql`now()` })
      .where('id', '=', enrollmentId)
      .execute();
    await audit(tx, actor, 'set_tier', 'enrollment', enrollmentId, { from: e.tier, to: q.tier, dueFen: { from: e.due_fen === null ? null : Number(e.due_fen), to: q.result.individualDue } });
    return (await enrollmentView(tx, enrollmentId))!;
  });
}

// ---------------------------------------------------------------- views

const yuan = (v: string | number | null): number | null => (v === null ? null : Number(v) / 100);

export interface EnrollmentView {
  id: string;
  personId: string;
  /** masked: 500230********1234 */
  idNumber: string;
  /** masked: 张* */
  name: string;
  villageCode: string;
  villageName: string;
  coverageYear: number;
  region: string;
  pack: string;
  tier: string | null;
  state: string;
  standardYuan: number;
  assistanceYuan: number | null;
  dueYuan: number | null;
  subsidyBorneByPersonYuan: number | null;
  fiscalSubsidyYuan: number | null;
  benefitPeriod: { start: string; end: string } | null;
  waitingDays: number | null;
  refusal: { code: string; message: string } | null;
  blockReason: string | null;
  paidYuan: number;
  paidOn: string | null;
  guardianPersonId: string | null;
  version: number;
  updatedAt: string;
}

interface ViewRow {
  id: string;
  person_id: string;
  id_number: string;
  name: string;
  village_code: string;
  village_name: string;
  coverage_year: number;
  region: string;
  pack: string;
  tier: string | null;
  state: string;
  standard_fen: string;
  assistance_fen: string | null;
  due_fen: string | null;
  borne_fen: string | null;
  subsidy_fen: string | null;
  benefit_start: string | null;
  benefit_end: string | null;
  waiting_days: number | null;
  refusal_code: string | null;
  block_reason: string | null;
  paid_fen: string;
  paid_on: string | null;
  guardian_person_id: string | null;
  version: number;
  updated_at: Date | string;
}

function viewSelect(db: Db) {
  return db
    .selectFrom('enrollment as e')
    .innerJoin('person as p', 'p.id', 'e.person_id')
    .innerJoin('admin_area as v', 'v.code', 'p.village_code')
    .select([
      'e.id', 'e.person_id', 'p.id_number', 'p.name', 'p.village_code', 'v.name as village_name', 'e.coverage_year', 'e.region', 'e.pack', 'e.tier',
      'e.state', 'e.standard_fen', 'e.assistance_fen', 'e.due_fen', 'e.borne_fen', 'e.subsidy_fen', 'e.benefit_start', 'e.benefit_end',
      'e.waiting_days', 'e.refusal_code', 'e.block_reason', 'e.paid_fen', 'e.paid_on', 'e.guardian_person_id', 'e.version', 'e.updated_at',
    ]);
}

function toView(r: ViewRow): EnrollmentView {
  return {
    id: String(r.id),
    personId: String(r.person_id),
    idNumber: maskIdNumber(r.id_number),
    name: maskName(r.name),
    villageCode: r.village_code,
    villageName: r.village_name,
    coverageYear: r.coverage_year,
    region: r.region,
    pack: r.pack,
    tier: r.tier,
    state: r.state,
    standardYuan: Number(r.standard_fen) / 100,
    assistanceYuan: yuan(r.assistance_fen),
    dueYuan: yuan(r.due_fen),
    subsidyBorneByPersonYuan: yuan(r.borne_fen),
    fiscalSubsidyYuan: yuan(r.subsidy_fen),
    benefitPeriod: r.benefit_start && r.benefit_end ? { start: r.benefit_start, end: r.benefit_end } : null,
    waitingDays: r.waiting_days,
    refusal: r.refusal_code ? { code: r.refusal_code, message: (REFUSAL_CODES as Record<string, string>)[r.refusal_code] ?? r.refusal_code } : null,
    blockReason: r.block_reason,
    paidYuan: Number(r.paid_fen) / 100,
    paidOn: r.paid_on,
    guardianPersonId: r.guardian_person_id === null ? null : String(r.guardian_person_id),
    version: r.version,
    updatedAt: new Date(r.updated_at).toISOString(),
  };
}

export async function enrollmentView(db: Db, id: string): Promise<EnrollmentView | null> {
  const r = await viewSelect(db).where('e.id', '=', id).executeTakeFirst();
  return r ? toView(r as unknown as ViewRow) : null;
}

export interface ListOptions {
  coverageYear?: number;
  village?: string;
  state?: string;
  after?: string;
  limit?: number;
}

/** Enrollments, masked, paged by id; a clerk sees only their villages. */
export async function listEnrollments(db: Kysely<DB>, actor: Actor, o: ListOptions): Promise<{ items: EnrollmentView[]; next: string | null }> {
  if (o.village && !inScope(actor, o.village) && !(actor.role === 'clerk' && actor.villages.some((v) => v.startsWith(o.village!))))
    requireVillage(actor, o.village);
  const limit = o.limit ?? 100;
  let q = viewSelect(db).orderBy('e.id').limit(limit);
  if (o.after) q = q.where('e.id', '>', o.after);
  if (o.coverageYear !== undefined) q = q.where('e.coverage_year', '=', o.coverageYear);
  if (o.state) q = q.where('e.state', '=', o.state as 'assessed');
  if (o.village) q = q.where('p.village_code', 'like', `${o.village}%`);
  if (actor.role === 'clerk') {
    const own = actor.villages;
    q = q.where((eb) => eb.or(own.map((v) => eb('p.village_code', 'like', `${v}%`))));
  }
  const rows = (await q.execute()) as unknown as ViewRow[];
  return { items: rows.map(toView), next: rows.length === limit ? String(rows[rows.length - 1].id) : null };
}

/**
 * One enrollment (masked), in scope, with its quote: the engine's answer with the trace
 * citing each rule, recomputed from the stored request; `matchesRecord` says whether it
 * still gives the amounts recorded (it does unless the pack was changed since).
 */
export async function enrollmentDetail(
  db: Kysely<DB>,
  quotes: QuoteService,
  actor: Actor,
  id: string,
): Promise<EnrollmentView & { quote: Partial<ContributionAnswer> & { request: ContributionRequest; matchesRecord: boolean } }> {
  const r = await viewSelect(db).select('e.quote').where('e.id', '=', id).executeTakeFirst();
  if (!r) throw new NotFoundError('enrollment', id);
  requireVillage(actor, r.village_code);
  const stored = (typeof r.quote === 'string' ? JSON.parse(r.quote) : r.quote) as StoredQuote;
  const view = toView(r as unknown as ViewRow);
  try {
    const answer = quotes.contribution({ ...stored.request, trace: true });
    const matches =
      answer.accepted === stored.answer.accepted &&
      answer.standardContribution === view.standardYuan &&
      answer.individualDue === view.dueYuan &&
      JSON.stringify(answer.fiscalSubsidy) === JSON.stringify(stored.answer.fiscalSubsidy);
    return { ...view, quote: { ...answer, request: stored.request, matchesRecord: matches } };
  } catch {
    // a pack that no longer quotes the stored request: show what was stored
    return { ...view, quote: { ...stored.answer, request: stored.request, matchesRecord: false } };
  }
}
