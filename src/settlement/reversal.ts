/**
 * Reversal of a live settlement, with the person's later settlements of the year reversed and
 * settled again in their order, so that the accumulators end exactly as if the reversed one
 * had never been settled.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import { ConflictError, NotFoundError } from '../errors.js';
import { reverse as reverseDelta } from '../rules/settlement/settle.js';
import type { DB } from '../store/schema.js';
import { audit } from '../access/audit.js';
import { requireHospital, type Actor } from '../access/roles.js';
import { post } from '../ledger/ledger.js';
import { accumulatorsJson, settlementJson } from '../quotes/settlement-request.js';
import type { ReversalAnswer, SettlementAnswerBody } from './answers.js';
import { checkId } from './requests.js';
import type { SettlementEngine } from './compute.js';
import { settlementLines } from './ledger-lines.js';
import { accumulatorsOf, contextOf, onKysely, readContexts, writeResettlement } from './settlement-store.js';

/**
 * Reverse a live settlement. The person's later live settlements of the same year are
 * reversed too (newest first) and settled again in their order, so the accumulators end
 * exactly as if the reversed one had never been settled. Each reversal posts the mirror of
 * the original entry; each re-settlement is a new settlement with its own entry, under the
 * name of the settlement it replaces and of its own hospital.
 *
 * `within` runs in the reversal's own transaction, after it and before the commit: what a
 * caller records of the reversal (the platform's stored reply) commits with it or not at all.
 */
export interface ReversalOptions {
  trace?: boolean;
  /** what asked for the reversal, kept on the reversed settlement (e.g. fsi:<hospital>:<msgid>) */
  reference?: string;
  within?: (tx: Transaction<DB>, answer: ReversalAnswer) => Promise<void>;
}

export async function reverseSettlement(db: Kysely<DB>, engine: SettlementEngine, actor: Actor, settlementId: string, opts: ReversalOptions = {}): Promise<ReversalAnswer> {
  checkId('id', settlementId);
  const trace = opts.trace ?? true;
  return db.transaction().execute(async (tx) => {
    const target = await tx.selectFrom('settlement').select(['person_id', 'coverage_year', 'hospital_code']).where('id', '=', settlementId).executeTakeFirst();
    if (!target) throw new NotFoundError('settlement', settlementId);
    requireHospital(actor, target.hospital_code);
    const lock = await tx
      .selectFrom('accumulator')
      .select(['data', 'version'])
      .where('person_id', '=', target.person_id)
      .where('coverage_year', '=', target.coverage_year)
      .forUpdate()
      .executeTakeFirst();
    // read after the lock: what committed before it is seen
    const live = await tx
      .selectFrom('settlement')
      .select(['id', 'encounter_id', 'hospital_code', 'coverage_year', 'basic_fund_fen', 'critical_illness_fen', 'medical_assistance_fen', 'delta', 'settled_by'])
      .where('person_id', '=', target.person_id)
      .where('coverage_year', '=', target.coverage_year)
      .where('reversed_at', 'is', null)
      .where('id', '>=', settlementId)
      .orderBy('id')
      .execute();
    if (!lock || live.length === 0 || String(live[0].id) !== settlementId) throw new ConflictError('ALREADY_REVERSED', `settlement ${settlementId} has already been reversed`);

    let acc = accumulatorsOf(lock.data);
    const now = new Date();
    const ids = live.map((s) => String(s.id));
    await tx.updateTable('settlement').set({ reversed_at: now, reversed_by: actor.username }).where('id', 'in', ids).execute();
    if (opts.reference) await tx.updateTable('settlement').set({ reversal_ref: opts.reference }).where('id', '=', settlementId).execute();
    for (let i = live.length - 1; i >= 0; i--) {
      const s = live[i];
      acc = reverseDelta(acc, { delta: accumulatorsOf(s.delta) });
      const mirror = settlementLines(Number(s.basic_fund_fen), Number(s.critical_illness_fen), Number(s.medical_assistance_fen)).map((l) => ({ account: l.account, fen: -l.fen }));
      await post(tx, `冲正结算 ${s.id}（就诊 ${s.encounter_id}，${s.hospital_code}）`, 'reversal', String(s.id), mirror, s.coverage_year);
      await audit(tx, actor, 'reverse', 'settlement', String(s.id), i === 0 ? { encounterId: String(s.encounter_id) } : { encounterId: String(s.encounter_id), becauseOf: settlementId });
    }

    const later = live.slice(1);
    const laterIds = later.map((s) => String(s.encounter_id));
    const rows = await readContexts(onKysely(tx), laterIds);
    const contexts = laterIds.map((id) => contextOf(rows.get(id)!));
    const resettled: ReversalAnswer['resettled'] = [];
    for (let i = 0; i < later.length; i++) {
      const c = contexts[i];
      const packId = engine.packOf(c);
      const before = acc;
      const r = engine.run(c, packId, before, trace);
      const answer: SettlementAnswerBody = { ...engine.head(packId, c.region, [r]), ...settlementJson(r, before) };
      const id = await writeResettlement(onKysely(tx), engine.record(actor, c, r, answer, 'resettle', { replaces: String(later[i].id), becauseOf: settlementId }, later[i].settled_by));
      resettled.push({ encounterId: c.encounterId, from: String(later[i].id), to: id });
      acc = r.after;
    }
    const v = await tx
      .updateTable('accumulator')
      .set({ data: JSON.stringify(acc), version: sql`version + 1` })
      .where('person_id', '=', target.person_id)
      .where('coverage_year', '=', target.coverage_year)
      .returning('version')
      .executeTakeFirstOrThrow();
    const answer: ReversalAnswer = {
      reversed: { settlementId, encounterId: String(live[0].encounter_id) },
      alsoReversed: ids.slice(1).reverse(),
      resettled,
      accumulators: accumulatorsJson(acc),
      version: v.version,
    };
    await opts.within?.(tx, answer);
    return answer;
  });
}
