/**
 * A person's facts for a coverage year (region, kind, statuses valid on the year's start,
 * enrollment, employee-insurance list) and the contribution engine's quote on them; what is
 * stored of a quote; the fiscal subsidy's posting. Used by assessment, payments and the
 * duplicate check.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import { formatDay } from '../dates.js';
import { InputError } from '../errors.js';
import { type Tier } from '../policy/vocabulary.js';
import type { CompiledPack } from '../rules/compile.js';
import { quoteContribution, type ContributionResult } from '../rules/quote.js';
import type { DB } from '../store/schema.js';
import { parseContributionRequest, toAnswer, type ContributionAnswer, type ContributionRequest } from '../quotes/contribution-request.js';
import { ACCOUNTS, post, type PostingLine } from '../ledger/ledger.js';
import type { QuoteService } from '../quotes/quote-service.js';

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
  /** 户籍类型 (the register's; null: not known, the pack's assumption is quoted with a warning) */
  residence?: 'rural' | 'urban' | null;
  /** the day the person's employee insurance ended (the employee-insurance list of the year or the year before); null: none */
  employeeEndedOn?: string | null;
}

export interface FactsRow {
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
  residence: 'rural' | 'urban' | null;
  employee_ended_on: string | null;
  enrollment_id: string | null;
  enrollment_state: string | null;
  enrollment_tier: string | null;
  employee_listed: boolean;
  employee_source: string | null;
  flag_state: 'open' | 'resolved' | null;
}

/** pg gives text[] as an array; be tolerant of the '{a,b}' text form as well. */
export function textArray(v: string[] | string | null): string[] {
  if (v === null) return [];
  if (Array.isArray(v)) return v;
  const inner = v.replace(/^\{|\}$/g, '');
  return inner ? inner.split(',').map((s) => s.replace(/^"|"$/g, '')) : [];
}

export const yearStartText = (year: number): string => `${year}-01-01`;

/**
 * SQL: the latest day the person's employee insurance ended, by the employee-insurance lists of
 * the year and the year before (`p` the person row, `year` an int expression).
 */
export const employeeEndedSql = (year: ReturnType<typeof sql>) => sql`(SELECT to_char(max(x.ended_on), 'YYYY-MM-DD') FROM employee_insurance x
        WHERE x.id_number = p.id_number AND x.coverage_year IN (${year}, ${year} - 1) AND x.ended_on IS NOT NULL)`;

/**
 * The facts of persons with their enrollment of the year, the employee list and the employee
 * duplicate flag: one query. `where` and `tail` (ORDER BY / LIMIT) apply to the persons
 * alone, materialised first, so every lookup after is by index for the batch's rows only.
 */
export function factsQuery(year: number, where: ReturnType<typeof sql>, tail: ReturnType<typeof sql> = sql``) {
  const start = yearStartText(year);
  return sql<FactsRow>`
    WITH p AS MATERIALIZED (SELECT * FROM person p WHERE ${where} ${tail})
    SELECT p.id, p.id_number, p.name, p.birth_date, p.kind, p.graduation_year, p.household_id, p.village_code, a.region, p.residence,
      ${employeeEndedSql(sql`${year}::int`)} AS employee_ended_on,
      (SELECT array_agg(DISTINCT n.status ORDER BY n.status) FROM needy_status n
        WHERE n.person_id = p.id AND n.valid_from <= ${start}::date AND (n.valid_to IS NULL OR n.valid_to >= ${start}::date)) AS statuses,
      e.id AS enrollment_id, e.state AS enrollment_state, e.tier AS enrollment_tier,
      ei.id_number IS NOT NULL AND ei.ended_on IS NULL AS employee_listed, ei.source AS employee_source,
      (SELECT CASE WHEN count(*) = 0 THEN NULL WHEN bool_or(f.resolved_at IS NULL) THEN 'open' ELSE 'resolved' END FROM duplicate_flag f
        WHERE f.id_number = p.id_number AND f.coverage_year = ${year} AND f.reason = 'employee_insurance') AS flag_state
    FROM p
    JOIN admin_area a ON a.code = p.village_code
    LEFT JOIN LATERAL (SELECT e.id, e.state, e.tier FROM enrollment e WHERE e.person_id = p.id AND e.coverage_year = ${year} LIMIT 1) e ON true
    LEFT JOIN employee_insurance ei ON ei.id_number = p.id_number AND ei.coverage_year = ${year}
    ORDER BY p.id`;
}

export function toFacts(r: FactsRow): PersonFacts {
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
    residence: r.residence ?? null,
    employeeEndedOn: r.employee_ended_on ?? null,
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
  /** the enrollment date (参保), where known: the campaign enrolls a person by their payment, so the payment date */
  enrolledOn?: string;
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
    person: {
      birthDate: f.birthDate,
      kind: f.kind as ContributionRequest['person']['kind'],
      statuses: f.statuses as ContributionRequest['person']['statuses'],
      ...(f.residence ? { residence: f.residence } : {}),
    },
    ...(o.paidOn ? { paidOn: o.paidOn } : {}),
    ...(o.enrolledOn ? { enrolledOn: o.enrolledOn } : {}),
    ...(f.employeeEndedOn && f.employeeEndedOn < `${year + 1}-01-01` ? { previousCoverage: { scheme: 'employee' as const, endedOn: f.employeeEndedOn } } : {}),
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

export const fmt = formatDay;

/** Post the fiscal subsidy accrued for a paid enrollment: Dr receivable per level / Cr basic fund. */
export async function postSubsidy(tx: Db, enrollmentId: string, r: ContributionResult, memo: string, coverageYear: number): Promise<string | null> {
  if (!r.subsidy || r.subsidy.total === 0) return null;
  return post(tx, memo, 'subsidy', enrollmentId, subsidyLines(r.subsidy), coverageYear);
}

/** The ledger lines of a fiscal subsidy accrued: Dr receivable per level / Cr basic fund. */
export function subsidyLines(subsidy: NonNullable<ContributionResult['subsidy']>): PostingLine[] {
  // a subsidy whose split was not determined (no subsidy class) is receivable as a whole, unallocated
  const shares = subsidy.shares ?? [{ level: 'unallocated' as const, fen: subsidy.total }];
  const lines = shares.filter((s) => s.fen !== 0).map((s) => ({ account: ACCOUNTS.subsidyReceivable(s.level), fen: s.fen }));
  lines.push({ account: ACCOUNTS.basicFund, fen: -shares.reduce((t, s) => t + s.fen, 0) });
  return lines;
}

export const blockReasonEmployee = (source: string | null): string =>
  `DUPLICATE_ENROLLMENT: 重复参保——该身份证号在职工基本医疗保险参保名单中${source ? `（${source}）` : ''}`;
