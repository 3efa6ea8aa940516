/**
 * The CHS-DRG grouping of an inpatient stay's settlement, stored by the stay (table drg_case,
 * migration 029): the hospital's settlement list (4101, src/hospitals/fsi) and the demo give
 * the record; the grouping and its explanation are kept, so that payment by group (src/drg)
 * and the metrics read them. A stay may be grouped again (a corrected list) until a payment
 * run has paid it. Here, below the platform interface and src/drg, so that both reach it.
 */
import type { Kysely, Transaction } from 'kysely';
import { ConflictError, InputError, NotFoundError } from '../errors.js';
import { audit } from '../access/audit.js';
import { requireHospital, type Actor } from '../access/roles.js';
import { loadDrgScheme } from '../policy/drg-compile.js';
import { groupDrgExplained, type DrgExplainedResult } from '../rules/drg/group.js';
import type { DrgRecord } from '../rules/drg/record.js';
import type { DB } from '../store/schema.js';

export interface GroupingInput {
  settlementId: string;
  record: DrgRecord;
  /** the discharge date (YYYY-MM-DD); default the encounter's date */
  dischargeDate?: string;
  /** where the record comes from: 'fsi:<hospital>:<msgid>', 'demo', … */
  source: string;
}

export interface StoredGrouping extends DrgExplainedResult {
  encounterId: string;
  settlementId: string;
  hospitalCode: string;
  coverageYear: number;
  dischargeDate: string;
  regrouped: boolean;
}

/** Group the record of an inpatient settlement and store it (in the caller's transaction). */
export async function storeGrouping(db: Kysely<DB> | Transaction<DB>, actor: Actor, g: GroupingInput): Promise<StoredGrouping> {
  if (!/^\d{1,18}$/.test(g.settlementId)) throw new InputError('settlementId', 'must be a settlement id (digits)');
  const s = await db
    .selectFrom('settlement as s')
    .innerJoin('encounter as e', 'e.id', 's.encounter_id')
    .innerJoin('hospital as h', 'h.code', 's.hospital_code')
    .select(['s.id', 's.encounter_id', 's.hospital_code', 's.coverage_year', 's.reversed_at', 'e.type', 'e.date', 'h.region'])
    .where('s.id', '=', g.settlementId)
    .executeTakeFirst();
  if (!s) throw new NotFoundError('settlement', g.settlementId);
  requireHospital(actor, s.hospital_code);
  if (s.type !== 'inpatient') throw new ConflictError('NOT_INPATIENT', `settlement ${g.settlementId} is a ${s.type} settlement: only inpatient stays are grouped`);
  if (s.reversed_at) throw new ConflictError('SETTLEMENT_REVERSED', `settlement ${g.settlementId} has been reversed`);
  const paid = await db.selectFrom('drg_case_payment').select('run_id').where('encounter_id', '=', s.encounter_id).executeTakeFirst();
  if (paid) throw new ConflictError('DRG_CASE_PAID', `the stay of settlement ${g.settlementId} has been paid by group (run ${paid.run_id}): its grouping stays as paid`);
  const dischargeDate = g.dischargeDate ?? s.date;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(dischargeDate)) throw new InputError('dischargeDate', 'must be a date YYYY-MM-DD');
  const scheme = loadDrgScheme();
  const r = groupDrgExplained(scheme, g.record);
  const row = {
    encounter_id: s.encounter_id,
    settlement_id: s.id,
    hospital_code: s.hospital_code,
    region: s.region,
    coverage_year: s.coverage_year,
    discharge_date: dischargeDate,
    record: JSON.stringify(g.record),
    scheme: `${scheme.name} ${scheme.version}`,
    status: r.status,
    mdc: r.mdc,
    adrg: r.adrg,
    drg: r.drg,
    explanation: JSON.stringify(r.explanation),
    source: g.source,
    grouped_by: actor.username,
  };
  const before = await db.selectFrom('drg_case').select(['drg', 'status']).where('encounter_id', '=', s.encounter_id).executeTakeFirst();
  await db
    .insertInto('drg_case')
    .values(row)
    .onConflict((oc) => oc.column('encounter_id').doUpdateSet({ ...row, grouped_at: new Date() }))
    .execute();
  await audit(db, actor, before ? 'drg_regroup' : 'drg_group', 'settlement', s.id, { status: r.status, drg: r.drg, source: g.source, ...(before ? { was: before.drg ?? before.status } : {}) });
  return { ...r, encounterId: s.encounter_id, settlementId: s.id, hospitalCode: s.hospital_code, coverageYear: s.coverage_year, dischargeDate, regrouped: !!before };
}
