/**
 * The coverage year's partitions of encounter, settlement and posting (migration 050): made by
 * the database function open_coverage_year(year) (it runs as the tables' owner), so that a
 * year's rows go to its own partition and the DEFAULT partition stays empty in normal running.
 * The service opens every year its policy packs cover and the next one when it starts
 * (src/http/server.ts), and a year the first time this process records an encounter of it
 * (src/settlement/encounters.ts) or posts a journal entry of it (src/ledger/ledger.ts); the years
 * opened are remembered per database, so the call is made once per year and process.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB } from './schema.js';

export const PARTITIONED_TABLES = ['encounter', 'settlement', 'posting'] as const;

/**
 * The years opened, per database: keyed by its Kysely instance's adapter, which the instance's
 * transactions share (a transaction is not its database's instance, but carries its adapter).
 */
const opened = new WeakMap<object, Set<number>>();
/** Transactions that made partitions: until they commit, a year is not remembered from them. */
const making = new WeakSet<object>();

function rangeChecked(year: number): number {
  if (!Number.isInteger(year) || year < 2000 || year > 2999) throw new RangeError(`coverage year ${year}: partitions are made for the years 2000 to 2999`);
  return year;
}

/**
 * Make the partitions of these coverage years where missing, once per year and database in this
 * process. Given a transaction, they are made in it (and taken back if it rolls back): a year is
 * remembered from a transaction only when its partitions were there already. Answers the
 * partitions made.
 */
export async function openCoverageYears(db: Kysely<DB> | Transaction<DB>, years: Iterable<number>): Promise<string[]> {
  const key = db.getExecutor().adapter as object;
  const seen = opened.get(key) ?? opened.set(key, new Set<number>()).get(key)!;
  const wanted = [...new Set(years)].map(rangeChecked).filter((y) => !seen.has(y)).sort((a, b) => a - b);
  const made: string[] = [];
  for (const y of wanted) {
    const { rows } = await sql<{ made: string[] | null }>`SELECT open_coverage_year(${y}::int) AS made`.execute(db);
    const now = rows[0]?.made ?? [];
    made.push(...now);
    if (!db.isTransaction) seen.add(y);
    else if (now.length > 0) making.add(db);
    else if (!making.has(db)) seen.add(y);
  }
  return made;
}

/** Rows in the DEFAULT partitions, by table (all zero in normal running). */
export async function defaultPartitionRows(db: Kysely<DB>): Promise<Record<(typeof PARTITIONED_TABLES)[number], number>> {
  const { rows } = await sql<{ encounter: string; settlement: string; posting: string }>`
    SELECT (SELECT count(*) FROM ONLY encounter_default) AS encounter, (SELECT count(*) FROM ONLY settlement_default) AS settlement,
           (SELECT count(*) FROM ONLY posting_default) AS posting`.execute(db);
  return { encounter: Number(rows[0].encounter), settlement: Number(rows[0].settlement), posting: Number(rows[0].posting) };
}
