/**
 * Fraud screening FR01–FR10 (issue #18 item 4): for each rule a case that must hit and a near
 * miss that must not, on both databases. Encounters are settled through the settlement service;
 * the platform's visits (discharge time, diagnosis, fee lines) are written straight into the
 * platform's tables, as a hospital's 2201/2204/2205 would have left them (owner pools).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS, freshDatabase, type TestDatabase } from './support/databases.ts';
import { ADMIN, HA, HB, HC, VILLAGE_A, quotes, town, type Town } from './support/risk-town.ts';
import { runScreening, type ScreenRun } from '../src/risk/screening.ts';
import { CaseService } from '../src/risk/cases.ts';
import { riskDb } from '../src/risk/tables.ts';

const HD = 'H500230004';
const HE = 'H500230005';
const VILLAGE_C = '500230100003';

interface Line { code: string; at: string; cnt: number; pric: number }

for (const backend of BACKENDS)
  describe(`fraud screening on ${backend}`, () => {
    let d: TestDatabase;
    let t: Town;
    let run: ScreenRun;
    let visitSeq = 0;
    const ids: Record<string, string[]> = {};

    /** a stay (or visit) with the platform's record of it: discharge, diagnosis and fee lines */
    async function stay(personId: string, o: { hospital: string; adm: string; dscg?: string; diag?: string; lines?: Line[]; type?: 'inpatient' | 'general_outpatient'; inScope?: number }) {
      visitSeq += 1;
      const mdtrt = `M${backend}${visitSeq}`;
      const type = o.type ?? 'inpatient';
      await d.db
        .insertInto('fsi_mdtrt')
        .values({ mdtrt_id: mdtrt, hospital_code: o.hospital, person_id: personId, kind: type === 'inpatient' ? 'inpatient' : 'outpatient', ipt_otp_no: `N${visitSeq}`, insutype: '390', begntime: `${o.adm} 08:00:00`, endtime: o.dscg ? `${o.dscg} 10:00:00` : null, dise_codg: o.diag ?? null, msgid: `msg${visitSeq}` } as never)
        .execute();
      let sn = 0;
      for (const l of o.lines ?? []) {
        sn += 1;
        await d.db
          .insertInto('fsi_fee')
          .values({ mdtrt_id: mdtrt, feedetl_sn: String(sn).padStart(4, '0'), chrg_bchno: null, amount_fen: Math.round(l.cnt * l.pric * 100), line: JSON.stringify({ med_list_codg: l.code, fee_ocur_time: l.at, cnt: String(l.cnt), pric: String(l.pric) }) } as never)
          .execute();
      }
      const ins = o.inScope ?? 1000;
      const enc = await t.settlements.createEncounter(
        ADMIN,
        { personId, hospitalCode: o.hospital, coverageYear: 2022, type, date: o.adm, costs: { total: ins, fullOwnPay: 0, overLimitSelfPay: 0, preSelfPay: 0, inScope: ins }, ...(o.diag ? { disease: o.diag } : {}) } as never,
        { id: mdtrt, part: '' },
      );
      const s = await t.settlements.settle(ADMIN, enc.id);
      return { mdtrt, settlementId: String(s.settlementId) };
    }
    const person = async (name: string, opts: Parameters<Town['person']>[0] = {}) => {
      const p = await t.person(opts);
      (ids[name] ??= []).push(p.id);
      return p.id;
    };
    const casesOf = (rule: string) => riskDb(d.db).selectFrom('risk_case').selectAll().where('rule_code', '=', rule).orderBy('id').execute();

    before(async () => {
      d = await freshDatabase(backend, { asOwner: true });
      t = await town(d);
      await d.db.insertInto('admin_area').values({ code: VILLAGE_C, name: '三合村', level: 'village', parent_code: '500230100', region: '500230' }).execute();
      await d.db
        .insertInto('hospital')
        .values([
          { code: HD, name: '丰都县第二人民医院', level: 'tertiary', region: '500230' },
          { code: HE, name: '丰都县骨科医院', level: 'tertiary', region: '500230' },
        ])
        .execute();

      // FR01: overlapping stays at two hospitals (3 nights), and back-to-back ones (no night in both)
      const p1 = await person('FR01hit');
      await stay(p1, { hospital: HA, adm: '2022-03-01', dscg: '2022-03-10' });
      await stay(p1, { hospital: HB, adm: '2022-03-05', dscg: '2022-03-08' });
      const p2 = await person('FR01miss');
      await stay(p2, { hospital: HA, adm: '2022-04-01', dscg: '2022-04-05' });
      await stay(p2, { hospital: HB, adm: '2022-04-05', dscg: '2022-04-08' });

      // FR02: settled a month after the registered death; admitted on the day of death
      const p3 = await person('FR02hit', { dateOfDeath: '2022-02-01' });
      await stay(p3, { hospital: HA, adm: '2022-03-01', dscg: '2022-03-02' });
      const p4 = await person('FR02miss', { dateOfDeath: '2022-06-01' });
      await stay(p4, { hospital: HA, adm: '2022-06-01', dscg: '2022-06-01' });

      // FR03: the benefit period moved to start 1 April after the fund paid for March (forced through); admitted on 1 April
      const p5 = await person('FR03hit');
      await stay(p5, { hospital: HC, adm: '2022-03-15', dscg: '2022-03-16' });
      const p6 = await person('FR03miss');
      await stay(p6, { hospital: HC, adm: '2022-04-01', dscg: '2022-04-02' });
      await d.db.updateTable('enrollment').set({ benefit_start: '2022-04-01' }).where('person_id', 'in', [p5, p6]).execute();

      // FR04: the same line twice (item, time, quantity, price); the same item at another time
      const p7 = await person('FR04hit');
      await stay(p7, { hospital: HA, adm: '2022-07-01', dscg: '2022-07-03', lines: [{ code: 'X01AA', at: '2022-07-01 09:00:00', cnt: 2, pric: 15.5 }, { code: 'X01AA', at: '2022-07-01 09:00:00', cnt: 2, pric: 15.5 }, { code: 'X02BB', at: '2022-07-01 09:00:00', cnt: 1, pric: 8 }] });
      const p8 = await person('FR04miss');
      await stay(p8, { hospital: HA, adm: '2022-07-05', dscg: '2022-07-07', lines: [{ code: 'X01AA', at: '2022-07-05 09:00:00', cnt: 2, pric: 15.5 }, { code: 'X01AA', at: '2022-07-05 21:00:00', cnt: 2, pric: 15.5 }] });

      // FR05: 31 of an item in a day (limit 30, example); exactly 30
      const p9 = await person('FR05hit');
      await stay(p9, { hospital: HA, adm: '2022-08-01', dscg: '2022-08-03', lines: [{ code: 'Z10CC', at: '2022-08-01 08:00:00', cnt: 20, pric: 1 }, { code: 'Z10CC', at: '2022-08-01 20:00:00', cnt: 11, pric: 1 }] });
      const p10 = await person('FR05miss');
      await stay(p10, { hospital: HA, adm: '2022-08-05', dscg: '2022-08-07', lines: [{ code: 'Z10CC', at: '2022-08-05 08:00:00', cnt: 20, pric: 1 }, { code: 'Z10CC', at: '2022-08-05 20:00:00', cnt: 10, pric: 1 }, { code: 'Z10CC', at: '2022-08-06 08:00:00', cnt: 30, pric: 1 }] });

      // FR06: four dialysis sessions in one week at two hospitals; three a week over two weeks
      const dialysis = (at: string): Line => ({ code: '003110000060000', at, cnt: 1, pric: 400 });
      const p11 = await person('FR06hit');
      await stay(p11, { hospital: HA, type: 'general_outpatient', adm: '2022-05-02', lines: [dialysis('2022-05-02 08:00:00'), dialysis('2022-05-04 08:00:00')] });
      await stay(p11, { hospital: HC, type: 'general_outpatient', adm: '2022-05-05', lines: [dialysis('2022-05-05 08:00:00'), dialysis('2022-05-07 08:00:00')] });
      const p12 = await person('FR06miss');
      await stay(p12, { hospital: HA, type: 'general_outpatient', adm: '2022-05-02', lines: [dialysis('2022-05-02 08:00:00'), dialysis('2022-05-04 08:00:00'), dialysis('2022-05-06 08:00:00'), dialysis('2022-05-09 08:00:00')] });

      // FR07: seven appendicitis stays at secondary hospitals: five with 1000 元 of consumables, one with 5000 元 (hit), one with 2900 元 (below 3 × the median)
      for (let i = 0; i < 5; i++) {
        const p = await person('FR07peer');
        await stay(p, { hospital: i % 2 ? HA : HC, adm: `2022-09-0${i + 1}`, dscg: `2022-09-0${i + 3}`, diag: 'K35.800', lines: [{ code: 'C0301', at: `2022-09-0${i + 1} 10:00:00`, cnt: 1, pric: 1000 }] });
      }
      const p13 = await person('FR07hit');
      await stay(p13, { hospital: HA, adm: '2022-09-10', dscg: '2022-09-14', diag: 'K35.800', lines: [{ code: 'C0301', at: '2022-09-10 10:00:00', cnt: 2, pric: 1000 }, { code: 'C0402', at: '2022-09-10 10:00:00', cnt: 1, pric: 3000 }] });
      const p14 = await person('FR07miss');
      await stay(p14, { hospital: HC, adm: '2022-09-15', dscg: '2022-09-18', diag: 'K35.800', lines: [{ code: 'C0301', at: '2022-09-15 10:00:00', cnt: 1, pric: 2900 }] });

      // FR08: re-admitted 10 days after discharge with the same diagnosis; 16 days after
      const p15 = await person('FR08hit');
      await stay(p15, { hospital: HA, adm: '2022-06-01', dscg: '2022-06-10', diag: 'J18.900' });
      await stay(p15, { hospital: HC, adm: '2022-06-20', dscg: '2022-06-25', diag: 'J18.900' });
      const p16 = await person('FR08miss');
      await stay(p16, { hospital: HA, adm: '2022-06-01', dscg: '2022-06-10', diag: 'J18.900' });
      await stay(p16, { hospital: HA, adm: '2022-06-26', dscg: '2022-06-28', diag: 'J18.900' });

      // FR09: HD admits 6 a month January–April, then 10 in May (> 1.5 × 6: hit), 9 in June (< 1.5 × 6.8: none)
      const months: [string, number][] = [['01', 6], ['02', 6], ['03', 6], ['04', 6], ['05', 10], ['06', 9]];
      for (const [m, n] of months)
        for (let i = 0; i < n; i++) {
          const p = await person('FR09');
          await stay(p, { hospital: HD, adm: `2022-${m}-${String(i + 1).padStart(2, '0')}`, dscg: `2022-${m}-${String(i + 2).padStart(2, '0')}` });
        }

      // FR10: of HE's 20 admissions 8 are from 三合村, whose residents are admitted nowhere else (hit); 兴义村 fills HD (all of it) but is most admissions everywhere (none)
      for (let i = 0; i < 20; i++) {
        const p = await person('FR10', { village: i < 8 ? VILLAGE_C : VILLAGE_A });
        await stay(p, { hospital: HE, adm: `2022-10-${String(i + 1).padStart(2, '0')}`, dscg: `2022-10-${String(i + 2).padStart(2, '0')}` });
      }

      run = await runScreening(d.db, quotes.lib, { year: 2022, region: '500230' });
    });
    after(async () => d?.drop());

    test('the run names each rule of the pack and what it found', () => {
      assert.deepEqual(run.rules.map((r) => r.code), ['FR01', 'FR02', 'FR03', 'FR04', 'FR05', 'FR06', 'FR07', 'FR08', 'FR09', 'FR10']);
      for (const r of run.rules) assert.equal(r.found, 1, `${r.code} finds exactly its one planted case (found ${r.found})`);
    });

    test('FR01 overlapping stays at two hospitals', async () => {
      const c = await casesOf('FR01');
      assert.equal(c.length, 1);
      assert.equal(c[0]!.person_id, ids.FR01hit![0]);
      assert.equal((c[0]!.detail as { overlapDays: number }).overlapDays, 3);
      assert.equal(c[0]!.settlement_ids.length, 2);
    });

    test('FR02 settled after the date of death', async () => {
      const c = await casesOf('FR02');
      assert.deepEqual(c.map((x) => x.person_id), [ids.FR02hit![0]]);
      assert.equal((c[0]!.detail as { daysAfter: number }).daysAfter, 28);
      assert.ok(Number(c[0]!.amount_fen) > 0, 'the amount at issue is what the fund paid');
    });

    test('FR03 outside the benefit period', async () => {
      const c = await casesOf('FR03');
      assert.deepEqual(c.map((x) => x.person_id), [ids.FR03hit![0]]);
      assert.equal((c[0]!.detail as { benefitStart: string }).benefitStart, '2022-04-01');
    });

    test('FR04 identical fee lines repeated', async () => {
      const c = await casesOf('FR04');
      assert.deepEqual(c.map((x) => x.person_id), [ids.FR04hit![0]]);
      assert.equal((c[0]!.fee_lines as unknown[]).length, 2);
      assert.equal(Number(c[0]!.amount_fen), 3100, 'the repeated line, 2 × 15.50 元');
    });

    test('FR05 quantity beyond the daily limit', async () => {
      const c = await casesOf('FR05');
      assert.deepEqual(c.map((x) => x.person_id), [ids.FR05hit![0]]);
      assert.equal(Number((c[0]!.detail as { quantity: number | string }).quantity), 31);
      assert.equal(Number(c[0]!.amount_fen), 100, 'the one over the limit, 1 元');
    });

    test('FR06 dialysis beyond the plausible frequency', async () => {
      const c = await casesOf('FR06');
      assert.deepEqual(c.map((x) => x.person_id), [ids.FR06hit![0]]);
      assert.equal((c[0]!.fee_lines as unknown[]).length, 4);
      assert.equal(Number(c[0]!.amount_fen), 40000);
    });

    test('FR07 high-value consumables far above the peers', async () => {
      const c = await casesOf('FR07');
      assert.deepEqual(c.map((x) => x.person_id), [ids.FR07hit![0]]);
      const det = c[0]!.detail as { consumablesFen: number; peerMedianFen: number; peers: number };
      assert.equal(Number(det.consumablesFen), 500000);
      assert.equal(Number(det.peerMedianFen), 100000);
      assert.equal(Number(det.peers), 7);
    });

    test('FR08 re-admission with the same diagnosis (分解住院)', async () => {
      const c = await casesOf('FR08');
      assert.deepEqual(c.map((x) => x.person_id), [ids.FR08hit![0]]);
      assert.equal((c[0]!.detail as { daysBetween: number }).daysBetween, 10);
    });

    test('FR09 admissions of a hospital jump against its own history', async () => {
      const c = await casesOf('FR09');
      assert.deepEqual(c.map((x) => x.subject), [`H${HD}/2022-05-01`]);
      assert.equal(c[0]!.settlement_ids.length, 10);
    });

    test('FR10 one village clusters at a hospital', async () => {
      const c = await casesOf('FR10');
      assert.deepEqual(c.map((x) => [x.hospital_code, x.village_code]), [[HE, VILLAGE_C]]);
    });

    test('a case opens with its rule, explanation, citation and fee lines; screening again adds nothing', async () => {
      const cases = new CaseService(d.db, quotes.lib, '500230');
      const [c] = await casesOf('FR04');
      const v = (await cases.get(ADMIN, String(c!.id))) as unknown as { ruleName: string; explain: string; citation: { cite: string; quote: string; example: string | null }; feeLines: { feedetlSn: string; named: boolean }[] };
      assert.equal(v.ruleName, '重复收费');
      assert.match(v.explain, /乱计费/);
      assert.equal(v.citation.cite, '兴义府发〔2022〕3号 六');
      assert.match(v.citation.example ?? '', /示例/);
      assert.ok(v.feeLines.length >= 2);
      assert.equal(v.feeLines.filter((f) => f.named).length, 2, 'the two repeated lines are marked');
      const again = await runScreening(d.db, quotes.lib, { year: 2022, region: '500230' });
      assert.ok(again.rules.every((r) => r.found === 0));
    });
  });
