/**
 * 异地就医备案 as the insured area's staff do it (routes and CLI): file a person of this area for
 * care in another area, list the filings, withdraw one — each a record of its own, audited, kept
 * here and sent to the treating area's stream with its id as message id (a retry is stored once
 * there). A clerk files only persons of their villages. Lists mask ID numbers and names.
 */
import { audit } from '../access/audit.js';
import { requireVillage, type Actor } from '../access/roles.js';
import { maskIdNumber, maskName } from '../access/privacy.js';
import { ConflictError, InputError, NotFoundError } from '../errors.js';
import { dayText } from '../hospitals/fsi/fields.js';
import { filingFromRow, filingOf, storeFiling, withdrawalOf } from './filing.js';
import type { AreaLink } from './link.js';
import type { Filing } from './protocol.js';
import { plain, type AreasDB } from './tables.js';
import type { Kysely } from 'kysely';

export interface FileBody {
  idNumber: string;
  treatArea: string;
  kind?: string;
  validFrom: string;
  validTo?: string | null;
  reason?: string | null;
}

export interface FilingView {
  filingId: string;
  insuredArea: string;
  treatArea: string;
  idNumber: string;
  name: string;
  kind: Filing['kind'];
  validFrom: string;
  validTo: string | null;
  reason: string | null;
  /** withdrawn: the withdrawal record and the day the filing ends */
  withdrawn: { filingId: string; from: string; reason: string | null } | null;
  /** for a withdrawal record: the filing it ends */
  withdraws: string | null;
  filedBy: string | null;
  createdAt: string;
}

export class FilingDesk {
  constructor(
    readonly area: string,
    private readonly db: Kysely<AreasDB>,
    private readonly link: Pick<AreaLink, 'publish'>,
  ) {}

  /** Keep it here (with its audit) in one transaction, then send it; a failed send says so and the same filing again sends it. */
  async keepAndSend(actor: Actor, action: string, f: Filing): Promise<Filing> {
    await this.db.transaction().execute(async (tx) => {
      const had = await tx.selectFrom('area_filing').select('filing_id').where('filing_id', '=', f.filingId).executeTakeFirst();
      await storeFiling(tx, f, actor.username);
      if (!had) await audit(plain(tx), actor, action, 'area_filing', f.filingId, { treatArea: f.treatArea, idNumber: maskIdNumber(f.idNumber), kind: f.kind, validFrom: f.validFrom, validTo: f.validTo, ...(f.withdraws ? { withdraws: f.withdraws } : {}) });
    });
    try {
      await this.link.publish(f.treatArea, 'filing', f.filingId, f);
    } catch (e) {
      throw new ConflictError('FILING_NOT_SENT', `备案 ${f.filingId} 已在本地保存，但未能发送至就医地 ${f.treatArea}（${(e as Error).message}）；请稍后重新提交同一备案`);
    }
    return f;
  }

  async file(actor: Actor, body: FileBody): Promise<Filing> {
    const idNumber = String(body.idNumber ?? '').trim().toUpperCase();
    const person = await this.db.selectFrom('person').select(['name', 'village_code']).where('id_number', '=', idNumber).executeTakeFirst();
    if (!person) {
      filingOf(this.area, { ...body, name: '' }); // the form's own mistakes first
      throw new InputError('idNumber', `no person with this ID number is registered in area ${this.area}`);
    }
    requireVillage(actor, person.village_code);
    const f = filingOf(this.area, { ...body, idNumber, name: person.name });
    return this.keepAndSend(actor, 'xa_filing', f);
  }

  async withdraw(actor: Actor, filingId: string, body: { date: string; reason?: string | null }): Promise<Filing> {
    const row = await this.db.selectFrom('area_filing').selectAll().where('filing_id', '=', String(filingId)).executeTakeFirst();
    if (!row) throw new NotFoundError('filing', String(filingId));
    if (row.insured_area !== this.area) throw new ConflictError('NOT_OUR_FILING', `备案 ${row.filing_id} 由参保地 ${row.insured_area} 办理，只能由参保地撤销`);
    const person = await this.db.selectFrom('person').select('village_code').where('id_number', '=', row.id_number).executeTakeFirst();
    if (person) requireVillage(actor, person.village_code);
    else if (actor.role === 'clerk') throw new NotFoundError('filing', String(filingId));
    const f = withdrawalOf(filingFromRow(row), body);
    return this.keepAndSend(actor, 'xa_filing_withdraw', f);
  }

  /** Filings known here (this area's persons filed elsewhere, or other areas' persons filed here), newest first. */
  async list(actor: Actor, q: { idNumber?: string; treatArea?: string; insuredArea?: string; limit?: number }): Promise<FilingView[]> {
    let sel = this.db.selectFrom('area_filing as f').leftJoin('person as p', 'p.id_number', 'f.id_number').selectAll('f').select('p.village_code');
    if (q.idNumber) sel = sel.where('f.id_number', '=', q.idNumber.trim().toUpperCase());
    if (q.treatArea) sel = sel.where('f.treat_area', '=', q.treatArea);
    if (q.insuredArea) sel = sel.where('f.insured_area', '=', q.insuredArea);
    if (actor.role === 'clerk') sel = sel.where((w) => w.or(actor.villages.map((v) => w('p.village_code', 'like', `${v}%`))));
    const rows = await sel.orderBy('f.created_at', 'desc').orderBy('f.filing_id').limit(q.limit ?? 200).execute();
    const ids = rows.filter((r) => !r.withdraws).map((r) => r.filing_id);
    const ends = ids.length ? await this.db.selectFrom('area_filing').select(['filing_id', 'withdraws', 'valid_from', 'reason']).where('withdraws', 'in', ids).execute() : [];
    const endOf = new Map(ends.map((e) => [e.withdraws!, e]));
    return rows.map((r) => {
      const w = endOf.get(r.filing_id);
      return {
        filingId: r.filing_id,
        insuredArea: r.insured_area,
        treatArea: r.treat_area,
        idNumber: maskIdNumber(r.id_number),
        name: maskName(r.name),
        kind: r.kind,
        validFrom: dayText(r.valid_from),
        validTo: r.valid_to ? dayText(r.valid_to) : null,
        reason: r.reason,
        withdrawn: w ? { filingId: w.filing_id, from: dayText(w.valid_from), reason: w.reason } : null,
        withdraws: r.withdraws,
        filedBy: r.filed_by,
        createdAt: new Date(r.created_at).toISOString(),
      };
    });
  }
}
