/**
 * The monthly clearing (清算) as the areas' finance staff run it (routes and CLI): this area's
 * statement, as the treating or the insured side; the treating area's statement compared with the
 * insured area's (asked over the link) line by line; and the posting — only when the two agree
 * to the fen, the insured area posts its side first, then this area its own (each once, audited).
 */
import { SYSTEM, type Actor } from '../access/roles.js';
import { ConflictError, InputError } from '../errors.js';
import { differences, insuredStatement, monthBounds, postStatement, treatingStatement } from './clearing.js';
import type { AreaLink } from './link.js';
import type { PostAnswer, PostRequest, Statement, StatementRequest } from './protocol.js';
import type { AreasDB } from './tables.js';
import type { Kysely } from 'kysely';

const areaCode = (field: string, v: string) => {
  if (!/^\d{6}$/.test(String(v ?? ''))) throw new InputError(field, 'must be a 6-digit admdvs');
  return v;
};

export interface Comparison {
  mine: Statement;
  theirs: Statement;
  agree: boolean;
  differences: string[];
  /** already posted here for this month and pair (the entry), or null */
  posted: string | null;
}

export class ClearingDesk {
  constructor(
    readonly area: string,
    private readonly db: Kysely<AreasDB>,
    private readonly link: Pick<AreaLink, 'request'>,
  ) {}

  /** This area's statement for the month: as the treating area (what `other` owes its hospitals) or as the insured area (what it owes `other`). */
  async statement(side: 'treating' | 'insured', other: string, month: string): Promise<Statement> {
    areaCode(side === 'treating' ? 'insuredArea' : 'treatArea', other);
    if (other === this.area) throw new InputError(side === 'treating' ? 'insuredArea' : 'treatArea', 'must be another area');
    monthBounds(month);
    return side === 'treating' ? treatingStatement(this.db, this.area, other, month) : insuredStatement(this.db, this.area, other, month);
  }

  /** The treating area's statement beside the insured area's own, line by line. */
  async compare(insuredArea: string, month: string): Promise<Comparison> {
    const mine = await this.statement('treating', insuredArea, month);
    const theirs = await this.link.request<Statement>(insuredArea, 'statement', { month, treatArea: this.area } satisfies StatementRequest);
    const diff = differences(mine, theirs);
    const prev = await this.db.selectFrom('area_clearing').select('entry_id').where('month', '=', month).where('insured_area', '=', insuredArea).where('treat_area', '=', this.area).executeTakeFirst();
    return { mine, theirs, agree: diff.length === 0 && mine.digest === theirs.digest, differences: diff, posted: prev ? (prev.entry_id ?? null) : null };
  }

  /** Post the month's clearing with an insured area in both ledgers, when both statements agree. */
  async post(actor: Actor, insuredArea: string, month: string): Promise<{ statement: Statement; entryId: string | null; theirEntryId: string | null }> {
    const c = await this.compare(insuredArea, month);
    if (!c.agree) throw new ConflictError('STATEMENTS_DIFFER', `${month} 就医地 ${this.area} 与参保地 ${insuredArea} 的清算对账单不一致：${c.differences.join('；') || '摘要不同'}`);
    const posted = await this.link.request<PostAnswer>(insuredArea, 'post', { month, treatArea: this.area, digest: c.mine.digest } satisfies PostRequest);
    if (!posted.ok) throw new ConflictError('STATEMENTS_DIFFER', posted.refused);
    return { statement: c.mine, entryId: await postStatement(this.db, 'treating', c.mine, actor), theirEntryId: posted.entryId };
  }

  /** The insured side of a post request from a treating area: its own statement must have the same digest. */
  async answerPost(r: PostRequest): Promise<PostAnswer> {
    const mine = await insuredStatement(this.db, this.area, r.treatArea, r.month);
    if (mine.digest !== r.digest) return { ok: false, refused: `参保地 ${this.area} 的 ${r.month} 清算对账单与就医地不一致`, statement: mine };
    return { ok: true, statement: mine, entryId: await postStatement(this.db, 'insured', mine, { ...SYSTEM, username: `area:${r.treatArea}` }) };
  }

  /** The clearings posted here (either side), newest month first. */
  async list(q: { month?: string; limit?: number }) {
    let sel = this.db.selectFrom('area_clearing').select(['month', 'insured_area', 'treat_area', 'count', 'total_fen', 'digest', 'entry_id', 'agreed_at']);
    if (q.month) {
      monthBounds(q.month);
      sel = sel.where('month', '=', q.month);
    }
    const rows = await sel.orderBy('month', 'desc').orderBy('insured_area').orderBy('treat_area').limit(q.limit ?? 200).execute();
    return rows.map((r) => ({ month: r.month, insuredArea: r.insured_area, treatArea: r.treat_area, side: r.treat_area === this.area ? 'treating' : 'insured', count: r.count, total: (Number(r.total_fen) / 100).toFixed(2), totalFen: Number(r.total_fen), digest: r.digest, entryId: r.entry_id, agreedAt: new Date(r.agreed_at).toISOString() }));
  }
}
