/**
 * Screening cases: the list, one case opened down to its settlements and fee lines, and its
 * review — open → reviewed → confirmed | dismissed, each move a risk_case_event row and an audit
 * row in the same transaction. Confirming recovers money through the ledger: one entry crediting
 * back the funds that paid (in proportion, src/rules/risk/recovery.ts) and debiting what is owed
 * to the case's hospital (the entry names it: the hospital's payable nets it and its next clearing
 * statement deducts it, src/fund/clearing.ts), so the books stay balanced.
 */
import { sql, type Kysely } from 'kysely';
import { audit } from '../access/audit.js';
import { maskIdNumber, maskName } from '../access/privacy.js';
import { requirePermission, type Actor } from '../access/roles.js';
import { ConflictError, InputError, NotFoundError } from '../errors.js';
import { ACCOUNTS, post } from '../ledger/ledger.js';
import { fenToYuan, formatYuan, yuanToFen, type Fen } from '../money.js';
import type { PolicyLibrary } from '../policy/loader.js';
import { splitRecovery } from '../rules/risk/recovery.js';
import { screenRulesOf } from '../rules/risk/screen-rules.js';
import type { DB } from '../store/schema.js';
import { villageScope } from './scope.js';
import { riskDb } from './tables.js';

export type CaseState = 'open' | 'reviewed' | 'confirmed' | 'dismissed';
const MOVES: Record<CaseState, CaseState[]> = { open: ['reviewed'], reviewed: ['confirmed', 'dismissed'], confirmed: [], dismissed: [] };

export interface CaseQuery {
  year?: number;
  rule?: string;
  state?: CaseState;
  hospital?: string;
  /** a county, township or village code: the hits about its residents */
  village?: string;
  after?: string;
  limit?: number;
}

const caseView = (r: { id: string; rule_code: string; subject: string; coverage_year: number; hospital_code: string | null; person_id: string | null; village_code: string | null; settlement_ids: string[]; amount_fen: string; detail: unknown; state: string; recovered_fen: string; recovery_entry: string | null; found_at: unknown; updated_at: unknown }, rule?: { name: string; explain: string; citation: unknown }) => ({
  id: r.id,
  rule: r.rule_code,
  ruleName: rule?.name ?? r.rule_code,
  explain: rule?.explain ?? null,
  citation: rule?.citation ?? null,
  subject: r.subject,
  coverageYear: r.coverage_year,
  hospitalCode: r.hospital_code,
  personId: r.person_id,
  villageCode: r.village_code,
  settlementIds: r.settlement_ids.map(String),
  amount: fenToYuan(Number(r.amount_fen)),
  detail: r.detail,
  state: r.state,
  recovered: fenToYuan(Number(r.recovered_fen)),
  recoveryEntry: r.recovery_entry,
  foundAt: new Date(r.found_at as string).toISOString(),
  updatedAt: new Date(r.updated_at as string).toISOString(),
});

export class CaseService {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly lib: PolicyLibrary,
    /** the area whose pack names the rules (their names, explanations, citations) */
    private readonly region: string,
  ) {}

  private ruleInfo(year: number) {
    const pack = this.lib.packFor(this.region, year);
    return pack ? screenRulesOf(pack) : new Map();
  }

  /** The hits, paged by id; a clerk sees only the hits about their villages' residents. */
  async list(actor: Actor, q: CaseQuery = {}) {
    requirePermission(actor, 'risk.hits.read');
    const scope = villageScope(actor, 'village_code');
    let query = riskDb(this.db).selectFrom('risk_case').selectAll().orderBy('id').limit(q.limit ?? 100);
    if (scope) query = query.where(scope);
    if (q.year) query = query.where('coverage_year', '=', q.year);
    if (q.rule) query = query.where('rule_code', '=', q.rule);
    if (q.state) query = query.where('state', '=', q.state);
    if (q.hospital) query = query.where('hospital_code', '=', q.hospital);
    if (q.village) query = query.where('village_code', 'like', `${q.village}%`);
    if (q.after) query = query.where('id', '>', q.after);
    const rows = await query.execute();
    const info = new Map<number, ReturnType<CaseService['ruleInfo']>>();
    const summary = await riskDb(this.db)
      .selectFrom('risk_case')
      .select(['rule_code', 'state', sql<string>`count(*)`.as('n'), sql<string>`sum(amount_fen)`.as('amount')])
      .$if(!!q.year, (b) => b.where('coverage_year', '=', q.year!))
      .$if(!!scope, (b) => b.where(scope!))
      .$if(!!q.village, (b) => b.where('village_code', 'like', `${q.village}%`))
      .groupBy(['rule_code', 'state'])
      .orderBy('rule_code')
      .execute();
    return {
      cases: rows.map((r) => {
        if (!info.has(r.coverage_year)) info.set(r.coverage_year, this.ruleInfo(r.coverage_year));
        return caseView(r, info.get(r.coverage_year)!.get(r.rule_code));
      }),
      next: rows.length === (q.limit ?? 100) ? rows[rows.length - 1].id : null,
      summary: summary.map((s) => ({ rule: s.rule_code, state: s.state, cases: Number(s.n), amount: fenToYuan(Number(s.amount ?? 0)) })),
    };
  }

  /** One case down to its settlements and fee lines (the lines the rule names, else every line of its settlements' visits). */
  async get(actor: Actor, id: string) {
    requirePermission(actor, 'risk.hits.read');
    const scope = villageScope(actor, 'village_code');
    const r = await riskDb(this.db).selectFrom('risk_case').selectAll().where('id', '=', id).$if(!!scope, (b) => b.where(scope!)).executeTakeFirst();
    if (!r) throw new NotFoundError('case', id);
    const ids = r.settlement_ids.map(String);
    const settlements = ids.length
      ? await this.db
          .selectFrom('settlement as s')
          .innerJoin('encounter as e', 'e.id', 's.encounter_id')
          .innerJoin('person as p', 'p.id', 's.person_id')
          .select(['s.id', 's.encounter_id', 's.hospital_code', 's.total_fen', 's.basic_fund_fen', 's.critical_illness_fen', 's.medical_assistance_fen', 's.cash_fen', 's.reversed_at', 'e.type', 'e.date', 'e.visit', 'e.visit_part', 'e.lines', 'p.name', 'p.id_number', 'p.village_code'])
          .where('s.id', 'in', ids.slice(0, 500))
          .orderBy('s.id')
          .execute()
      : [];
    const named = r.fee_lines as { mdtrt_id: string; feedetl_sn: string }[];
    const visits = [...new Set(settlements.map((s) => s.visit).filter((v): v is string => !!v))];
    let fees: { mdtrt_id: string; feedetl_sn: string; chrg_bchno: string | null; amount_fen: string; line: unknown; cancelled_at: unknown }[] = [];
    if (named.length)
      fees = await this.db
        .selectFrom('fsi_fee')
        .select(['mdtrt_id', 'feedetl_sn', 'chrg_bchno', 'amount_fen', 'line', 'cancelled_at'])
        .where((eb) => eb.or(named.map((n) => eb.and([eb('mdtrt_id', '=', n.mdtrt_id), eb('feedetl_sn', '=', n.feedetl_sn)]))))
        .orderBy('mdtrt_id')
        .orderBy('feedetl_sn')
        .execute();
    else if (visits.length) fees = await this.db.selectFrom('fsi_fee').select(['mdtrt_id', 'feedetl_sn', 'chrg_bchno', 'amount_fen', 'line', 'cancelled_at']).where('mdtrt_id', 'in', visits).orderBy('mdtrt_id').orderBy('feedetl_sn').limit(2000).execute();
    const events = await riskDb(this.db).selectFrom('risk_case_event').selectAll().where('case_id', '=', id).orderBy('id').execute();
    return {
      ...caseView(r, this.ruleInfo(r.coverage_year).get(r.rule_code)),
      settlements: settlements.map((s) => ({
        settlementId: s.id,
        encounterId: s.encounter_id,
        hospitalCode: s.hospital_code,
        type: s.type,
        date: s.date,
        visit: s.visit,
        person: { name: maskName(s.name), idNumber: maskIdNumber(s.id_number), villageCode: s.village_code },
        total: fenToYuan(Number(s.total_fen)),
        basicFund: fenToYuan(Number(s.basic_fund_fen)),
        criticalIllness: fenToYuan(Number(s.critical_illness_fen)),
        medicalAssistance: fenToYuan(Number(s.medical_assistance_fen)),
        cash: fenToYuan(Number(s.cash_fen)),
        reversed: s.reversed_at !== null,
        lines: s.lines,
      })),
      feeLines: fees.map((f) => ({ mdtrtId: f.mdtrt_id, feedetlSn: f.feedetl_sn, chrgBchno: f.chrg_bchno, amount: fenToYuan(Number(f.amount_fen)), cancelled: f.cancelled_at !== null, named: named.length > 0, line: f.line })),
      events: events.map((e) => ({ from: e.from_state, to: e.to_state, actor: e.actor, note: e.note, amount: e.amount_fen === null ? null : fenToYuan(Number(e.amount_fen)), at: new Date(e.at as unknown as string).toISOString() })),
    };
  }

  /**
   * Move a case on. Confirming takes the amount to recover (yuan; default the amount at issue,
   * 0 recovers nothing), at most what the funds paid on its settlements less what was recovered.
   */
  async move(actor: Actor, id: string, to: CaseState, opts: { note?: string; recoverYuan?: number | string } = {}) {
    requirePermission(actor, 'risk.cases.review');
    if (!(to in MOVES)) throw new InputError('state', `must be one of ${Object.keys(MOVES).join(', ')}`);
    const out = await this.db.transaction().execute(async (tx) => {
      const rdb = riskDb(tx);
      const c = await rdb.selectFrom('risk_case').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
      if (!c) throw new NotFoundError('case', id);
      if (!MOVES[c.state].includes(to)) throw new ConflictError('CASE_STATE', `case ${id} is ${c.state}; it can move to ${MOVES[c.state].join(' or ') || 'nothing (closed)'}, not ${to}`);
      let recovered: Fen = 0;
      let entry: string | null = null;
      if (to === 'confirmed') {
        recovered = opts.recoverYuan === undefined ? Number(c.amount_fen) : yuanToFen(opts.recoverYuan);
        if (recovered < 0) throw new InputError('recover', 'must not be negative');
        if (recovered > 0) {
          if (!c.hospital_code) throw new InputError('recover', `case ${id} names no hospital to recover from; confirm it with recover 0`);
          const paid = await tx
            .selectFrom('settlement')
            .select([sql<string>`coalesce(sum(basic_fund_fen), 0)`.as('b'), sql<string>`coalesce(sum(critical_illness_fen), 0)`.as('c'), sql<string>`coalesce(sum(medical_assistance_fen), 0)`.as('m')])
            .where('id', 'in', c.settlement_ids.length ? c.settlement_ids.map(String) : ['0'])
            .executeTakeFirstOrThrow();
          const funds = { basic: Number(paid.b), criticalIllness: Number(paid.c), medicalAssistance: Number(paid.m) };
          const cap = funds.basic + funds.criticalIllness + funds.medicalAssistance;
          if (recovered > cap) throw new InputError('recover', `${formatYuan(recovered)} 元 is more than the funds paid on the case's settlements (${formatYuan(cap)} 元)`);
          const split = splitRecovery(recovered, funds);
          entry = await post(tx, `追回违规基金：案件 ${id}（${c.rule_code}，${c.hospital_code ?? '—'}）`, 'recovery', id, [
            { account: ACCOUNTS.payableHospitals, fen: recovered },
            { account: ACCOUNTS.basicFund, fen: -split.basic },
            { account: ACCOUNTS.criticalIllnessFund, fen: -split.criticalIllness },
            { account: ACCOUNTS.medicalAssistanceFund, fen: -split.medicalAssistance },
          ], c.coverage_year, { hospitalCode: c.hospital_code });
        }
      }
      const updated = await rdb
        .updateTable('risk_case')
        .set({ state: to, updated_at: new Date(), ...(to === 'confirmed' ? { recovered_fen: recovered, recovery_entry: entry } : {}) })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
      await rdb.insertInto('risk_case_event').values({ case_id: id, from_state: c.state, to_state: to, actor: actor.username, note: opts.note ?? null, amount_fen: to === 'confirmed' ? recovered : null }).execute();
      await audit(tx, actor, `risk.case.${to}`, 'risk_case', id, { from: c.state, to, note: opts.note ?? null, recoveredFen: to === 'confirmed' ? recovered : undefined, entry });
      return updated;
    });
    return caseView(out, this.ruleInfo(out.coverage_year).get(out.rule_code));
  }
}
