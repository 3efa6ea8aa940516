/**
 * Room src/ledger/ — the fund ledger: double-entry postings, fund transfers, reports (trial balance, payable to hospitals, journal).
 * May import: src/access, src/store and below.
 *
 * The fund ledger, double-entry: every movement is a journal entry whose postings add up to
 * zero (debit +, credit −). Balances are sums of postings; nothing is ever edited. The
 * database refuses an unbalanced entry at commit as well (a deferred constraint trigger).
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Fen } from '../money.js';
import type { DB } from '../store/schema.js';
import { openCoverageYears } from '../store/partitions.js';

export const ACCOUNTS = {
  basicFund: 'basic_fund',
  criticalIllnessFund: 'critical_illness_fund',
  medicalAssistanceFund: 'medical_assistance_fund',
  contributionsReceived: 'contributions_received',
  payableHospitals: 'payable_hospitals',
  /** 基金专户银行存款: where the money paid out leaves from (migration 025) */
  fundBank: 'fund_bank',
  medicalAssistanceAppropriationReceivable: 'medical_assistance_appropriation_receivable',
  subsidyReceivable: (level: string): string => `subsidy_receivable_${level}`,
} as const;

export interface PostingLine {
  account: string;
  /** debit positive, credit negative */
  fen: Fen;
}

export class UnbalancedEntryError extends Error {}

/**
 * Post one journal entry; returns its id. Lines of zero are dropped; the rest must sum to zero.
 * `coverageYear`: the year the entry belongs to (its postings' partition, migration 050); without
 * it, the calendar year of the day it is posted. opts.hospitalCode: the hospital the entry is
 * about where no settlement names it (a recovery).
 */
export async function post(tx: Transaction<DB> | Kysely<DB>, memo: string, source: string, sourceId: string | number | null, lines: PostingLine[], coverageYear?: number, opts: { hospitalCode?: string | null } = {}): Promise<string | null> {
  const live = lines.filter((l) => l.fen !== 0);
  if (live.length === 0) return null;
  const sum = live.reduce((s, l) => s + l.fen, 0);
  if (sum !== 0) throw new UnbalancedEntryError(`entry "${memo}" does not balance: ${sum} fen`);
  if (coverageYear !== undefined) await openCoverageYears(tx, [coverageYear]);
  const e = await tx.insertInto('journal_entry').values({ memo, source, source_id: sourceId === null ? null : String(sourceId), ...(opts.hospitalCode ? { hospital_code: opts.hospitalCode } : {}) }).returning('id').executeTakeFirstOrThrow();
  await tx
    .insertInto('posting')
    .values(live.map((l) => ({ entry_id: e.id, account: l.account, amount_fen: l.fen, ...(coverageYear !== undefined ? { coverage_year: coverageYear } : {}) })))
    .execute();
  return e.id;
}

export interface EntryToPost {
  memo: string;
  source: string;
  sourceId: string | number | null;
  lines: PostingLine[];
  /** as post()'s coverageYear */
  coverageYear?: number;
}

/**
 * Post many journal entries at once, as post() posts one (lines of zero dropped, an entry with
 * none left skipped, every entry checked to balance before anything is written): the ids drawn
 * first, then one insert of the entries and one of their postings. Returns each entry's id
 * (null where skipped), in the order given.
 */
export async function postMany(tx: Transaction<DB> | Kysely<DB>, entries: readonly EntryToPost[]): Promise<(string | null)[]> {
  const live = entries.map((e) => e.lines.filter((l) => l.fen !== 0));
  entries.forEach((e, i) => {
    const sum = live[i].reduce((s, l) => s + l.fen, 0);
    if (sum !== 0) throw new UnbalancedEntryError(`entry "${e.memo}" does not balance: ${sum} fen`);
  });
  const kept = entries.map((_, i) => i).filter((i) => live[i].length > 0);
  const ids: (string | null)[] = entries.map(() => null);
  if (kept.length === 0) return ids;
  await openCoverageYears(tx, kept.flatMap((i) => (entries[i].coverageYear !== undefined ? [entries[i].coverageYear!] : [])));
  const { rows } = await sql<{ id: string }>`SELECT nextval(pg_get_serial_sequence('journal_entry', 'id'))::text AS id FROM generate_series(1, ${kept.length})`.execute(tx);
  kept.forEach((i, k) => (ids[i] = rows[k].id));
  await sql`
    INSERT INTO journal_entry (id, memo, source, source_id)
    SELECT * FROM unnest(${kept.map((i) => ids[i])}::bigint[], ${kept.map((i) => entries[i].memo)}::text[], ${kept.map((i) => entries[i].source)}::text[],
      ${kept.map((i) => (entries[i].sourceId === null ? null : String(entries[i].sourceId)))}::bigint[])`.execute(tx);
  const lines = kept.flatMap((i) => live[i].map((l) => [ids[i]!, l.account, l.fen, entries[i].coverageYear ?? null] as const));
  await sql`
    INSERT INTO posting (entry_id, account, amount_fen, coverage_year)
    SELECT e, a, f, COALESCE(y, extract(year FROM current_date)::int)
      FROM unnest(${lines.map((l) => l[0])}::bigint[], ${lines.map((l) => l[1])}::text[], ${lines.map((l) => l[2])}::bigint[], ${lines.map((l) => l[3])}::int[]) AS l(e, a, f, y)`.execute(tx);
  return ids;
}

export interface AccountBalance {
  account: string;
  name: string;
  kind: string;
  /** debit-positive balance in fen */
  balanceFen: Fen;
}

/** Every account's balance, derived from postings. The balances add up to zero. */
export async function balances(db: Kysely<DB>): Promise<AccountBalance[]> {
  const rows = await db
    .selectFrom('account as a')
    .leftJoin('posting as p', 'p.account', 'a.code')
    .select(['a.code', 'a.name', 'a.kind', sql<string>`coalesce(sum(p.amount_fen), 0)`.as('balance')])
    .groupBy(['a.code', 'a.name', 'a.kind'])
    .orderBy('a.code')
    .execute();
  return rows.map((r) => ({ account: r.code, name: r.name, kind: r.kind, balanceFen: Number(r.balance) }));
}

/** Entries whose postings do not add up to zero (must be none). */
export async function unbalancedEntries(db: Kysely<DB>): Promise<string[]> {
  const rows = await db.selectFrom('posting').select(['entry_id']).groupBy('entry_id').having(sql`sum(amount_fen)`, '<>', 0).execute();
  return rows.map((r) => String(r.entry_id));
}
