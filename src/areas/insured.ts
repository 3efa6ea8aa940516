/**
 * The insured area's side (参保地): it settles a visit in another area by its own pack against
 * its own accumulators — an encounter and a settlement of its own (its ledger posts them), at a
 * hospital row named for the treating area's hospital — and keeps the answer by the cross-area
 * settlement id, so the same request again (a retry, a redelivery) gets the same answer and
 * settles nothing twice. Its record stays unconfirmed until the treating area says it recorded
 * it (a confirm event); a cancel event, or recovery finding the treating area gave the claim up,
 * reverses it.
 */
import { ConflictError, InputError } from '../errors.js';
import { SYSTEM } from '../access/roles.js';
import type { QuoteService } from '../quotes/quote-service.js';
import type { SettlementService } from '../settlement/settlement-service.js';
import { dayText } from '../hospitals/fsi/fields.js';
import { basisOf } from './filing.js';
import type { ADb } from './tables.js';
import type { Kysely } from 'kysely';
import type { AreasDB } from './tables.js';
import type { CancelEvent, ConfirmEvent, ReverseAnswer, ReverseRequest, SettleAnswer, SettleRequest, StatusAnswer } from './protocol.js';

const yuan = (fen: number) => fen / 100;
/** This area's hospital row for a hospital of another area. */
export const awayHospital = (treatArea: string, code: string) => `${treatArea}:${code}`;

export class InsuredDesk {
  constructor(
    readonly area: string,
    private readonly db: Kysely<AreasDB>,
    private readonly quotes: QuoteService,
    private readonly settlements: SettlementService,
  ) {}

  private async stored(setlId: string) {
    return this.db.selectFrom('area_settlement').selectAll().where('setl_id', '=', setlId).executeTakeFirst();
  }

  private answerOf(row: NonNullable<Awaited<ReturnType<InsuredDesk['stored']>>>): SettleAnswer {
    if (row.state === 'cancelled') return { ok: false, setlId: row.setl_id, refused: '该异地就医结算已被就医地取消，请以新的报文重新结算' };
    if (row.state === 'reversed') return { ok: false, setlId: row.setl_id, refused: '该异地就医结算已撤销' };
    return row.result as SettleAnswer;
  }

  async settle(req: SettleRequest): Promise<SettleAnswer> {
    const prev = await this.stored(req.setlId);
    if (prev) return this.answerOf(prev);
    const refuse = (refused: string): SettleAnswer => ({ ok: false, setlId: req.setlId, refused });
    const person = await this.db
      .selectFrom('person as p')
      .innerJoin('admin_area as a', 'a.code', 'p.village_code')
      .select(['p.id', 'p.id_number', 'p.name', 'p.gender', 'p.birth_date', 'a.region'])
      .where('p.id_number', '=', req.idNumber.toUpperCase())
      .executeTakeFirst();
    if (!person) return refuse(`参保地 ${this.area} 未查询到该人员的参保信息`);
    if (req.name && req.name !== person.name) return refuse('人员姓名与证件号码不符');
    const year = Number(req.date.slice(0, 4));
    const enr = await this.db.selectFrom('enrollment').select(['state', 'benefit_start', 'benefit_end']).where('person_id', '=', person.id).where('coverage_year', '=', year).executeTakeFirst();
    if (!enr || enr.state !== 'paid') return refuse(`该人员 ${year} 年度未在参保地 ${this.area} 参保缴费，不能享受医保待遇`);
    const start = enr.benefit_start ? dayText(enr.benefit_start) : null;
    const end = enr.benefit_end ? dayText(enr.benefit_end) : null;
    if ((start && req.date < start) || (end && req.date > end)) return refuse(`就诊日期 ${req.date} 不在待遇享受期（${start ?? ''} 至 ${end ?? ''}）内，不能结算`);
    const basis = await basisOf(this.db, this.quotes, { insuredArea: this.area, region: person.region, year, treatArea: req.treatArea, idNumber: person.id_number, kind: req.kind, type: req.type, level: req.hospital.level, date: req.date });

    const hospitalCode = awayHospital(req.treatArea, req.hospital.code);
    await this.db.insertInto('hospital').values({ code: hospitalCode, name: req.hospital.name, level: req.hospital.level, region: req.treatArea }).onConflict((oc) => oc.column('code').doNothing()).execute();
    const externalId = `xa:${req.setlId}`;
    const c = req.costs;
    let encounterId: string;
    try {
      const enc = await this.settlements.createEncounter(SYSTEM, {
        hospitalCode,
        idNumber: person.id_number,
        coverageYear: year,
        type: req.type as never,
        ...(req.setting ? { setting: req.setting as never } : {}),
        date: req.date,
        location: basis.location,
        referred: basis.referred,
        ...(req.disease ? { disease: req.disease } : {}),
        costs: { total: yuan(c.total), fullOwnPay: yuan(c.fullOwnPay), overLimitSelfPay: yuan(c.overLimitSelfPay), preSelfPay: yuan(c.preSelfPay), inScope: yuan(c.inScope) },
        externalId,
      });
      encounterId = enc.id;
    } catch (e) {
      if (e instanceof ConflictError && e.code === 'DUPLICATE_ENCOUNTER') {
        // an earlier try recorded it and stopped (a crash): go on with that encounter
        const row = await this.db.selectFrom('encounter').select('id').where('hospital_code', '=', hospitalCode).where('external_id', '=', externalId).executeTakeFirstOrThrow();
        encounterId = String(row.id);
      } else if (e instanceof InputError) return refuse(`参保地 ${this.area} 不能按其待遇结算：${e.message}`);
      else throw e;
    }
    let settlementId: string;
    let result: { setlinfo: unknown; setldetail: unknown };
    let settledAt: Date;
    try {
      const v = await this.settlements.settle(SYSTEM, encounterId, { trace: false });
      settlementId = v.settlementId;
    } catch (e) {
      if (!(e instanceof ConflictError && e.code === 'ALREADY_SETTLED')) throw e;
    }
    const live = await this.db.selectFrom('settlement').select(['id', 'result', 'settled_at', 'basic_fund_fen', 'critical_illness_fen', 'medical_assistance_fen']).where('encounter_id', '=', encounterId).where('reversed_at', 'is', null).executeTakeFirstOrThrow();
    settlementId = String(live.id);
    result = live.result as typeof result;
    settledAt = new Date(live.settled_at as unknown as string);
    const fundFen = Number(live.basic_fund_fen) + Number(live.critical_illness_fen) + Number(live.medical_assistance_fen);
    const answer: SettleAnswer = {
      ok: true,
      setlId: req.setlId,
      person: { psnNo: String(person.id), name: person.name, idNumber: person.id_number, gender: person.gender, birthDate: dayText(person.birth_date) },
      setlinfo: result.setlinfo as never,
      setldetail: result.setldetail as never,
      fundFen,
      setlTime: settledAt.toISOString(),
      basis,
    };
    await this.db
      .insertInto('area_settlement')
      .values({ setl_id: req.setlId, treat_area: req.treatArea, hospital_code: hospitalCode, encounter_id: encounterId, settlement_id: settlementId, state: 'settled', result: JSON.stringify(answer), fund_fen: fundFen, setl_time: answer.setlTime })
      .onConflict((oc) => oc.column('setl_id').doNothing())
      .execute();
    const row = (await this.stored(req.setlId))!;
    if (row.settlement_id !== settlementId) {
      // cancelled meanwhile (a cancel event came first): what was just settled is reversed again
      await this.reverseSettlement(settlementId, `xa-cancel:${req.setlId}`);
    }
    return this.answerOf(row);
  }

  private async reverseSettlement(settlementId: string, reference: string): Promise<void> {
    try {
      await this.settlements.reverse(SYSTEM, settlementId, { trace: false, reference });
    } catch (e) {
      if (!(e instanceof ConflictError && e.code === 'ALREADY_REVERSED')) throw e;
    }
  }

  async reverse(req: ReverseRequest): Promise<ReverseAnswer> {
    const row = await this.stored(req.setlId);
    if (!row || row.treat_area !== req.treatArea) return { ok: false, setlId: req.setlId, refused: `参保地 ${this.area} 没有该异地就医结算 ${req.setlId}` };
    if (row.state === 'cancelled') return { ok: false, setlId: req.setlId, refused: '该异地就医结算已被取消' };
    if (row.state !== 'reversed') {
      await this.reverseSettlement(row.settlement_id!, req.reference);
      await this.db.updateTable('area_settlement').set({ state: 'reversed', updated_at: new Date().toISOString() }).where('setl_id', '=', req.setlId).execute();
    }
    return { ok: true, setlId: req.setlId };
  }

  async status(setlId: string): Promise<StatusAnswer> {
    const row = await this.stored(setlId);
    if (!row) return { setlId, state: 'none' };
    return { setlId, state: row.state, ...(row.state === 'settled' || row.state === 'confirmed' ? { answer: row.result as SettleAnswer } : {}) };
  }

  /** The treating area recorded the settlement. */
  async confirm(ev: ConfirmEvent): Promise<void> {
    await this.db.updateTable('area_settlement').set({ state: 'confirmed', updated_at: new Date().toISOString() }).where('setl_id', '=', ev.setlId).where('treat_area', '=', ev.treatArea).where('state', '=', 'settled').execute();
  }

  /** The treating area gave the claim up: nothing may stay settled for it, and a late request for it is refused. */
  async cancel(ev: CancelEvent): Promise<void> {
    await this.db
      .insertInto('area_settlement')
      .values({ setl_id: ev.setlId, treat_area: ev.treatArea, hospital_code: '', encounter_id: null, settlement_id: null, state: 'cancelled' })
      .onConflict((oc) => oc.column('setl_id').doNothing())
      .execute();
    const row = (await this.stored(ev.setlId))!;
    if (row.state === 'settled' && row.treat_area === ev.treatArea) {
      await this.reverseSettlement(row.settlement_id!, `xa-cancel:${ev.setlId}`);
      await this.db.updateTable('area_settlement').set({ state: 'reversed', updated_at: new Date().toISOString() }).where('setl_id', '=', ev.setlId).execute();
    }
    if (row.state === 'cancelled') {
      // a process killed after settling and before keeping the answer left a settlement of the
      // claim with no record of it here: it is reversed, as nothing may stay settled for it
      const orphan = await this.db
        .selectFrom('settlement as s')
        .innerJoin('encounter as e', 'e.id', 's.encounter_id')
        .select('s.id')
        .$if(!!ev.hospital, (q) => q.where('e.hospital_code', '=', awayHospital(ev.treatArea, ev.hospital!)))
        .$if(!ev.hospital, (q) => q.where('e.hospital_code', 'like', `${ev.treatArea}:%`))
        .where('e.external_id', '=', `xa:${ev.setlId}`)
        .where('s.reversed_at', 'is', null)
        .execute();
      for (const o of orphan) await this.reverseSettlement(String(o.id), `xa-cancel:${ev.setlId}`);
    }
  }

  /** Settlements made here that the treating area has not confirmed within `graceMs`. */
  async unconfirmed(graceMs: number) {
    return this.db.selectFrom('area_settlement').select(['setl_id', 'treat_area']).where('state', '=', 'settled').where('updated_at', '<', new Date(Date.now() - graceMs)).limit(100).execute();
  }
}

export type { ADb };
