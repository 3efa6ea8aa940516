/**
 * Filing for care in another area (异地就医备案). The insured area files its person for a
 * treating area and sends the filing to it (its stream, the filing id as message id); both keep
 * it. Whether a visit counts as filed: a filing in force, or the insured area's pack saying no
 * filing is needed (benefits.outOfArea.filingExempt, e.g. 渝医保发〔2022〕25号 七 for tertiary
 * inpatient care across Chongqing's districts). A visit that is neither is settled as not
 * referred (the pack's unreferred reduction, benefits.outOfArea.ratioReduction).
 */
import { createHash } from 'node:crypto';
import { InputError } from '../errors.js';
import { isDateString } from '../dates.js';
import { dayText } from '../hospitals/fsi/fields.js';
import type { QuoteService } from '../quotes/quote-service.js';
import type { ADb } from './tables.js';
import type { Basis, Filing } from './protocol.js';

export const locationOf = (insured: string, treat: string): 'in_province' | 'out_of_province' => (insured.slice(0, 2) === treat.slice(0, 2) ? 'in_province' : 'out_of_province');

export function filingOf(insuredArea: string, body: { idNumber: string; name: string; treatArea: string; kind?: string; validFrom: string; validTo?: string | null; reason?: string | null }): Filing {
  const idNumber = String(body.idNumber ?? '').trim().toUpperCase();
  if (!/^\d{17}[\dX]$/.test(idNumber)) throw new InputError('idNumber', 'must be an 18-character resident ID number');
  if (!/^\d{6}$/.test(String(body.treatArea ?? ''))) throw new InputError('treatArea', 'must be the treating area’s 6-digit admdvs');
  if (body.treatArea === insuredArea) throw new InputError('treatArea', 'a filing is for care in another area');
  const kind = (body.kind ?? 'all') as Filing['kind'];
  if (!['outpatient', 'inpatient', 'all'].includes(kind)) throw new InputError('kind', 'must be outpatient, inpatient or all');
  if (!isDateString(body.validFrom)) throw new InputError('validFrom', 'must be a date YYYY-MM-DD');
  if (body.validTo != null && (!isDateString(body.validTo) || body.validTo < body.validFrom)) throw new InputError('validTo', 'must be a date YYYY-MM-DD not before validFrom');
  const filingId = `BA${createHash('sha256').update([insuredArea, body.treatArea, idNumber, kind, body.validFrom].join('|')).digest('hex').slice(0, 22).toUpperCase()}`;
  return { filingId, insuredArea, treatArea: body.treatArea, idNumber, name: body.name, kind, validFrom: body.validFrom, validTo: body.validTo ?? null, reason: body.reason ?? null };
}

/** The withdrawal of a filing (撤销备案) as a record of its own: the filing ends from `date` on. */
export function withdrawalOf(f: Filing, body: { date: string; reason?: string | null }): Filing {
  if (f.withdraws) throw new InputError('filingId', `${f.filingId} is itself a withdrawal`);
  if (!isDateString(body.date)) throw new InputError('date', 'must be a date YYYY-MM-DD');
  if (body.date < f.validFrom) throw new InputError('date', `must not be before the filing's validFrom ${f.validFrom}`);
  const filingId = `BW${createHash('sha256').update(f.filingId).digest('hex').slice(0, 22).toUpperCase()}`;
  return { ...f, filingId, validFrom: body.date, validTo: null, reason: body.reason ?? null, withdraws: f.filingId };
}

/** A stored filing as the protocol carries it. */
export function filingFromRow(r: { filing_id: string; insured_area: string; treat_area: string; id_number: string; name: string; kind: Filing['kind']; valid_from: Date | string; valid_to: Date | string | null; reason: string | null; withdraws: string | null }): Filing {
  return { filingId: r.filing_id, insuredArea: r.insured_area, treatArea: r.treat_area, idNumber: r.id_number, name: r.name, kind: r.kind, validFrom: dayText(r.valid_from), validTo: r.valid_to ? dayText(r.valid_to) : null, reason: r.reason, withdraws: r.withdraws };
}

/** Keep a filing or a withdrawal (either side, in either order); the same record again changes nothing. */
export async function storeFiling(db: ADb, f: Filing, filedBy: string | null = null): Promise<void> {
  await db
    .insertInto('area_filing')
    .values({ filing_id: f.filingId, insured_area: f.insuredArea, treat_area: f.treatArea, id_number: f.idNumber, name: f.name, kind: f.kind, valid_from: f.validFrom, valid_to: f.validTo, reason: f.reason, withdraws: f.withdraws ?? null, filed_by: filedBy })
    .onConflict((oc) => oc.column('filing_id').doNothing())
    .execute();
}

export async function filingsOf(db: ADb, idNumber: string) {
  return db.selectFrom('area_filing').selectAll().where('id_number', '=', idNumber).orderBy('created_at').execute();
}

export interface VisitOfBasis {
  insuredArea: string;
  region: string;
  year: number;
  treatArea: string;
  idNumber: string;
  kind: 'outpatient' | 'inpatient';
  type: string;
  level: string;
  date: string;
}

/** The query of a filing in force for the visit (its filing_id), to run alone or inside a larger statement. */
export function filingInForce(db: ADb, v: Pick<VisitOfBasis, 'insuredArea' | 'treatArea' | 'idNumber' | 'kind' | 'date'>) {
  return db
    .selectFrom('area_filing')
    .select('area_filing.filing_id')
    .where('id_number', '=', v.idNumber)
    .where('treat_area', '=', v.treatArea)
    .where('insured_area', '=', v.insuredArea)
    .where('kind', 'in', [v.kind, 'all'])
    .where('withdraws', 'is', null)
    // a withdrawal in force on the visit's day ends the filing
    .where((w) => w.not(w.exists(w.selectFrom('area_filing as w').select('w.filing_id').whereRef('w.withdraws', '=', 'area_filing.filing_id').where('w.valid_from', '<=', v.date as never))))
    .where('valid_from', '<=', v.date as never)
    .where((w) => w.or([w('valid_to', 'is', null), w('valid_to', '>=', v.date as never)]))
    .orderBy('area_filing.filing_id')
    .limit(1);
}

/** How the insured area counts a visit in another area: filed, exempt by its pack, or neither. */
export async function basisOf(db: ADb, quotes: QuoteService, v: VisitOfBasis): Promise<Basis> {
  const filed = await filingInForce(db, v).executeTakeFirst();
  return basisFrom(filed?.filing_id ?? null, quotes, v);
}

/** basisOf, the filing in force (or none) already read. */
export function basisFrom(filingId: string | null, quotes: QuoteService, v: VisitOfBasis): Basis {
  const location = locationOf(v.insuredArea, v.treatArea);
  if (filingId) return { location, referred: true, why: `已办理异地就医备案（${filingId}）`, cite: null };
  const packId = quotes.lib.packIdFor(v.region, v.year);
  const p = packId ? quotes.lib.resolve(packId).params.get('benefits.outOfArea.filingExempt') : undefined;
  const rules = (p?.value ?? []) as { scope: string; encounterTypes: string[]; hospitalLevels: string[] }[];
  const hit = rules.find((r) => r.scope === location && r.encounterTypes.includes(v.type) && r.hospitalLevels.includes(v.level));
  if (hit && p) return { location, referred: true, why: `免备案：${p.quote ?? p.example ?? ''}`, cite: p.cite ?? (p.example ? `示例：${p.example}` : null) };
  return { location, referred: false, why: '未办理异地就医备案，按未按规定转诊降低支付比例', cite: null };
}
