/** Reading settlements back: an encounter with its settlements, lists paged by id, one settlement with its stored answer, a person's accumulators. */
import type { Kysely, Transaction } from 'kysely';
import { z } from 'zod';
import { ForbiddenError, NotFoundError } from '../errors.js';
import { fenToYuan } from '../money.js';
import type { LineSplit } from '../rules/settlement/input.js';
import type { DB } from '../store/schema.js';
import { maskIdNumber, maskName } from '../access/privacy.js';
import { requireHospital, type Actor } from '../access/roles.js';
import { accumulatorsJson } from '../quotes/settlement-request.js';
import { iso, type EncounterView, type SettlementSummary } from './answers.js';
import { checkId, parseWith, settlementQuerySchema, type SettlementQuery } from './requests.js';
import { accumulatorsOf } from './settlement-store.js';
import { type AccumulatorsJson } from '../quotes/settlement-request.js';

type Db = Kysely<DB> | Transaction<DB>;

export async function encounterView(db: Db, actor: Actor, id: string): Promise<EncounterView> {
  const e = await db
    .selectFrom('encounter as e')
    .innerJoin('person as p', 'p.id', 'e.person_id')
    .selectAll('e')
    .select(['p.name', 'p.id_number'])
    .where('e.id', '=', id)
    .executeTakeFirst();
  if (!e) throw new NotFoundError('encounter', id);
  requireHospital(actor, e.hospital_code);
  const settlements = await summaries(db, (q) => q.where('s.encounter_id', '=', id), null, 1000);
  return {
    id: String(e.id),
    hospitalCode: e.hospital_code,
    personId: String(e.person_id),
    person: { name: maskName(e.name), idNumber: maskIdNumber(e.id_number) },
    coverageYear: e.coverage_year,
    type: e.type,
    setting: e.setting,
    date: e.date,
    location: e.location,
    referred: e.referred,
    disease: e.disease,
    costs: { total: fenToYuan(Number(e.total_fen)), fullOwnPay: fenToYuan(Number(e.full_own_pay_fen)), overLimitSelfPay: fenToYuan(Number(e.over_limit_fen)), preSelfPay: fenToYuan(Number(e.pre_self_pay_fen)), inScope: fenToYuan(Number(e.in_scope_fen)) },
    lines: (e.lines as LineSplit[] | null)?.map((l) => ({ sn: l.sn, total: fenToYuan(l.total), fullOwnPay: fenToYuan(l.fullOwnPay), overLimitSelfPay: fenToYuan(l.overLimitSelfPay), preSelfPay: fenToYuan(l.preSelfPay), inScope: fenToYuan(l.inScope) })) ?? null,
    externalId: e.external_id,
    createdAt: iso(e.created_at),
    settlement: settlements.find((s) => s.reversedAt === null) ?? null,
    settlements,
  };
}

async function summaries(db: Db, filter: (q: SummaryQuery) => SummaryQuery, after: string | null, limit: number): Promise<SettlementSummary[]> {
  let q = summaryQuery(db);
  q = filter(q);
  if (after) q = q.where('s.id', '>', after);
  const rows = await q.orderBy('s.id').limit(limit).execute();
  return rows.map((s) => {
    const funds = Number(s.basic_fund_fen) + Number(s.critical_illness_fen) + Number(s.medical_assistance_fen);
    return {
      id: String(s.id),
      encounterId: String(s.encounter_id),
      personId: String(s.person_id),
      person: { name: maskName(s.name), idNumber: maskIdNumber(s.id_number) },
      hospitalCode: s.hospital_code,
      coverageYear: s.coverage_year,
      encounterDate: s.date,
      encounterType: s.type,
      total: fenToYuan(Number(s.total_fen)),
      basicFund: fenToYuan(Number(s.basic_fund_fen)),
      criticalIllness: fenToYuan(Number(s.critical_illness_fen)),
      medicalAssistance: fenToYuan(Number(s.medical_assistance_fen)),
      fundTotal: fenToYuan(funds),
      personalCash: fenToYuan(Number(s.cash_fen)),
      cashReason: s.cash_reason,
      settledAt: iso(s.settled_at)!,
      settledBy: s.settled_by,
      reversedAt: iso(s.reversed_at),
      reversedBy: s.reversed_by,
    };
  });
}

/** Settlements by hospital, person, year; a hospital account sees only its own. Paged by id. */
export async function listSettlements(db: Kysely<DB>, actor: Actor, query: SettlementQuery): Promise<{ settlements: SettlementSummary[]; next: string | null }> {
  const q = parseWith(settlementQuerySchema, query);
  let hospital = q.hospital;
  if (actor.role === 'hospital') {
    if (hospital !== undefined) requireHospital(actor, hospital);
    hospital = actor.hospitalCode!;
  }
  const settlements = await summaries(
    db,
    (s) => {
      let x = s;
      if (hospital !== undefined) x = x.where('s.hospital_code', '=', hospital);
      if (q.person !== undefined) x = x.where('s.person_id', '=', q.person);
      if (q.year !== undefined) x = x.where('s.coverage_year', '=', q.year);
      if (q.live === 'true') x = x.where('s.reversed_at', 'is', null);
      if (q.live === 'false') x = x.where('s.reversed_at', 'is not', null);
      if (q.date !== undefined) x = x.where('e.date', '=', q.date);
      return x;
    },
    q.after ?? null,
    q.limit,
  );
  return { settlements, next: settlements.length === q.limit ? settlements[settlements.length - 1].id : null };
}

/** One settlement with the engine's whole answer as stored. */
export async function getSettlement(db: Kysely<DB>, actor: Actor, id: string): Promise<SettlementSummary & { result: unknown }> {
  checkId('id', id);
  const [s] = await summaries(db, (q) => q.where('s.id', '=', id), null, 1);
  if (!s) throw new NotFoundError('settlement', id);
  requireHospital(actor, s.hospitalCode);
  const row = await db.selectFrom('settlement').select('result').where('id', '=', id).executeTakeFirstOrThrow();
  return { ...s, result: row.result };
}

/** A person's year-to-date accumulators (yuan). A hospital account: only for a person it has an encounter with that year. */
export async function accumulators(db: Kysely<DB>, actor: Actor, personId: string, year: string | number | undefined): Promise<{ personId: string; coverageYear: number; version: number; accumulators: AccumulatorsJson }> {
  checkId('id', personId);
  const y = parseWith(z.object({ year: z.coerce.number().int().min(2000).max(2100) }), { year }).year;
  const person = await db.selectFrom('person').select('id').where('id', '=', personId).executeTakeFirst();
  if (!person) throw new NotFoundError('person', personId);
  if (actor.role === 'hospital') {
    const seen = await db
      .selectFrom('encounter')
      .select('id')
      .where('person_id', '=', personId)
      .where('coverage_year', '=', y)
      .where('hospital_code', '=', actor.hospitalCode!)
      .limit(1)
      .executeTakeFirst();
    if (!seen) throw new ForbiddenError(`hospital ${actor.hospitalCode} has no encounter with person ${personId} in ${y}`);
  }
  const row = await db.selectFrom('accumulator').select(['data', 'version']).where('person_id', '=', personId).where('coverage_year', '=', y).executeTakeFirst();
  return { personId, coverageYear: y, version: row?.version ?? 0, accumulators: accumulatorsJson(accumulatorsOf(row?.data)) };
}

function summaryQuery(db: Db) {
  return db
    .selectFrom('settlement as s')
    .innerJoin('encounter as e', 'e.id', 's.encounter_id')
    .innerJoin('person as p', 'p.id', 's.person_id')
    .select([
      's.id',
      's.encounter_id',
      's.person_id',
      'p.name',
      'p.id_number',
      's.hospital_code',
      's.coverage_year',
      'e.date',
      'e.type',
      's.total_fen',
      's.basic_fund_fen',
      's.critical_illness_fen',
      's.medical_assistance_fen',
      's.cash_fen',
      's.cash_reason',
      's.settled_at',
      's.settled_by',
      's.reversed_at',
      's.reversed_by',
    ]);
}
type SummaryQuery = ReturnType<typeof summaryQuery>;
