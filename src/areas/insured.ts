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
import { yuanToFen } from '../money.js';
import { SYSTEM } from '../access/roles.js';
import type { QuoteService } from '../quotes/quote-service.js';
import type { SettlementService } from '../settlement/settlement-service.js';
import { FsiError, dayText } from '../hospitals/fsi/fields.js';
import { encounterFee } from '../hospitals/fsi/fees.js';
import { personBy, personInfo } from '../hospitals/fsi/persons.js';
import type { Call } from '../hospitals/fsi/call.js';
import type { Envelope } from '../hospitals/fsi/envelope.js';
import { plain } from './tables.js';
import { basisFrom, filingInForce } from './filing.js';
import type { PhaseLog, PhaseTimer } from './phases.js';
import type { ADb } from './tables.js';
import { sql, type Kysely } from 'kysely';
import type { AreasDB, InsuredState } from './tables.js';
import type { CancelEvent, ConfirmEvent, PersonAnswer, PersonRequest, ReverseAnswer, ReverseRequest, SettleAnswer, SettleRequest, StatusAnswer } from './protocol.js';

const yuan = (fen: number) => fen / 100;

/**
 * This area's record of a cross-area settlement, written by the settlement's own statement
 * (SettlementService.settleKnownEncounter, AlsoRecord): over its CTE `s` and its parameters ($3
 * the hospital row, $5–$7 the funds' fen, $11 the settlement's answer), with $24 the cross-area
 * id, $25 the treating area, $26 the person as answered, $27 the basis. The answer kept is the one
 * keep() would keep; a record already there (a cancel came first) is left, and the caller reverses.
 */
const KEEP_WITH_SETTLEMENT = `
  INSERT INTO area_settlement (setl_id, treat_area, hospital_code, encounter_id, settlement_id, state, result, fund_fen, setl_time)
  SELECT $24::text, $25::text, $3::text, s.encounter_id, s.id, 'settled',
         jsonb_build_object('ok', true, 'setlId', $24::text, 'person', $26::jsonb, 'setlinfo', $11::jsonb -> 'setlinfo', 'setldetail', $11::jsonb -> 'setldetail',
                            'fundFen', $5::bigint + $6::bigint + $7::bigint,
                            'setlTime', to_char(s.settled_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'basis', $27::jsonb),
         $5::bigint + $6::bigint + $7::bigint, s.settled_at
    FROM s
  ON CONFLICT (setl_id) DO NOTHING
  RETURNING setl_id, state, result`;
/** This area's hospital row for a hospital of another area. */
export const awayHospital = (treatArea: string, code: string) => `${treatArea}:${code}`;

export class InsuredDesk {
  constructor(
    readonly area: string,
    private readonly db: Kysely<AreasDB>,
    private readonly quotes: QuoteService,
    private readonly settlements: SettlementService,
    /** the bench's phase timings (phases.ts); none in service */
    private readonly phases: PhaseLog | null = null,
  ) {}

  private async stored(setlId: string) {
    return this.db.selectFrom('area_settlement').selectAll().where('setl_id', '=', setlId).executeTakeFirst();
  }

  private answerOf(row: Pick<NonNullable<Awaited<ReturnType<InsuredDesk['stored']>>>, 'setl_id' | 'state' | 'result'>): SettleAnswer {
    if (row.state === 'cancelled') return { ok: false, setlId: row.setl_id, refused: '该异地就医结算已被就医地取消，请以新的报文重新结算' };
    if (row.state === 'reversed') return { ok: false, setlId: row.setl_id, refused: '该异地就医结算已撤销' };
    return row.result as SettleAnswer;
  }

  async settle(req: SettleRequest): Promise<SettleAnswer> {
    const t = this.phases?.begin('insured', req.setlId) ?? null;
    try {
      return await this.settleTimed(req, t);
    } finally {
      t?.end();
    }
  }

  private async settleTimed(req: SettleRequest, t: PhaseTimer | null): Promise<SettleAnswer> {
    const refuse = (refused: string): SettleAnswer => ({ ok: false, setlId: req.setlId, refused });
    const idNumber = req.idNumber.toUpperCase();
    const year = Number(req.date.slice(0, 4));
    // one round trip: this id's record (a request again), the person, the year's enrolment, a filing in force
    const filing = filingInForce(this.db, { insuredArea: this.area, treatArea: req.treatArea, idNumber, kind: req.kind, date: req.date });
    const { rows } = await sql<{
      prev_id: string | null;
      prev_state: InsuredState | null;
      prev_result: unknown;
      id: string | null;
      id_number: string;
      name: string;
      gender: 'male' | 'female';
      birth_date: Date | string;
      region: string;
      enr_state: string | null;
      benefit_start: Date | string | null;
      benefit_end: Date | string | null;
      filing_id: string | null;
    }>`
      SELECT s.setl_id AS prev_id, s.state AS prev_state, s.result AS prev_result,
             p.id, p.id_number, p.name, p.gender, p.birth_date, p.region,
             e.state AS enr_state, e.benefit_start, e.benefit_end,
             ${filing} AS filing_id
        FROM (SELECT 1) AS one
        LEFT JOIN area_settlement s ON s.setl_id = ${req.setlId}
        LEFT JOIN (SELECT p.id, p.id_number, p.name, p.gender, p.birth_date, a.region
                     FROM person p JOIN admin_area a ON a.code = p.village_code
                    WHERE p.id_number = ${idNumber} LIMIT 1) AS p ON true
        LEFT JOIN enrollment e ON e.person_id = p.id AND e.coverage_year = ${year}`.execute(this.db);
    const r = rows[0]!;
    t?.lap('read');
    if (r.prev_id) return this.answerOf({ setl_id: r.prev_id, state: r.prev_state!, result: r.prev_result });
    if (!r.id) return refuse(`参保地 ${this.area} 未查询到该人员的参保信息`);
    const person = { id: String(r.id), id_number: r.id_number, name: r.name, gender: r.gender, birth_date: r.birth_date, region: r.region };
    if (req.name && req.name !== person.name) return refuse('人员姓名与证件号码不符');
    if (r.enr_state !== 'paid') return refuse(`该人员 ${year} 年度未在参保地 ${this.area} 参保缴费，不能享受医保待遇`);
    const start = r.benefit_start ? dayText(r.benefit_start) : null;
    const end = r.benefit_end ? dayText(r.benefit_end) : null;
    if ((start && req.date < start) || (end && req.date > end)) return refuse(`就诊日期 ${req.date} 不在待遇享受期（${start ?? ''} 至 ${end ?? ''}）内，不能结算`);
    const basis = basisFrom(r.filing_id, this.quotes, { insuredArea: this.area, region: person.region, year, treatArea: req.treatArea, idNumber: person.id_number, kind: req.kind, type: req.type, level: req.hospital.level, date: req.date });

    const hospitalCode = awayHospital(req.treatArea, req.hospital.code);
    await this.ensureHospital(hospitalCode, req);
    t?.lap('hospital');
    const externalId = `xa:${req.setlId}`;
    const c = req.costs;
    const body = {
      hospitalCode,
      idNumber: person.id_number,
      coverageYear: year,
      type: req.type as never,
      ...(req.setting ? { setting: req.setting as never } : {}),
      date: req.date,
      location: basis.location,
      referred: basis.referred,
      ...(req.disease ? { disease: req.disease } : {}),
      // the lines as the treating area's catalogue classified them, settled as this area's encounter's own lines
      ...(req.lines?.length
        ? { fees: req.lines.map((l) => encounterFee(l.sn, l.catalogClass, l.amount, l.cnt, l.pric, l.priceLimitFen === null ? null : l.priceLimitFen / 100, l.selfPayRatio)) }
        : { costs: { total: yuan(c.total), fullOwnPay: yuan(c.fullOwnPay), overLimitSelfPay: yuan(c.overLimitSelfPay), preSelfPay: yuan(c.preSelfPay), inScope: yuan(c.inScope) } }),
      externalId,
    };
    const known = { person: { id: person.id, region: person.region }, hospitalLevel: req.hospital.level };
    const answerPerson = { psnNo: String(person.id), name: person.name, idNumber: person.id_number, gender: person.gender, birthDate: dayText(person.birth_date) };
    // the encounter, its settlement and this record of it in one statement (after one context read), as the local 2207 settles
    const keep = { name: 'xa_keep', cte: KEEP_WITH_SETTLEMENT, values: [req.setlId, req.treatArea, JSON.stringify(answerPerson), JSON.stringify(basis)] };
    const settleNew = () => this.settlements.settleKnownEncounter(SYSTEM, body, known, keep);
    let settled: { encounterId: string; settlementId: string; result: { setlinfo: unknown; setldetail: unknown }; settledAt: Date; fundFen: number };
    try {
      let got: Awaited<ReturnType<typeof settleNew>>;
      try {
        got = await settleNew();
      } catch (e) {
        // no context: the person was just read, so the hospital row is gone since this process made it — made again, and once more
        if (!(e instanceof InputError && e.field === 'personId' && this.hospitals.has(hospitalCode))) throw e;
        this.hospitals.delete(hospitalCode);
        await this.ensureHospital(hospitalCode, req);
        got = await settleNew();
      }
      const { encounterId, view, settledAt } = got;
      if (got.also) {
        // kept with the settlement (one commit)
        t?.lap('settle');
        return this.answerOf(got.also as { setl_id: string; state: InsuredState; result: unknown });
      }
      settled = { encounterId, settlementId: view.settlementId, result: { setlinfo: view.setlinfo, setldetail: view.setldetail }, settledAt, fundFen: yuanToFen(view.basicFund) + yuanToFen(view.criticalIllness) + yuanToFen(view.medicalAssistance) };
    } catch (e) {
      if (e instanceof ConflictError && e.code === 'DUPLICATE_ENCOUNTER') settled = await this.settleRecorded(hospitalCode, externalId);
      else if (e instanceof InputError) return refuse(`参保地 ${this.area} 不能按其待遇结算：${e.message}`);
      else throw e;
    }
    t?.lap('settle');
    const { encounterId, settlementId, result, settledAt, fundFen } = settled;
    const answer: SettleAnswer = {
      ok: true,
      setlId: req.setlId,
      person: answerPerson,
      setlinfo: result.setlinfo as never,
      setldetail: result.setldetail as never,
      fundFen,
      setlTime: settledAt.toISOString(),
      basis,
    };
    // (not kept with the settlement: an earlier try's encounter, accumulators moved on, or a cancel came first)
    // kept by its id, unless a cancel event came first (then that record stays, read back)
    const row =
      (await this.db
        .insertInto('area_settlement')
        .values({ setl_id: req.setlId, treat_area: req.treatArea, hospital_code: hospitalCode, encounter_id: encounterId, settlement_id: settlementId, state: 'settled', result: JSON.stringify(answer), fund_fen: fundFen, setl_time: answer.setlTime })
        .onConflict((oc) => oc.column('setl_id').doNothing())
        .returningAll()
        .executeTakeFirst()) ?? (await this.stored(req.setlId))!;
    t?.lap('keep');
    if (row.settlement_id !== settlementId) {
      // cancelled meanwhile (a cancel event came first): what was just settled is reversed again
      await this.reverseSettlement(settlementId, `xa-cancel:${req.setlId}`);
    }
    return this.answerOf(row);
  }

  /**
   * An earlier try of the same request recorded its encounter and stopped (a crash, or a try
   * still at work): that encounter is settled — or, when it is settled already, its live
   * settlement is the answer.
   */
  private async settleRecorded(hospitalCode: string, externalId: string): Promise<{ encounterId: string; settlementId: string; result: { setlinfo: unknown; setldetail: unknown }; settledAt: Date; fundFen: number }> {
    const row = await this.db.selectFrom('encounter').select('id').where('hospital_code', '=', hospitalCode).where('external_id', '=', externalId).executeTakeFirstOrThrow();
    const encounterId = String(row.id);
    try {
      const { view, settledAt } = await this.settlements.settleAt(SYSTEM, encounterId, { trace: false });
      return { encounterId, settlementId: view.settlementId, result: { setlinfo: view.setlinfo, setldetail: view.setldetail }, settledAt, fundFen: yuanToFen(view.basicFund) + yuanToFen(view.criticalIllness) + yuanToFen(view.medicalAssistance) };
    } catch (e) {
      if (!(e instanceof ConflictError && e.code === 'ALREADY_SETTLED')) throw e;
      const live = await this.db.selectFrom('settlement').select(['id', 'result', 'settled_at', 'basic_fund_fen', 'critical_illness_fen', 'medical_assistance_fen']).where('encounter_id', '=', encounterId).where('reversed_at', 'is', null).executeTakeFirstOrThrow();
      return { encounterId, settlementId: String(live.id), result: live.result as { setlinfo: unknown; setldetail: unknown }, settledAt: new Date(live.settled_at as unknown as string), fundFen: Number(live.basic_fund_fen) + Number(live.critical_illness_fen) + Number(live.medical_assistance_fen) };
    }
  }

  /** This area's hospital rows for the other areas' hospitals made (or found) by this process. */
  private readonly hospitals = new Set<string>();

  private async ensureHospital(code: string, req: SettleRequest): Promise<void> {
    if (this.hospitals.has(code)) return;
    await this.db.insertInto('hospital').values({ code, name: req.hospital.name, level: req.hospital.level, region: req.treatArea }).onConflict((oc) => oc.column('code').doNothing()).execute();
    this.hospitals.add(code);
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

  /**
   * A treating area asks about a person of this area: a 1101 answered as this area's own 1101
   * answers it (its registers, enrolments, needy statuses), or the person a visit names by psn_no.
   */
  async person(req: PersonRequest): Promise<PersonAnswer> {
    const db = plain(this.db);
    try {
      if ('psnNo' in req) {
        const p = await personBy(db, { psnNo: String(req.psnNo) });
        return p ? { ok: true, person: p } : { ok: false, refused: `参保地 ${this.area} 未查询到人员编号 ${req.psnNo} 的参保信息` };
      }
      const c = { env: { input: req.input } as unknown as Envelope, actor: SYSTEM, hospital: '', received: new Date(req.received), keep: async () => undefined } as Call;
      return { ok: true, output: (await personInfo(db, c)).output as Record<string, unknown> };
    } catch (e) {
      if (e instanceof FsiError) return { ok: false, refused: e.message };
      throw e;
    }
  }

  /** Settlements made here that the treating area has not confirmed within `graceMs`. */
  async unconfirmed(graceMs: number) {
    return this.db.selectFrom('area_settlement').select(['setl_id', 'treat_area']).where('state', '=', 'settled').where('updated_at', '<', new Date(Date.now() - graceMs)).limit(100).execute();
  }
}

export type { ADb };
