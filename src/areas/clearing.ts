/**
 * Monthly clearing (清算) between a treating area and an insured area: the statement of what the
 * insured area's funds owe the treating area's hospitals for the month — every cross-area
 * settlement live at the time of clearing whose settlement time (the insured area's, carried in
 * both records) falls in the month, with its fund amount in fen — made by each side from its
 * own records. The two statements agree when their digests are equal (same lines, same fen);
 * only then each side posts it once:
 *   treating area:  Dr receivable_areas (应收参保地清算款)  Cr payable_hospitals (应付定点医疗机构款)
 *   insured area:   Dr payable_hospitals                   Cr payable_areas (应付就医地清算款)
 * (the insured area's own settlements credited payable_hospitals for the away hospital when made).
 */
import { createHash } from 'node:crypto';
import { InputError } from '../errors.js';
import { post } from '../ledger/ledger.js';
import type { Statement, StatementLine } from './protocol.js';
import { sql } from 'kysely';
import { audit } from '../access/audit.js';
import type { Actor } from '../access/roles.js';
import { plain, type ADb } from './tables.js';

export function monthBounds(month: string): { from: Date; to: Date } {
  const m = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(month);
  if (!m) throw new InputError('month', 'must be a month YYYY-MM');
  const y = Number(m[1]);
  const mo = Number(m[2]);
  // the month in China's time (UTC+8), as the hospitals' days are
  return { from: new Date(Date.UTC(y, mo - 1, 1) - 8 * 3600_000), to: new Date(Date.UTC(y, mo, 1) - 8 * 3600_000) };
}

/** The sums of a statement as SQL made them (bigint fen, summed in the database, never in JS floats). */
export interface StatementSums {
  count: number;
  totalFen: number;
  byHospital: Record<string, number>;
}

const fenOf = (text: string | number | null | undefined, what: string): number => {
  const n = Number(text ?? 0);
  if (!Number.isSafeInteger(n)) throw new Error(`${what} ${String(text)} fen is not a whole number JS can carry exactly`);
  return n;
};

export function statementOf(month: string, insuredArea: string, treatArea: string, rows: StatementLine[], sums: StatementSums): Statement {
  const lines = [...rows].sort((a, b) => a.setlId.localeCompare(b.setlId));
  if (sums.count !== lines.length) throw new Error(`the ${month} statement has ${lines.length} lines but its sum counts ${sums.count}`);
  const digest = createHash('sha256')
    .update(JSON.stringify([month, insuredArea, treatArea, lines.map((l) => [l.setlId, l.hospital, l.setlTime, l.fundFen]), sums.totalFen]))
    .digest('hex');
  return { month, insuredArea, treatArea, lines, count: sums.count, totalFen: sums.totalFen, byHospital: sums.byHospital, digest };
}

/** The month's live cross-area settlements of one side, lines and sums both from SQL. */
async function statementRows(db: ADb, side: 'treating' | 'insured', other: string, month: string): Promise<{ lines: StatementLine[]; sums: StatementSums }> {
  const { from, to } = monthBounds(month);
  const base =
    side === 'treating'
      ? db
          .selectFrom('area_claim')
          .select(['setl_id', 'setl_time', 'fund_fen', sql<string>`hospital_code`.as('hospital')])
          .where('insured_area', '=', other)
          .where('state', '=', 'settled')
          .where('setl_time', '>=', from)
          .where('setl_time', '<', to)
      : db
          .selectFrom('area_settlement')
          // this area's hospital row for the treating area's hospital is "<treat_area>:<code>"
          .select(['setl_id', 'setl_time', 'fund_fen', sql<string>`CASE WHEN starts_with(hospital_code, ${other + ':'}) THEN substr(hospital_code, ${other.length + 2}) ELSE hospital_code END`.as('hospital')])
          .where('treat_area', '=', other)
          .where('state', 'in', ['settled', 'confirmed'])
          .where('setl_time', '>=', from)
          .where('setl_time', '<', to);
  const rows = await base.execute();
  const sums = await db
    .selectFrom(base.as('l'))
    .select(['l.hospital', sql<string>`count(*)`.as('n'), sql<string>`sum(l.fund_fen)::bigint::text`.as('fen')])
    .groupBy('l.hospital')
    .execute();
  const byHospital: Record<string, number> = {};
  let count = 0;
  for (const h of sums) {
    byHospital[h.hospital] = fenOf(h.fen, `hospital ${h.hospital}'s sum`);
    count += Number(h.n);
  }
  const total = await db.selectFrom(base.as('l')).select(sql<string>`coalesce(sum(l.fund_fen), 0)::bigint::text`.as('fen')).executeTakeFirstOrThrow();
  return {
    lines: rows.map((r) => ({ setlId: r.setl_id, hospital: r.hospital, setlTime: new Date(r.setl_time!).toISOString(), fundFen: fenOf(r.fund_fen, r.setl_id) })),
    sums: { count, totalFen: fenOf(total.fen, 'the total'), byHospital },
  };
}

/** The treating area's statement for one insured area, from its claims. */
export async function treatingStatement(db: ADb, treatArea: string, insuredArea: string, month: string): Promise<Statement> {
  const { lines, sums } = await statementRows(db, 'treating', insuredArea, month);
  return statementOf(month, insuredArea, treatArea, lines, sums);
}

/** The insured area's statement for one treating area, from its own settlements (confirmed or not yet). */
export async function insuredStatement(db: ADb, insuredArea: string, treatArea: string, month: string): Promise<Statement> {
  const { lines, sums } = await statementRows(db, 'insured', treatArea, month);
  return statementOf(month, insuredArea, treatArea, lines, sums);
}

/** Where two statements differ, line by line (empty: they agree). */
export function differences(a: Statement, b: Statement): string[] {
  const out: string[] = [];
  const bm = new Map(b.lines.map((l) => [l.setlId, l]));
  for (const l of a.lines) {
    const o = bm.get(l.setlId);
    if (!o) out.push(`${l.setlId}: only in ${a.treatArea === a.insuredArea ? 'one' : 'the first'} statement`);
    else if (o.fundFen !== l.fundFen || o.hospital !== l.hospital || o.setlTime !== l.setlTime) out.push(`${l.setlId}: ${l.fundFen} fen vs ${o.fundFen} fen`);
    bm.delete(l.setlId);
  }
  for (const id of bm.keys()) out.push(`${id}: only in the second statement`);
  return out;
}

/** Post an agreed statement once (the same month and pair again returns the entry already posted). */
export async function postStatement(db: ADb, side: 'treating' | 'insured', s: Statement, actor: Actor): Promise<string | null> {
  return db.transaction().execute(async (tx) => {
    const prev = await tx.selectFrom('area_clearing').select(['entry_id', 'digest']).where('month', '=', s.month).where('insured_area', '=', s.insuredArea).where('treat_area', '=', s.treatArea).executeTakeFirst();
    if (prev) {
      if (prev.digest !== s.digest) throw new InputError('month', `the clearing of ${s.month} between ${s.insuredArea} and ${s.treatArea} is already posted with another statement`);
      return prev.entry_id;
    }
    const memo = `异地就医清算 ${s.month} 参保地 ${s.insuredArea} → 就医地 ${s.treatArea}（${s.count} 笔）`;
    const lines =
      side === 'treating'
        ? [
            { account: 'receivable_areas', fen: s.totalFen },
            { account: 'payable_hospitals', fen: -s.totalFen },
          ]
        : [
            { account: 'payable_hospitals', fen: s.totalFen },
            { account: 'payable_areas', fen: -s.totalFen },
          ];
    const entry = await post(plain(tx), memo, 'area_clearing', null, lines, Number(s.month.slice(0, 4)));
    await tx.insertInto('area_clearing').values({ month: s.month, insured_area: s.insuredArea, treat_area: s.treatArea, count: s.count, total_fen: s.totalFen, digest: s.digest, statement: JSON.stringify(s), entry_id: entry }).execute();
    await audit(plain(tx), actor, 'xa_clearing_post', 'area_clearing', `${s.month}:${s.insuredArea}:${s.treatArea}`, { side, count: s.count, totalFen: s.totalFen, digest: s.digest, entry });
    return entry;
  });
}
