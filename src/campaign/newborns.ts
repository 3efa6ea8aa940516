/** Newborns following a guardian: a newborn whose household has a guardian with a paid enrollment pays nothing and is covered from birth. */
import { sql, type Kysely, type Transaction } from 'kysely';
import { ageOn, parseDay } from '../dates.js';
import type { DB } from '../store/schema.js';
import { audit } from '../access/audit.js';
import { type Actor } from '../access/roles.js';
import type { QuoteService } from '../quotes/quote-service.js';
import { type PersonFacts, factsQuery, postSubsidy, quoteColumns, quotePerson, storedQuote, toFacts } from './person-quote.js';

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
