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
import { plain, type ADb } from './tables.js';

export function monthBounds(month: string): { from: Date; to: Date } {
  const m = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(month);
  if (!m) throw new InputError('month', 'must be a month YYYY-MM');
  const y = Number(m[1]);
  const mo = Number(m[2]);
  // the month in China's time (UTC+8), as the hospitals' days are
  return { from: new Date(Date.UTC(y, mo - 1, 1) - 8 * 3600_000), to: new Date(Date.UTC(y, mo, 1) - 8 * 3600_000) };
}

export function statementOf(month: string, insuredArea: string, treatArea: string, rows: StatementLine[]): Statement {
  const lines = [...rows].sort((a, b) => a.setlId.localeCompare(b.setlId));
  const byHospital: Record<string, number> = {};
  let totalFen = 0;
  for (const l of lines) {
    totalFen += l.fundFen;
    byHospital[l.hospital] = (byHospital[l.hospital] ?? 0) + l.fundFen;
  }
  const digest = createHash('sha256')
    .update(JSON.stringify([month, insuredArea, treatArea, lines.map((l) => [l.setlId, l.hospital, l.setlTime, l.fundFen])]))
    .digest('hex');
  return { month, insuredArea, treatArea, lines, count: lines.length, totalFen, byHospital, digest };
}

/** The treating area's statement for one insured area, from its claims. */
export async function treatingStatement(db: ADb, treatArea: string, insuredArea: string, month: string): Promise<Statement> {
  const { from, to } = monthBounds(month);
  const rows = await db
    .selectFrom('area_claim')
    .select(['setl_id', 'hospital_code', 'setl_time', 'fund_fen'])
    .where('insured_area', '=', insuredArea)
    .where('state', '=', 'settled')
    .where('setl_time', '>=', from)
    .where('setl_time', '<', to)
    .execute();
  return statementOf(month, insuredArea, treatArea, rows.map((r) => ({ setlId: r.setl_id, hospital: r.hospital_code, setlTime: new Date(r.setl_time!).toISOString(), fundFen: Number(r.fund_fen) })));
}

/** The insured area's statement for one treating area, from its own settlements (confirmed or not yet). */
export async function insuredStatement(db: ADb, insuredArea: string, treatArea: string, month: string): Promise<Statement> {
  const { from, to } = monthBounds(month);
  const rows = await db
    .selectFrom('area_settlement')
    .select(['setl_id', 'hospital_code', 'setl_time', 'fund_fen'])
    .where('treat_area', '=', treatArea)
    .where('state', 'in', ['settled', 'confirmed'])
    .where('setl_time', '>=', from)
    .where('setl_time', '<', to)
    .execute();
  const prefix = `${treatArea}:`;
  return statementOf(month, insuredArea, treatArea, rows.map((r) => ({ setlId: r.setl_id, hospital: r.hospital_code.startsWith(prefix) ? r.hospital_code.slice(prefix.length) : r.hospital_code, setlTime: new Date(r.setl_time!).toISOString(), fundFen: Number(r.fund_fen) })));
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
export async function postStatement(db: ADb, side: 'treating' | 'insured', s: Statement): Promise<string | null> {
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
    const entry = await post(plain(tx), memo, 'area_clearing', null, lines);
    await tx.insertInto('area_clearing').values({ month: s.month, insured_area: s.insuredArea, treat_area: s.treatArea, count: s.count, total_fen: s.totalFen, digest: s.digest, statement: JSON.stringify(s), entry_id: entry }).execute();
    return entry;
  });
}
