/**
 * What the notices measure of payment by group (issue #19 item 4), on both databases, with the
 * figures computed by hand.
 *
 * Area 500230, 2022. Hospitals: H50023002 secondary public, paid by DRG (the pack);
 * H50023003 secondary public, by item; H50023005 tertiary private, by item; H50023004
 * secondary, ownership not recorded; H50023001 primary public (not counted: below secondary).
 * Secondary-and-above public: 2, paid by DRG/DIP 1 → 0.5000, by DRG 1 → 0.5000; H50023004 apart.
 *
 * Three stays of BU25 at H50023002 (costs 4 000, 16 000, 1 500 yuan; 10, 20, 5 days), the
 * catalogue as data: BU25 150 points (weight 1.5), average cost 5 000. CMI = 4.5 / 3 = 1.5000;
 * cost per weight = 21 500 / 4.5 = 4 777.78; days per weight = 35 / 4.5 = 7.78.
 * Base rate 5 000 yuan: 4 000 is normal → 7 500; 16 000 > 3 × 5 000 by item; 1 500 < 0.4 ×
 * 5 000 by item → paid 25 000 against 21 500 by item: 结余 3 500 (the month-3 pre-payment).
 * One stay of 6 000 at H50023003, by item. The fund share = (basic fund at H50023002 + 3 500) /
 * (basic fund of all four stays + 3 500), the basic fund amounts as settled.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { QuoteService } from '../src/quotes/quote-service.ts';
import { SYSTEM } from '../src/access/roles.ts';
import { SettlementService } from '../src/settlement/settlement-service.ts';
import { storeGrouping } from '../src/settlement/drg-grouping.ts';
import { prepayMonth } from '../src/drg/payment-runs.ts';
import { drgMetrics } from '../src/drg/metrics.ts';
import { loadDrgTargets, targetsFor } from '../src/policy/drg-targets.ts';
import { hospitalCoverage, hospitalMetrics, meets, shareOf } from '../src/rules/drg/metrics.ts';
import { InputError } from '../src/errors.ts';
import { BACKENDS, freshDatabase, type TestDatabase } from './support/databases.ts';
import { enrolledPerson, VILLAGE } from './support/fsi-client.ts';

const quotes = QuoteService.load();
const H = 'H50023002';
const A1 = { sex: '1', ageYears: 73, diagnoses: ['G20.x03', 'I10.x00x002', 'N39.000'], procedures: [] };

function packDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'yibao-drg-metrics-'));
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
      `  catalogue: { value: { overallAverageCost: "5000.00", groups: [{ code: BU25, points: "150", averageCost: "5000.00" }] }, example: "${ex}" }`,
      `  method: { value: base_rate, example: "${ex}" }`,
      `  baseRate: { value: "5000.00", example: "${ex}" }`,
      `  outliers.high.multiple: { value: 3, example: "${ex}" }`,
      `  outliers.high.pay: { value: by_item, example: "${ex}" }`,
      `  outliers.low.multiple: { value: "0.4", example: "${ex}" }`,
      `  outliers.low.pay: { value: by_item, example: "${ex}" }`,
      '',
    ].join('\n'),
  );
  return dir;
}

describe('DRG metrics rules (pure)', () => {
  test('shares: 4 decimals half up, exact comparison with the target', () => {
    assert.deepEqual(shareOf(1, 3), { numerator: '1', denominator: '3', value: '0.3333', percent: '33.33' });
    assert.equal(shareOf(2, 3).value, '0.6667');
    assert.equal(shareOf(0, 0).value, null);
    assert.equal(shareOf(150_000, 200_000, true).numerator, '1500.00');
    // 0.49995 rounds to 0.5000 for display, yet does not meet 50 %
    assert.equal(shareOf(9999, 20000).value, '0.5000');
    assert.equal(meets(9999, 20000, '0.50'), false);
    assert.equal(meets(1, 2, '0.50'), true);
    assert.equal(meets(7, 10, '0.70'), true);
    assert.equal(meets(69, 100, '0.70'), false);
    assert.equal(meets(1, 0, '0.5'), null);
  });
  test('hospitals: secondary-and-above public only, unknown ownership apart', () => {
    const c = hospitalCoverage([
      { code: 'a', name: 'a', level: 'secondary', ownership: 'public', paidBy: 'DRG' },
      { code: 'b', name: 'b', level: 'tertiary', ownership: 'public', paidBy: 'DIP' },
      { code: 'c', name: 'c', level: 'secondary', ownership: 'public', paidBy: null },
      { code: 'd', name: 'd', level: 'tertiary', ownership: 'private', paidBy: 'DRG' },
      { code: 'e', name: 'e', level: 'primary', ownership: 'public', paidBy: 'DRG' },
      { code: 'f', name: 'f', level: 'secondary', ownership: null, paidBy: 'DRG' },
    ]);
    assert.equal(c.publicSecondaryPlus, 3);
    assert.equal(c.paidByGroup, 2);
    assert.equal(c.paidByDrg, 1);
    assert.equal(c.groupShare.value, '0.6667');
    assert.equal(c.drgShare.value, '0.3333');
    assert.deepEqual(c.ownershipUnknown, ['f']);
  });
  test('per hospital: CMI, cost and days per weight, 超支', () => {
    // weights 0.8 and 1.2 (8 000 + 12 000 hundredths of points): CMI 1.0000; cost 3 000 + 9 000 yuan
    // → 12 000 / 2 = 6 000.00 per weight; days only on the first: 9 / 0.8 = 11.25; paid 10 000 < 12 000
    const m = hospitalMetrics({ code: 'x', cases: 3, weightedCases: 2, pointsE2: 20_000, weightedCostFen: 1_200_000, losDays: 9, losPointsE2: 8_000, paid: { cases: 2, paymentFen: 1_000_000, costFen: 1_200_000, run: 'year' } });
    assert.equal(m.cmi, '1.0000');
    assert.equal(m.costPerWeight, '6000.00');
    assert.equal(m.daysPerWeight, '11.25');
    assert.deepEqual([m.paid?.result, m.paid?.balance], ['超支', '-2000.00']);
    const none = hospitalMetrics({ code: 'y', cases: 1, weightedCases: 0, pointsE2: 0, weightedCostFen: 0, losDays: 0, losPointsE2: 0, paid: null });
    assert.deepEqual([none.cmi, none.costPerWeight, none.daysPerWeight, none.paid], [null, null, null, null]);
  });
  test('targets: every quote is a sentence of the notice it cites, as the repository carries it', () => {
    const index = parseYaml(readFileSync('policies/sources/index.yaml', 'utf8')) as { number: string; file: string }[];
    for (const t of loadDrgTargets()) {
      const doc = t.cite.split(' ')[0];
      const src = index.find((i) => i.number === doc);
      assert.ok(src, `${t.key}: ${doc} is not in policies/sources`);
      assert.ok(readFileSync(join('policies/sources', src.file), 'utf8').includes(t.quote), `${t.key}: quote not found in ${src.file}`);
    }
    assert.deepEqual(targetsFor('370100').map((t) => t.key), ['national.areas', 'shandong.public', 'shandong.drg', 'shandong.fund']);
    assert.deepEqual(targetsFor('450100').map((t) => t.key), ['national.areas', 'guangxi.fund']);
    assert.deepEqual(targetsFor('500230').map((t) => t.key), ['national.areas', 'chongqing.steady']);
  });
});

for (const backend of BACKENDS)
  describe(`DRG metrics of an area on ${backend}`, () => {
    let d: TestDatabase;
    const dir = packDir();
    const basic: Record<string, bigint> = {};
    before(async () => {
      d = await freshDatabase(backend);
      await d.db
        .insertInto('admin_area')
        .values([
          { code: '500230', name: '丰都县', level: 'county', parent_code: null, region: '500230' },
          { code: '500230100', name: '兴义镇', level: 'township', parent_code: '500230', region: '500230' },
          { code: VILLAGE, name: '兴义村', level: 'village', parent_code: '500230100', region: '500230' },
        ])
        .execute();
      await d.db
        .insertInto('hospital')
        .values([
          { code: 'H50023001', name: '兴义镇卫生院', level: 'primary', region: '500230', ownership: 'public' },
          { code: H, name: '丰都县人民医院', level: 'secondary', region: '500230', ownership: 'public' },
          { code: 'H50023003', name: '丰都县中医院', level: 'secondary', region: '500230', ownership: 'public' },
          { code: 'H50023004', name: '某医院', level: 'secondary', region: '500230' },
          { code: 'H50023005', name: '某民营医院', level: 'tertiary', region: '500230', ownership: 'private' },
        ])
        .execute();
      const service = new SettlementService(d, quotes);
      const stays: [string, number, number | null][] = [
        [H, 4000, 10],
        [H, 16000, 20],
        [H, 1500, 5],
        ['H50023003', 6000, null],
      ];
      for (const [i, [hosp, yuan, los]] of stays.entries()) {
        const p = await enrolledPerson(d.db);
        const e = (await service.createEncounter(SYSTEM, {
          hospitalCode: hosp,
          personId: p.psnNo,
          coverageYear: 2022,
          type: 'inpatient',
          date: `2022-03-0${i + 1}`,
          costs: { total: yuan, fullOwnPay: 0, overLimitSelfPay: 0, preSelfPay: 0, inScope: yuan },
          externalId: `M-${i}`,
        })) as { id: string };
        const s = await service.settle(SYSTEM, String(e.id), { trace: false });
        const row = await d.db.selectFrom('settlement').select('basic_fund_fen').where('id', '=', s.settlementId).executeTakeFirstOrThrow();
        basic[hosp] = (basic[hosp] ?? 0n) + BigInt(row.basic_fund_fen);
        if (hosp === H) await storeGrouping(d.db, SYSTEM, { settlementId: s.settlementId, record: { ...A1, id: `M-${i}`, losDays: los }, source: 'test' });
      }
    });
    after(async () => {
      await d.drop();
    });

    test('before any run: shares, targets beside them, per-hospital cases, CMI, cost and days per weight', async () => {
      const m = await drgMetrics(d.db, '500230', 2022, dir);
      assert.equal(m.method, 'DRG');
      assert.equal(m.hospitals.publicSecondaryPlus, 2);
      assert.equal(m.hospitals.groupShare.value, '0.5000');
      assert.equal(m.hospitals.drgShare.value, '0.5000');
      assert.deepEqual(m.hospitals.ownershipUnknown, ['H50023004']);
      assert.equal(m.fund.groupPaidFen, Number(basic[H]));
      assert.equal(m.fund.inpatientFen, Number(basic[H] + basic.H50023003));
      assert.equal(m.fund.share.value, shareOf(basic[H], basic[H] + basic.H50023003).value);
      // the binding ones (national, Chongqing) and the other provinces' for comparison, measured alike
      const fundMet = basic[H] * 10n >= 7n * (basic[H] + basic.H50023003);
      assert.deepEqual(m.targets.map((t) => [t.key, t.binds, t.actual, t.met]), [
        ['national.areas', true, null, null],
        ['guangxi.fund', false, m.fund.share.value, fundMet],
        ['shandong.public', false, '0.5000', false],
        ['shandong.drg', false, '0.5000', true],
        ['shandong.fund', false, m.fund.share.value, basic[H] * 2n >= basic[H] + basic.H50023003],
        ['chongqing.steady', true, null, null],
      ]);
      assert.equal(m.perHospital.length, 1);
      const h = m.perHospital[0];
      assert.deepEqual([h.code, h.cases, h.weightedCases, h.cmi, h.costPerWeight, h.daysPerWeight, h.paid], [H, 3, 3, '1.5000', '4777.78', '7.78', null]);
    });

    test('after the month-3 pre-payment: 结余 3 500, and the fund share counts the adjustment', async () => {
      const run = await prepayMonth(d.db, SYSTEM, '500230', 2022, 3, dir);
      assert.equal(run.hospitals[0].adjustmentFen, 350_000);
      const m = await drgMetrics(d.db, '500230', 2022, dir);
      const h = m.perHospital[0];
      assert.deepEqual(h.paid, { cases: 3, run: 'month', payment: '25000.00', cost: '21500.00', balanceFen: 350_000, balance: '3500.00', result: '结余' });
      assert.equal(m.fund.groupPaidFen, Number(basic[H] + 350_000n));
      assert.equal(m.fund.inpatientFen, Number(basic[H] + basic.H50023003 + 350_000n));
    });

    test('the Shandong targets, measured on the same figures under a targets file naming 500000', async () => {
      const f = join(dir, 'targets.yaml');
      writeFileSync(
        f,
        'version: 1\ntargets:\n  - { key: t.public, applies: "500000", measure: public_hospitals, share: "1.00", cite: test, quote: q }\n  - { key: t.drg, applies: "500000", measure: drg_hospitals, share: "0.50", cite: test, quote: q }\n  - { key: t.fund, applies: "500000", measure: fund_share, share: "0.50", cite: test, quote: q }\n',
      );
      const m = await drgMetrics(d.db, '500230', 2022, dir, f);
      assert.deepEqual(m.targets.map((t) => [t.key, t.actual, t.met]), [
        ['t.public', '0.5000', false],
        ['t.drg', '0.5000', true],
        ['t.fund', m.fund.share.value, (basic[H] + 350_000n) * 2n >= basic[H] + basic.H50023003 + 350_000n],
      ]);
    });

    test('bad input names the field', async () => {
      await assert.rejects(drgMetrics(d.db, '5002', 2022, dir), (e: unknown) => e instanceof InputError && e.field === 'region');
      await assert.rejects(drgMetrics(d.db, '500230', 1900, dir), (e: unknown) => e instanceof InputError && e.field === 'year');
    });

    // the shipped pack (policies/drg/payment/500230/2022.yaml): weights from the year's own stays,
    // all BU25 → weight 1.0000, CMI 1.0000, 21 500 / 3 = 7 166.67 per weight, 35 / 3 = 11.67 days;
    // the run stored above (the test pack's base rate) paid 3 500 more than by item
    test('yibao drg metrics (a separate process: server only, last)', { skip: backend !== 'server' }, () => {
      const bin = join(import.meta.dirname, '..', 'bin', 'yibao.js');
      const env = { ...process.env, DATABASE_URL: d.where };
      const run = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8', timeout: 120_000 });
      const t = run(['drg', 'metrics', '--region', '500230', '--year', '2022']);
      assert.equal(t.status, 0, t.stderr);
      assert.match(t.stdout, /丰都县人民医院（H50023002）\t3\t1\.0000\t7166\.67\t11\.67\t25000\.00\t21500\.00\t结余 3500\.00/);
      assert.match(t.stdout, /二级及以上公立医院按DRG\/DIP付费：1 \/ 2（50\.00%）/);
      assert.match(t.stdout, /医保发〔2022〕20号 五/);
      const j = run(['drg', 'metrics', '--region', '500230', '--year', '2022', '--json']);
      assert.equal(j.status, 0, j.stderr);
      assert.equal(JSON.parse(j.stdout).perHospital[0].cmi, '1.0000');
      const bad = run(['drg', 'metrics', '--region', '5002', '--year', '2022']);
      assert.equal(bad.status, 2);
      assert.match(bad.stderr, /--region/);
    });
  });

for (const backend of BACKENDS)
  describe(`GET /api/v1/drg/metrics and hospital ownership on ${backend}`, () => {
    let d: TestDatabase;
    let app: import('fastify').FastifyInstance;
    let base: string;
    const tok: Record<string, string> = {};
    before(async () => {
      d = await freshDatabase(backend);
      const { AuthService } = await import('../src/access/auth.ts');
      const { buildServer } = await import('../src/http/server.ts');
      const { listen } = await import('./support/http.ts');
      const auth = new AuthService(d.db);
      for (const u of [
        { username: 'policy', role: 'policy_officer' as const },
        { username: 'admin', role: 'admin' as const },
        { username: 'clerk', role: 'clerk' as const, villages: ['500230100'] },
      ]) {
        const id = await auth.createUser(SYSTEM, { ...u, displayName: u.username, password: `${u.username}-test-password` });
        tok[u.username] = await auth.issueApiToken(SYSTEM, id, 'drg');
      }
      app = await buildServer(quotes, { database: d });
      base = await listen(app);
    });
    after(async () => {
      await app.close();
      await d.drop();
    });
    test('an admin registers hospitals with their ownership; the metrics read it (the shipped 500230 pack)', async () => {
      const { request } = await import('./support/http.ts');
      for (const h of [
        { code: 'H50023002', name: '丰都县人民医院', level: 'secondary', region: '500230', ownership: 'public' },
        { code: 'H50023009', name: '丰都县某医院', level: 'secondary', region: '500230', ownership: 'public' },
      ])
        assert.equal((await request(base, 'POST', '/api/v1/hospitals', tok.admin, h)).status, 201);
      const bad = await request(base, 'POST', '/api/v1/hospitals', tok.admin, { code: 'H1', name: 'x', level: 'secondary', region: '500230', ownership: 'state' });
      assert.equal(bad.status, 400);
      // one registered without it, recorded later (audited); a bad value or an unknown hospital refused
      assert.equal((await request(base, 'POST', '/api/v1/hospitals', tok.admin, { code: 'H50023008', name: '丰都县某民营医院', level: 'tertiary', region: '500230' })).status, 201);
      const put = await request(base, 'PUT', '/api/v1/hospitals/H50023008/ownership', tok.admin, { ownership: 'private' });
      assert.equal(put.status, 200, put.text);
      assert.equal((await request(base, 'PUT', '/api/v1/hospitals/H50023008/ownership', tok.admin, { ownership: 'state' })).status, 400);
      assert.equal((await request(base, 'PUT', '/api/v1/hospitals/NOPE/ownership', tok.admin, { ownership: 'public' })).status, 404);
      assert.equal((await request(base, 'PUT', '/api/v1/hospitals/H50023008/ownership', tok.policy, { ownership: 'public' })).status, 403);
      const logged = await d.db.selectFrom('audit_log').selectAll().where('entity', '=', 'hospital').where('entity_id', '=', 'H50023008').where('action', '=', 'update').execute();
      assert.equal(logged.length, 1);
      const r = await request(base, 'GET', '/api/v1/drg/metrics?region=500230&year=2022', tok.policy);
      assert.equal(r.status, 200);
      assert.equal(r.json.pack, 'drg-payment/500230/2022');
      assert.deepEqual([r.json.hospitals.publicSecondaryPlus, r.json.hospitals.paidByGroup, r.json.hospitals.groupShare.value], [2, 1, '0.5000']);
      assert.equal(r.json.fund.share.value, null); // no inpatient stay settled yet
      assert.ok(r.json.targets.every((t: { cite: string; quote: string }) => t.cite && t.quote));
      const q = await request(base, 'GET', '/api/v1/drg/metrics?region=5002&year=2022', tok.policy);
      assert.equal(q.status, 400);
      assert.match(JSON.stringify(q.json), /region/);
      assert.equal((await request(base, 'GET', '/api/v1/drg/metrics?region=500230&year=2022', tok.clerk)).status, 403);
    });
  });
