/**
 * Payment by group through the settlement and the ledger, on both databases, with amounts
 * computed by hand. Three stays of BU25 at a DRG hospital, settled by item as usual (the
 * patient's share stays), then grouped: a normal case (4 000 yuan), a high outlier (16 000 >
 * 3 × 5 000) and a low outlier (1 500 < 0.4 × 5 000), with a catalogue given as data (BU25:
 * 100 points, average cost 5 000 yuan; all cases 5 000 yuan).
 *
 * Base rate 5 000 yuan: normal 5 000 (adjustment +1 000), outliers by item (0): one entry
 * Dr basic_fund 1 000 / Cr payable_hospitals 1 000.
 *
 * Points method, provisional 40 yuan a point, budget 12 000 yuan: points 100, 320 (16 000 by
 * item = 320 points), 30 → 450; month pre-payment 4 000, 12 800, 1 200 (adjustments 0, −3 200,
 * −300: −3 500); the year's point value 12 000 / 450 = 26.6667; final 2 666.67, 8 533.33,
 * 800.00 (sum 12 000, remainder 0); final adjustments −1 333.33, −7 466.67, −700 (−9 500),
 * so the clearing posts −9 500 − (−3 500) = −6 000; the fund then pays by group exactly the
 * budget: 21 500 by item − 9 500 = 12 000.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { QuoteService } from '../src/quotes/quote-service.ts';
import { SYSTEM } from '../src/access/roles.ts';
import { SettlementService } from '../src/settlement/settlement-service.ts';
import { storeGrouping } from '../src/settlement/drg-grouping.ts';
import { clearYear, prepayMonth } from '../src/drg/payment-runs.ts';
import { unbalancedEntries } from '../src/ledger/ledger.ts';
import { BACKENDS, freshDatabase, type TestDatabase } from './support/databases.ts';
import { enrolledPerson, VILLAGE } from './support/fsi-client.ts';

const quotes = QuoteService.load();
const H = 'H50023002';
const A1 = { id: 'A-1', sex: '1', ageYears: 73, diagnoses: ['G20.x03', 'I10.x00x002', 'N39.000'], procedures: [] };

function packDir(method: 'base_rate' | 'point_value'): string {
  const dir = mkdtempSync(join(tmpdir(), 'yibao-drg-pack-'));
  mkdirSync(join(dir, '500230'));
  const ex = 'test: computed by hand';
  writeFileSync(
    join(dir, '500230', '2022.yaml'),
    [
      'payment: 1',
      'region: "500230"',
      'year: 2022',
      'kind: DRG',
      'scheme: CHS-DRG 1.1',
      'name: test pack',
      'params:',
      `  hospitals: { value: [${H}], example: "${ex}" }`,
      `  catalogue: { value: { overallAverageCost: "5000.00", groups: [{ code: BU25, points: "100", averageCost: "5000.00" }] }, example: "${ex}" }`,
      `  method: { value: ${method}, example: "${ex}" }`,
      `  baseRate: { value: "5000.00", example: "${ex}" }`,
      `  pointValue.provisional: { value: "40.00", example: "${ex}" }`,
      `  budget: { value: "12000.00", example: "${ex}" }`,
      `  outliers.high.multiple: { value: 3, example: "${ex}" }`,
      `  outliers.high.pay: { value: by_item, example: "${ex}" }`,
      `  outliers.low.multiple: { value: "0.4", example: "${ex}" }`,
      `  outliers.low.pay: { value: by_item, example: "${ex}" }`,
      '',
    ].join('\n'),
  );
  return dir;
}

async function setUp(d: TestDatabase): Promise<{ settlements: { id: string; cash: number; basic: number }[]; service: SettlementService }> {
  await d.db
    .insertInto('admin_area')
    .values([
      { code: '500230', name: '丰都县', level: 'county', parent_code: null, region: '500230' },
      { code: '500230100', name: '兴义镇', level: 'township', parent_code: '500230', region: '500230' },
      { code: VILLAGE, name: '兴义村', level: 'village', parent_code: '500230100', region: '500230' },
    ])
    .execute();
  await d.db.insertInto('hospital').values({ code: H, name: '丰都县人民医院', level: 'secondary', region: '500230' }).execute();
  const service = new SettlementService(d, quotes);
  const settlements: { id: string; cash: number; basic: number }[] = [];
  for (const [i, yuan] of [4000, 16000, 1500].entries()) {
    const p = await enrolledPerson(d.db);
    const e = (await service.createEncounter(SYSTEM, {
      hospitalCode: H,
      personId: p.psnNo,
      coverageYear: 2022,
      type: 'inpatient',
      date: `2022-03-0${i + 1}`,
      costs: { total: yuan, fullOwnPay: 0, overLimitSelfPay: 0, preSelfPay: 0, inScope: yuan },
      externalId: `T-${i}`,
    })) as { id: string };
    const s = await service.settle(SYSTEM, String(e.id), { trace: false });
    const row = await d.db.selectFrom('settlement').select(['cash_fen', 'basic_fund_fen']).where('id', '=', s.settlementId).executeTakeFirstOrThrow();
    settlements.push({ id: s.settlementId, cash: Number(row.cash_fen), basic: Number(row.basic_fund_fen) });
    const g = await storeGrouping(d.db, SYSTEM, { settlementId: s.settlementId, record: { ...A1, id: `T-${i}` }, source: 'test' });
    assert.equal(g.drg, 'BU25');
  }
  return { settlements, service };
}

/** The balance of an account from the DRG entries only (debit +). */
async function drgPosted(d: TestDatabase, account: string, source: string): Promise<number> {
  const r = await d.db
    .selectFrom('posting as p')
    .innerJoin('journal_entry as j', 'j.id', 'p.entry_id')
    .select(sql<string>`coalesce(sum(p.amount_fen), 0)`.as('fen'))
    .where('p.account', '=', account)
    .where('j.source', '=', source)
    .executeTakeFirstOrThrow();
  return Number(r.fen);
}

for (const backend of BACKENDS) {
  describe(`DRG payment by base rate on ${backend}`, () => {
    let d: TestDatabase;
    let dir: string;
    let setup: Awaited<ReturnType<typeof setUp>>;
    before(async () => {
      d = await freshDatabase(backend);
      dir = packDir('base_rate');
      setup = await setUp(d);
    });
    after(async () => {
      await d.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    test('normal, high and low outlier by hand; the patient’s share unchanged; one balanced entry', async () => {
      const before = await d.db.selectFrom('settlement').select(['id', 'cash_fen', 'basic_fund_fen']).orderBy('id').execute();
      const r = await prepayMonth(d.db, SYSTEM, '500230', 2022, 3, dir);
      assert.equal(r.cases, 3);
      assert.deepEqual(
        r.hospitals.map(({ entryId: _, ...h }) => h),
        [{ hospitalCode: H, cases: 3, costFen: 2_150_000, paymentFen: 500_000 + 1_600_000 + 150_000, adjustmentFen: 100_000 }],
      );
      const rows = await d.db.selectFrom('drg_case_payment').select(['settlement_id', 'category', 'points_e2', 'payment_fen', 'adjustment_fen']).orderBy('settlement_id').execute();
      assert.deepEqual(
        rows.map((x) => [x.category, Number(x.points_e2), Number(x.payment_fen), Number(x.adjustment_fen)]),
        [
          ['normal', 10000, 500_000, 100_000],
          ['high_outlier', 32000, 1_600_000, 0],
          ['low_outlier', 3000, 150_000, 0],
        ],
      );
      assert.equal(await drgPosted(d, 'basic_fund', 'drg_prepayment'), 100_000);
      assert.equal(await drgPosted(d, 'payable_hospitals', 'drg_prepayment'), -100_000);
      assert.deepEqual(await unbalancedEntries(d.db), []);
      // the settlements themselves (the patient's share, the funds by item) are untouched
      assert.deepEqual(await d.db.selectFrom('settlement').select(['id', 'cash_fen', 'basic_fund_fen']).orderBy('id').execute(), before);
      // a month runs once; a stay paid keeps its grouping
      await assert.rejects(prepayMonth(d.db, SYSTEM, '500230', 2022, 3, dir), /has been run/);
      await assert.rejects(storeGrouping(d.db, SYSTEM, { settlementId: setup.settlements[0].id, record: A1, source: 'test' }), /paid by group/);
      // the year's clearing at the same base rate changes nothing
      const y = await clearYear(d.db, SYSTEM, '500230', 2022, { dir });
      assert.equal(y.hospitals[0].adjustmentFen, 0);
    });
  });

  describe(`DRG payment by points (区域点数法) on ${backend}`, () => {
    let d: TestDatabase;
    let dir: string;
    let setup: Awaited<ReturnType<typeof setUp>>;
    before(async () => {
      d = await freshDatabase(backend);
      dir = packDir('point_value');
      setup = await setUp(d);
    });
    after(async () => {
      await d.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    test('the month at the provisional point value, the year at budget / points, by hand', async () => {
      const m = await prepayMonth(d.db, SYSTEM, '500230', 2022, 3, dir);
      assert.equal(m.hospitals[0].paymentFen, 400_000 + 1_280_000 + 120_000);
      assert.equal(m.hospitals[0].adjustmentFen, -350_000);
      const y = await clearYear(d.db, SYSTEM, '500230', 2022, { dir });
      assert.deepEqual(y.pointValue, { budgetFen: 1_200_000, totalPoints: '450.00', yuanPerPoint: '26.6667', remainderFen: 0 });
      const rows = await d.db
        .selectFrom('drg_case_payment')
        .select(['payment_fen', 'adjustment_fen'])
        .where('run_id', '=', y.runId)
        .orderBy('settlement_id')
        .execute();
      assert.deepEqual(
        rows.map((x) => [Number(x.payment_fen), Number(x.adjustment_fen)]),
        [
          [266_667, 266_667 - 400_000 - 0],
          [853_333, 853_333 - 1_600_000 + 320_000],
          [80_000, 80_000 - 150_000 + 30_000],
        ],
      );
      assert.equal(y.hospitals[0].adjustmentFen, -600_000);
      const all = (await drgPosted(d, 'basic_fund', 'drg_prepayment')) + (await drgPosted(d, 'basic_fund', 'drg_clearing'));
      assert.equal(all, -950_000);
      assert.equal(2_150_000 + all, 1_200_000, 'by group the cases cost exactly the budget');
      assert.deepEqual(await unbalancedEntries(d.db), []);
      await assert.rejects(prepayMonth(d.db, SYSTEM, '500230', 2022, 4, dir), /has been cleared/);
    });
  });
}

describe('payment packs', () => {
  test('the shipped packs read, every value cited or marked as an example', async () => {
    const { loadPaymentPacks } = await import('../src/policy/drg-payment-pack.ts');
    const packs = loadPaymentPacks();
    const p = packs.get('drg-payment/500230/2022');
    assert.ok(p);
    for (const x of [p.hospitals, p.catalogue, p.method, p.provisionalPointValue!, p.budget!, p.outliers.high!.multiple, p.outliers.low!.pay]) assert.ok(x.cite || x.example, x.key);
  });
  test('a value with neither a citation nor an example mark is refused, naming the parameter', async () => {
    const { readPaymentPack } = await import('../src/policy/drg-payment-pack.ts');
    const dir = packDir('base_rate');
    const f = join(dir, '500230', '2022.yaml');
    const { readFileSync } = await import('node:fs');
    writeFileSync(f, readFileSync(f, 'utf8').replace('baseRate: { value: "5000.00", example: "test: computed by hand" }', 'baseRate: { value: "5000.00" }'));
    assert.throws(() => readPaymentPack(f), (e: Error) => /params\.baseRate: needs a citation/.test(e.message));
    rmSync(dir, { recursive: true, force: true });
  });
});
