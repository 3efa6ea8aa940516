/**
 * The platform's settlements, read from the one record of them: the settlement table. There is
 * no second copy to keep in step (migration 011). A platform settlement is the encounter a
 * 2207 / 2304 made for a visit and part (visit = mdtrt_id; part = the outpatient fee batch
 * chrg_bchno, '' for an inpatient stay): its setl_id names the encounter (`S<encounter id>`,
 * or the id it was given before migration 011), it is live while the encounter has a live
 * settlement — whoever reversed or re-settled it, through the platform, the REST routes or a
 * reversal cascade — and a fee line is settled while a live settlement of its visit lists it.
 */
import { sql } from 'kysely';
import type { SettlementView } from '../../settlement/answers.js';
import type { Db } from './call.js';

/** The setl_id of a platform encounter. */
export function setlIdOf(e: { id: string | number; setl_id: string | null }): string {
  return e.setl_id ?? `S${e.id}`;
}

export interface PlatformSettlement {
  setlId: string;
  encounterId: string;
  mdtrtId: string;
  part: string;
  hospitalCode: string;
  personId: string;
  /** the live settlement of the encounter, if any */
  live: { id: string; result: SettlementView; settledAt: Date } | null;
  /** the encounter's first settlement: what the message that made it answered */
  first: { id: string; result: SettlementView; settledAt: Date; reversalRef: string | null } | null;
  /** the platform message that made it (encounter.external_id fsi:<msgid>) */
  msgid: string | null;
}

type EncounterRow = { id: string; setl_id: string | null; visit: string | null; visit_part: string | null; hospital_code: string; person_id: string; external_id: string | null };

async function describe(db: Db, e: EncounterRow): Promise<PlatformSettlement> {
  const rows = await db
    .selectFrom('settlement')
    .select(['id', 'result', 'settled_at', 'reversed_at', 'reversal_ref'])
    .where('encounter_id', '=', e.id)
    .orderBy('id')
    .execute();
  const live = rows.find((r) => r.reversed_at === null);
  const first = rows[0];
  return {
    setlId: setlIdOf(e),
    encounterId: String(e.id),
    mdtrtId: e.visit ?? '',
    part: e.visit_part ?? '',
    hospitalCode: e.hospital_code,
    personId: String(e.person_id),
    live: live ? { id: String(live.id), result: live.result as SettlementView, settledAt: new Date(live.settled_at as unknown as string) } : null,
    first: first ? { id: String(first.id), result: first.result as SettlementView, settledAt: new Date(first.settled_at as unknown as string), reversalRef: first.reversal_ref } : null,
    msgid: e.external_id?.startsWith('fsi:') ? e.external_id.slice(4) : null,
  };
}

const ENCOUNTER_COLUMNS = ['id', 'setl_id', 'visit', 'visit_part', 'hospital_code', 'person_id', 'external_id'] as const;

/** A platform settlement by its setl_id (any hospital's: the caller checks whose it is). */
export async function bySetlId(db: Db, setlId: string): Promise<PlatformSettlement | undefined> {
  const m = /^S([1-9]\d{0,17})$/.exec(setlId);
  const e = await db
    .selectFrom('encounter')
    .select(ENCOUNTER_COLUMNS)
    .where('visit', 'is not', null)
    .where((w) => (m ? w.or([w('setl_id', '=', setlId), w.and([w('setl_id', 'is', null), w('id', '=', m[1])])]) : w('setl_id', '=', setlId)))
    .executeTakeFirst();
  return e ? describe(db, e as EncounterRow) : undefined;
}

/** The platform settlement a message made (the encounter recorded under fsi:<msgid>), if it made one. */
export async function byMessage(db: Db, hospitalCode: string, msgid: string): Promise<PlatformSettlement | undefined> {
  const e = await db.selectFrom('encounter').select(ENCOUNTER_COLUMNS).where('hospital_code', '=', hospitalCode).where('external_id', '=', `fsi:${msgid}`).executeTakeFirst();
  return e && e.visit !== null ? describe(db, e as EncounterRow) : undefined;
}

/** The live platform settlement of a visit and part, if there is one (settlement_live_visit allows one). */
export async function liveOfVisit(db: Db, mdtrtId: string, part: string): Promise<PlatformSettlement | undefined> {
  const e = await db
    .selectFrom('settlement as s')
    .innerJoin('encounter as e', 'e.id', 's.encounter_id')
    .select(['e.id', 'e.setl_id', 'e.visit', 'e.visit_part', 'e.hospital_code', 'e.person_id', 'e.external_id'])
    .where('s.visit', '=', mdtrtId)
    .where('s.visit_part', '=', part)
    .where('s.reversed_at', 'is', null)
    .executeTakeFirst();
  return e ? describe(db, e as EncounterRow) : undefined;
}

/** Whether any part of the visit has a live settlement. */
export async function visitSettled(db: Db, mdtrtId: string): Promise<boolean> {
  const s = await db.selectFrom('settlement').select('id').where('visit', '=', mdtrtId).where('reversed_at', 'is', null).limit(1).executeTakeFirst();
  return s !== undefined;
}

/** The visit's fee lines (feedetl_sn) that a live settlement lists: they cannot be cancelled or settled again. */
export const settledSns = (mdtrtId: string) =>
  sql<string>`(SELECT l->>'sn' FROM settlement s JOIN encounter e ON e.id = s.encounter_id CROSS JOIN LATERAL jsonb_array_elements(COALESCE(e.lines, '[]'::jsonb)) l
                WHERE s.visit = ${mdtrtId} AND s.reversed_at IS NULL)`;

/**
 * What the other live parts of an inpatient stay applied (a mid-stay settlement before this
 * part): the deductible their setlinfo shows (act_pay_dedc, yuan) and whether they counted the
 * admission; undefined when no other part is settled. The settlement service reads the same
 * for the encounter it settles (settlement-store's CONTEXT_COLUMNS); this is for 2303.
 */
export async function stayBefore(db: Db, mdtrtId: string, part: string): Promise<{ deductibleApplied: number; admissionCounted: boolean } | undefined> {
  const rows = await db.selectFrom('settlement').select(['result', 'delta']).where('visit', '=', mdtrtId).where('visit_part', '<>', part).where('reversed_at', 'is', null).execute();
  if (!rows.length) return undefined;
  const fen = rows.reduce((s, r) => s + Math.round(Number((r.result as SettlementView).setlinfo.act_pay_dedc) * 100), 0);
  const counted = rows.some((r) => Number((r.delta as { inpatientAdmissions?: number }).inpatientAdmissions ?? 0) > 0);
  return { deductibleApplied: fen / 100, admissionCounted: counted };
}
