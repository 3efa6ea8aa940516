/** Newborns following a guardian: a newborn whose household has a guardian with a paid enrollment pays nothing and is covered from birth. */
import { sql, type Kysely, type Transaction } from 'kysely';
import { ageOn, parseDay } from '../dates.js';
import type { DB } from '../store/schema.js';
import { auditMany } from '../access/audit.js';
import { postMany } from '../ledger/ledger.js';
import { type Actor } from '../access/roles.js';
import type { QuoteService } from '../quotes/quote-service.js';
import { type PersonFacts, factsQuery, quoteColumns, quotePerson, storedQuote, subsidyLines, toFacts } from './person-quote.js';

type Db = Kysely<DB> | Transaction<DB>;

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
  // the household's members first (materialised), then each one's enrollment by its key (the
  // state tested outside: with statistics from before the payments the planner otherwise read
  // the enrollments by (coverage_year, state), every paid one for each member)
  const { rows } = await sql<{ household_id: string; id: string; birth_date: string }>`
    WITH p AS MATERIALIZED (SELECT id, household_id, birth_date FROM person WHERE household_id = ANY(${householdIds}::bigint[]) AND kind <> 'newborn')
    SELECT p.household_id, p.id, p.birth_date FROM p
    JOIN LATERAL (SELECT e.state, e.guardian_person_id FROM enrollment e WHERE e.person_id = p.id AND e.coverage_year = ${year} LIMIT 1) e ON true
    WHERE e.state = 'paid' AND e.guardian_person_id IS NULL
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
  return householdId ? followGuardians(tx, quotes, actor, [householdId], year) : [];
}

/**
 * The same for many households of one coverage year at once (a batch of a payment file): the
 * newborns read, their enrollments locked in id order, each quoted as following its guardian,
 * then one update of the enrollments, one insert of the subsidy entries and one of the audit
 * rows. Returns the enrollment ids, in person order.
 */
export async function followGuardians(tx: Transaction<DB>, quotes: QuoteService, actor: Actor, householdIds: readonly string[], year: number): Promise<string[]> {
  if (householdIds.length === 0) return [];
  const { rows: all } = await factsQuery(
    year,
    sql`p.household_id = ANY(${[...householdIds]}::bigint[]) AND p.kind = 'newborn' AND p.birth_date BETWEEN ${`${year}-01-01`}::date AND ${`${year}-12-31`}::date`,
  ).execute(tx);
  const rows = all.filter((r) => r.enrollment_id !== null && (r.enrollment_state === 'assessed' || r.enrollment_state === 'refused'));
  if (rows.length === 0) return [];
  const guardians = await paidGuardians(tx, [...new Set(rows.map((r) => String(r.household_id)))], year);
  const following = rows.map((r) => ({ r, f: toFacts(r) })).map((x) => ({ ...x, g: guardianFor(x.f, year, guardians) })).filter((x) => x.g !== null);
  if (following.length === 0) return [];
  const { rows: locked } = await sql<{ id: string; state: string }>`
    SELECT id, state FROM enrollment WHERE id = ANY(${following.map((x) => String(x.r.enrollment_id))}::bigint[]) ORDER BY id FOR UPDATE`.execute(tx);
  const stateOf = new Map(locked.map((l) => [String(l.id), l.state]));
  const done: { id: string; f: PersonFacts; g: Guardian; q: ReturnType<typeof quotePerson> }[] = [];
  for (const { r, f, g } of following) {
    const id = String(r.enrollment_id);
    const state = stateOf.get(id);
    if (state !== 'assessed' && state !== 'refused') continue;
    const q = quotePerson(quotes, f, year, { tier: r.enrollment_tier, guardianEnrolled: true });
    if (!q.result.accepted) continue;
    done.push({ id, f, g: g!, q });
  }
  if (done.length === 0) return [];
  await sql`
    UPDATE enrollment e SET
      standard_fen = x.standard_fen, assistance_fen = x.assistance_fen, due_fen = x.due_fen, borne_fen = x.borne_fen, subsidy_fen = x.subsidy_fen,
      benefit_start = x.benefit_start, benefit_end = x.benefit_end, waiting_days = x.waiting_days, refusal_code = x.refusal_code,
      tier = x.tier, state = 'paid', block_reason = NULL, quote = x.quote, paid_fen = 0, paid_on = NULL,
      guardian_person_id = x.guardian_person_id, version = e.version + 1, updated_at = now()
    FROM jsonb_to_recordset(${JSON.stringify(done.map((d) => ({ id: d.id, ...quoteColumns(d.q.result), tier: d.q.tier, quote: storedQuote(d.q), guardian_person_id: d.g.personId })))}::jsonb)
      AS x(id bigint, standard_fen bigint, assistance_fen bigint, due_fen bigint, borne_fen bigint, subsidy_fen bigint, benefit_start date, benefit_end date,
        waiting_days int, refusal_code text, tier text, quote jsonb, guardian_person_id bigint)
    WHERE e.id = x.id`.execute(tx);
  await postMany(
    tx,
    done.filter((d) => d.q.result.subsidy && d.q.result.subsidy.total !== 0).map((d) => ({ memo: `新生儿随监护人参保 财政补助 ${year}`, source: 'subsidy', sourceId: d.id, coverageYear: year, lines: subsidyLines(d.q.result.subsidy!) })),
  );
  await auditMany(tx, actor, 'follow_guardian', 'enrollment', done.map((d) => ({ id: d.id, detail: { coverageYear: year, personId: d.f.personId, guardianPersonId: d.g.personId, benefitStart: d.q.answer.benefitPeriod?.start ?? null } })));
  return done.map((d) => d.id);
}
