/**
 * Payment by group on the books. A stay at a hospital the area pays by group is settled by item
 * as usual (the patient's share, 大病保险 and 医疗救助 as the benefit rules say); what the basic
 * fund owes the hospital is then the group's amount instead of the items: the difference
 * (DRG amount − the settlement's total cost) is posted as an adjustment entry, Dr basic_fund /
 * Cr payable_hospitals (negative: the other way), one balanced entry per hospital and run.
 *
 * - The monthly pre-payment (prepayMonth): every stay discharged up to the month's end and not
 *   yet pre-paid, at the base rate, or under the points method at the pack's provisional point
 *   value.
 * - The annual clearing (clearYear): every stay of the year with the year's catalogue; under
 *   the points method the point value is the year's budget / the year's total points; each
 *   stay's final adjustment less what the month runs posted for it is posted (a stay whose
 *   settlement was reversed since: its pre-payment comes back).
 * Each run is stored with each case's category, points, amounts and steps; a run is done once
 * (409 when asked again), all in one transaction.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import { ConflictError, InputError } from '../errors.js';
import { formatYuan, type Fen } from '../money.js';
import { audit } from '../access/audit.js';
import type { Actor } from '../access/roles.js';
import { ACCOUNTS, post } from '../ledger/ledger.js';
import { paymentPackOf, type PaymentPack } from '../policy/drg-payment-pack.js';
import { payCase, settleYearByPoints, type CasePayment, type OutlierRules, type PaymentMethod } from '../rules/drg/payment.js';
import type { DB } from '../store/schema.js';
import { catalogueFor, payableCases, type PayableCase } from './catalogue.js';

type Db = Kysely<DB> | Transaction<DB>;

export interface RunHospital {
  hospitalCode: string;
  cases: number;
  costFen: Fen;
  paymentFen: Fen;
  adjustmentFen: Fen;
  entryId: string | null;
}

export interface RunResult {
  runId: string;
  kind: 'month' | 'year';
  region: string;
  coverageYear: number;
  month: number | null;
  pack: string;
  cases: number;
  hospitals: RunHospital[];
  /** the points method's clearing: the point value and the rounding left of the budget */
  pointValue?: { budgetFen: Fen; totalPoints: string; yuanPerPoint: string; remainderFen: Fen };
  memo: string;
}

export function packFor(region: string, year: number, dir?: string): PaymentPack {
  const p = paymentPackOf(region, year, dir);
  if (!p) throw new InputError('region', `no payment-by-group pack for ${region} ${year} (policies/drg/payment/${region}/${year}.yaml)`);
  return p;
}

const outliersOf = (p: PaymentPack): OutlierRules => ({ ...(p.outliers.high ? { high: p.outliers.high } : {}), ...(p.outliers.low ? { low: p.outliers.low } : {}) });

const monthEnd = (year: number, month: number): string => new Date(Date.UTC(year, month, 0)).toISOString().slice(0, 10);

const paramJson = (p: { key: string; value: unknown; cite?: string; example?: string; from?: string }) => ({ key: p.key, value: p.value, ...(p.cite ? { cite: p.cite } : {}), ...(p.example ? { example: p.example } : {}), ...(p.from ? { pack: p.from } : {}) });

interface CaseLine {
  c: PayableCase;
  pay: CasePayment | null;
  adjustmentFen: Fen;
}

async function insertRun(tx: Transaction<DB>, actor: Actor, pack: PaymentPack, kind: 'month' | 'year', month: number | null, method: object, catalogue: object, budgetFen: Fen | null, memo: string): Promise<string> {
  const dup = await tx
    .selectFrom('drg_payment_run')
    .select('id')
    .where('region', '=', pack.region)
    .where('coverage_year', '=', pack.year)
    .where('kind', '=', kind)
    .where(sql<boolean>`coalesce(month, 0) = ${month ?? 0}`)
    .executeTakeFirst();
  if (dup) throw new ConflictError('DRG_RUN_DONE', `${pack.region} ${pack.year} ${kind === 'month' ? `month ${month}` : 'clearing'} has been run (run ${dup.id})`);
  if (kind === 'month') {
    const cleared = await tx.selectFrom('drg_payment_run').select('id').where('region', '=', pack.region).where('coverage_year', '=', pack.year).where('kind', '=', 'year').executeTakeFirst();
    if (cleared) throw new ConflictError('DRG_YEAR_CLEARED', `${pack.region} ${pack.year} has been cleared (run ${cleared.id}): no more pre-payments`);
  }
  const r = await tx
    .insertInto('drg_payment_run')
    .values({ region: pack.region, coverage_year: pack.year, kind, month, pack: pack.id, method: JSON.stringify(method), catalogue: JSON.stringify(catalogue), budget_fen: budgetFen, memo, by_user: actor.username })
    .returning('id')
    .executeTakeFirstOrThrow();
  return String(r.id);
}

/** Post one entry per hospital and store every case line; the hospitals' totals. */
async function book(tx: Transaction<DB>, runId: string, source: 'drg_prepayment' | 'drg_clearing', what: string, lines: CaseLine[], year: number): Promise<RunHospital[]> {
  const by = new Map<string, CaseLine[]>();
  for (const l of lines) by.set(l.c.hospitalCode, [...(by.get(l.c.hospitalCode) ?? []), l]);
  const names = new Map((await tx.selectFrom('hospital').select(['code', 'name']).execute()).map((h) => [h.code, h.name]));
  const out: RunHospital[] = [];
  for (const [code, ls] of [...by].sort(([a], [b]) => a.localeCompare(b))) {
    const costFen = ls.reduce((a, l) => a + (l.c.settlementId ? l.c.costFen : 0), 0);
    const paymentFen = ls.reduce((a, l) => a + (l.pay?.paymentFen ?? 0), 0);
    const adj = ls.reduce((a, l) => a + l.adjustmentFen, 0);
    const memo = `${what} ${names.get(code) ?? code}（${code}）：${ls.length}例，按病组${formatYuan(paymentFen)}元，按项目${formatYuan(costFen)}元，调整${formatYuan(adj)}元`;
    const entryId = await post(tx, memo, source, runId, [
      { account: ACCOUNTS.basicFund, fen: adj },
      { account: ACCOUNTS.payableHospitals, fen: -adj },
    ], year);
    await tx
      .insertInto('drg_case_payment')
      .values(
        ls.map((l) => ({
          run_id: runId,
          encounter_id: l.c.encounterId,
          settlement_id: l.c.settlementId,
          hospital_code: code,
          grp: l.c.drg,
          category: l.pay?.category ?? 'reversed',
          points_e2: l.pay?.pointsE2 ?? 0,
          cost_fen: l.c.settlementId ? l.c.costFen : 0,
          payment_fen: l.pay?.paymentFen ?? 0,
          adjustment_fen: l.adjustmentFen,
          steps: JSON.stringify(l.pay?.steps ?? [{ step: 'reversed', value: 0, explain: 'the settlement of this stay has been reversed: nothing is paid by group, what was pre-paid comes back' }]),
          entry_id: entryId,
        })),
      )
      .execute();
    out.push({ hospitalCode: code, cases: ls.length, costFen, paymentFen, adjustmentFen: adj, entryId });
  }
  return out;
}

/** The month's pre-payment: every grouped stay discharged by the month's end and not pre-paid yet. */
export async function prepayMonth(db: Kysely<DB>, actor: Actor, region: string, year: number, month: number, dir?: string): Promise<RunResult> {
  if (!Number.isInteger(month) || month < 1 || month > 12) throw new InputError('month', 'must be 1 to 12');
  const pack = packFor(region, year, dir);
  return db.transaction().execute(async (tx) => {
    const { catalogue } = await catalogueFor(tx, pack);
    const method: PaymentMethod =
      pack.method.value === 'base_rate' ? { kind: 'base_rate', baseRateFen: pack.baseRate! } : { kind: 'provisional_point_value', fenPerPoint: pack.provisionalPointValue! };
    const methodJson = pack.method.value === 'base_rate' ? { kind: 'base_rate', baseRate: paramJson(pack.baseRate!) } : { kind: 'provisional_point_value', pointValue: paramJson(pack.provisionalPointValue!) };
    const memo = `DRG月度预付 ${year}-${String(month).padStart(2, '0')}（${pack.name}）`;
    const runId = await insertRun(tx, actor, pack, 'month', month, methodJson, catalogueJson(catalogue), null, memo);
    const prepaid = new Set((await tx.selectFrom('drg_case_payment as p').innerJoin('drg_payment_run as r', 'r.id', 'p.run_id').select('p.encounter_id').where('r.region', '=', region).where('r.coverage_year', '=', year).where('r.kind', '=', 'month').execute()).map((r) => String(r.encounter_id)));
    const cases = (await payableCases(tx, pack, year, monthEnd(year, month))).filter((c) => !prepaid.has(c.encounterId) && c.settlementId !== null);
    const outliers = outliersOf(pack);
    const lines = cases.map((c): CaseLine => {
      const pay = payCase(catalogue, outliers, method, { id: c.encounterId, group: c.drg, costFen: c.costFen });
      return { c, pay, adjustmentFen: pay.paymentFen - c.costFen };
    });
    const hospitals = await book(tx, runId, 'drg_prepayment', memo, lines, year);
    await audit(tx, actor, 'drg_prepayment', 'drg_payment_run', runId, { region, year, month, cases: lines.length });
    return { runId, kind: 'month', region, coverageYear: year, month, pack: pack.id, cases: lines.length, hospitals, memo };
  });
}

/** The year's clearing against the budget (the pack's, or `budgetFen` as the area decided it). */
export async function clearYear(db: Kysely<DB>, actor: Actor, region: string, year: number, opts: { budgetFen?: Fen; memo?: string; dir?: string } = {}): Promise<RunResult> {
  const pack = packFor(region, year, opts.dir);
  return db.transaction().execute(async (tx) => {
    const { catalogue } = await catalogueFor(tx, pack);
    const cases = await payableCases(tx, pack, year);
    const live = cases.filter((c) => c.settlementId !== null);
    const outliers = outliersOf(pack);
    let payments: CasePayment[];
    let pointValue: RunResult['pointValue'];
    let methodJson: object;
    let budgetFen: Fen | null = null;
    if (pack.method.value === 'base_rate') {
      const method: PaymentMethod = { kind: 'base_rate', baseRateFen: pack.baseRate! };
      payments = live.map((c) => payCase(catalogue, outliers, method, { id: c.encounterId, group: c.drg, costFen: c.costFen }));
      methodJson = { kind: 'base_rate', baseRate: paramJson(pack.baseRate!) };
    } else {
      const budget =
        opts.budgetFen !== undefined
          ? { key: 'budget', value: opts.budgetFen, example: opts.memo ?? 'the budget given to the clearing run', from: 'drg_payment_run' }
          : pack.budget ?? (() => { throw new InputError('budgetYuan', `${pack.id} gives no budget: give the year's budget`); })();
      if (!Number.isSafeInteger(budget.value) || budget.value < 0) throw new InputError('budgetYuan', 'must be an amount ≥ 0');
      if (live.length === 0) throw new InputError('year', `${region} ${year}: no grouped stay to clear`);
      const y = settleYearByPoints(catalogue, outliers, budget, live.map((c) => ({ id: c.encounterId, group: c.drg, costFen: c.costFen })));
      payments = y.payments;
      budgetFen = y.pointValue.budgetFen;
      pointValue = { budgetFen, totalPoints: (y.pointValue.totalPointsE2 / 100).toFixed(2), yuanPerPoint: y.pointValue.yuanPerPoint, remainderFen: y.remainderFen };
      methodJson = { kind: 'point_value', budget: paramJson(budget), totalPointsE2: y.pointValue.totalPointsE2, yuanPerPoint: y.pointValue.yuanPerPoint };
    }
    const memo = `DRG年度清算 ${year}（${pack.name}）${opts.memo ? `：${opts.memo}` : ''}`;
    const runId = await insertRun(tx, actor, pack, 'year', null, methodJson, catalogueJson(catalogue), budgetFen, memo);
    const prepaid = new Map<string, number>();
    for (const r of await tx
      .selectFrom('drg_case_payment as p')
      .innerJoin('drg_payment_run as r', 'r.id', 'p.run_id')
      .select(['p.encounter_id', sql<string>`sum(p.adjustment_fen)`.as('adj')])
      .where('r.region', '=', region)
      .where('r.coverage_year', '=', year)
      .where('r.kind', '=', 'month')
      .groupBy('p.encounter_id')
      .execute())
      prepaid.set(String(r.encounter_id), Number(r.adj));
    const byId = new Map(payments.map((p) => [p.id!, p]));
    const lines = cases
      .filter((c) => c.settlementId !== null || prepaid.has(c.encounterId))
      .map((c): CaseLine => {
        const pay = c.settlementId === null ? null : byId.get(c.encounterId)!;
        const final = pay ? pay.paymentFen - c.costFen : 0;
        return { c, pay, adjustmentFen: final - (prepaid.get(c.encounterId) ?? 0) };
      });
    const hospitals = await book(tx, runId, 'drg_clearing', memo, lines, year);
    await audit(tx, actor, 'drg_clearing', 'drg_payment_run', runId, { region, year, cases: lines.length, ...(budgetFen === null ? {} : { budgetFen }) });
    return { runId, kind: 'year', region, coverageYear: year, month: null, pack: pack.id, cases: lines.length, hospitals, ...(pointValue ? { pointValue } : {}), memo };
  });
}

const catalogueJson = (c: { kind: string; name: string; overallAverageCostFen: number; source: { key: string; value: unknown; cite?: string; example?: string; from?: string }; groups(): Iterable<{ code: string; pointsE2: number; averageCostFen: number; cases?: number }> }) => ({
  kind: c.kind,
  name: c.name,
  overallAverageCostFen: c.overallAverageCostFen,
  source: paramJson(c.source),
  groups: [...c.groups()].map((g) => ({ code: g.code, pointsE2: g.pointsE2, averageCostFen: g.averageCostFen, ...(g.cases ? { cases: g.cases } : {}) })),
});
