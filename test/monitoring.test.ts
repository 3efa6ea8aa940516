/**
 * Campaign monitoring on PGlite and on the PostgreSQL server: progress figures equal direct SQL
 * counts over enrollment and person for many dates; a report as of a past date ignores later
 * payments; the half-monthly report's PDF text holds the village names and the XLSX's numbers;
 * targets and e-vouchers imported with bad rows back by line; the seven groups and their missing
 * persons with what blocks them; the ledger, 断保 and 漏保; a clerk reads only their township,
 * lists are masked for clerks, and every list and download is audited.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { buildServer } from '../src/http/server.ts';
import { QuoteService } from '../src/quotes/quote-service.ts';
import { recordPayment } from '../src/campaign/payments.ts';
import { importEmployeeList } from '../src/campaign/duplicates.ts';
import { makeIdNumber } from '../src/registers/id-number.ts';
import { aYearBefore, progress } from '../src/monitoring/progress.ts';
import { priorityGroupsOf } from '../src/policy/campaign-groups.ts';
import { halfMonthlyReport } from '../src/monitoring/half-monthly.ts';
import { reportPdf, reportTable, reportXlsx } from '../src/monitoring/report-files.ts';
import { importTargets, villageTargets } from '../src/monitoring/targets.ts';
import { progressText } from '../src/cli/monitoring.ts';
import { NEEDY_STATUSES, SUBSIDY_LEVELS } from '../src/policy/vocabulary.ts';
import { importEvouchers } from '../src/monitoring/evouchers.ts';
import { importPaymentFile } from '../src/monitoring/payment-file.ts';
import { unbalancedEntries } from '../src/ledger/ledger.ts';
import { halfMonthEnds, previousHalfMonthEnd, rateOf, ranks } from '../src/monitoring/figures.ts';
import { parseDay, formatDay } from '../src/dates.ts';
import { Rng } from '../src/sim/random.ts';
import { BACKENDS, freshDatabase, type TestDatabase } from './support/databases.ts';
import { listen, logIn, request } from './support/http.ts';
import { assessYear } from '../src/campaign/assessment.ts';
import { AuthService } from '../src/access/auth.ts';
import { SYSTEM } from '../src/access/roles.ts';

const quotes = QuoteService.load();
const T1 = '500230100';
const T2 = '500230101';
const VILLAGES = [
  { code: `${T1}001`, name: '长江村', township: T1 },
  { code: `${T1}002`, name: '杨柳村', township: T1 },
  { code: `${T2}001`, name: '花园村', township: T2 },
];
const STATUSES = ['dibao', 'destitute', 'dibao_edge', 'unstable_exited', 'stable_exited', 'sudden_hardship'];

test('rates are exact and rounded half up; ranks share places; half-months', () => {
  assert.equal(rateOf(1, 3)?.text, '33.33%');
  assert.equal(rateOf(2, 3)?.text, '66.67%');
  assert.equal(rateOf(1, 8)?.text, '12.50%');
  assert.equal(rateOf(5, 0), null);
  assert.equal(rateOf(7, 7)?.percent, 100);
  assert.deepEqual(ranks([rateOf(1, 2), rateOf(2, 4), rateOf(3, 4), null], (r) => r), [2, 2, 1, null]);
  assert.equal(formatDay(previousHalfMonthEnd(parseDay('2022-01-15'))), '2021-12-31');
  assert.equal(formatDay(previousHalfMonthEnd(parseDay('2022-01-20'))), '2022-01-15');
  assert.equal(formatDay(previousHalfMonthEnd(parseDay('2022-03-01'))), '2022-02-28');
  assert.deepEqual(halfMonthEnds('2021-12-01', '2022-01-20'), ['2021-12-15', '2021-12-31', '2022-01-15', '2022-01-20']);
});

for (const backend of BACKENDS)
  describe(`campaign monitoring on ${backend}`, () => {
    let d: TestDatabase;
    let app: FastifyInstance;
    let base: string;
    const tok: Record<string, string> = {};
    const dir = mkdtempSync(join(tmpdir(), 'yibao-monitoring-test-'));
    const ids: { id: string; idNumber: string; village: string; statuses: string[]; birth: string }[] = [];

    before(async () => {
      d = await freshDatabase(backend);
      const db = d.db;
      await db.insertInto('admin_area').values([
        { code: '500230', name: '丰都县', level: 'county', parent_code: null, region: '500230' },
        { code: T1, name: '兴义镇', level: 'township', parent_code: '500230', region: '500230' },
        { code: T2, name: '三合街道', level: 'township', parent_code: '500230', region: '500230' },
        ...VILLAGES.map((v) => ({ code: v.code, name: v.name, level: 'village' as const, parent_code: v.township, region: '500230' })),
      ]).execute();
      const rng = new Rng(14);
      let seq = 0;
      for (const v of VILLAGES)
        for (let i = 0; i < 24; i++) {
          const born = i === 23 ? '2022-01-20' : `${1950 + rng.int(0, 60)}-0${1 + rng.int(0, 8)}-1${rng.int(0, 9)}`;
          const gender = seq % 2 ? 'male' : 'female';
          const idNumber = makeIdNumber('500230', born, (seq++ * 2 + (gender === 'male' ? 1 : 0)) % 1000);
          const h = await db.insertInto('household').values({ village_code: v.code, house_no: String(i).padStart(3, '0'), address: null }).returning('id').executeTakeFirstOrThrow();
          const p = await db
            .insertInto('person')
            .values({ id_number: idNumber, name: `${'张李王'[i % 3]}${'明华芳'[seq % 3]}${i}`, gender, birth_date: born, household_id: h.id, village_code: v.code, kind: i === 23 ? 'newborn' : 'adult', graduation_year: null })
            .returning('id')
            .executeTakeFirstOrThrow();
          // (the 11th of each village holds two statuses, the second of them one of the groups: assistance goes to the group)
          const statuses = i < 12 ? [STATUSES[i % STATUSES.length], ...(i === 10 ? ['sudden_hardship'] : [])] : [];
          for (const s of statuses)
            await db.insertInto('needy_status').values({ person_id: p.id, status: s, source: s.includes('exited') || s === 'sudden_hardship' ? 'rural_revitalization' : 'civil_affairs', valid_from: '2021-01-01', valid_to: null, reference: '民发〔2021〕1号' }).execute();
          ids.push({ id: String(p.id), idNumber, village: v.code, statuses, birth: born });
        }
      // two on the employee-insurance list for 2022, one of them in a group
      const emp = join(dir, 'employee.csv');
      writeFileSync(emp, `身份证号,年度\n${ids[2].idNumber},2022\n${ids[20].idNumber},2022\n`);
      await importEmployeeList(db, SYSTEM, emp, { fileName: 'employee.csv', format: 'csv' });
      for (const year of [2022, 2023]) {
        const s = await assessYear(db, quotes, { coverageYear: year, actor: SYSTEM });
        assert.equal(s.bad, 0, JSON.stringify(s.problems));
      }
      // payments on their dates: most in the window, some late, some never
      const pay = async (year: number, who: (typeof ids)[number], paidOn: string, ref: string) => {
        const e = await db.selectFrom('enrollment').select(['id', 'state', 'quote']).where('person_id', '=', who.id).where('coverage_year', '=', year).executeTakeFirstOrThrow();
        if (e.state !== 'assessed') return;
        const q = quotes.contribution({ ...(e.quote as { request: Record<string, unknown> }).request, paidOn, trace: false });
        if (!q.accepted) return;
        await recordPayment(db, quotes, SYSTEM, { reference: ref, channel: q.individualDue === 0 ? 'medical_assistance' : 'online', enrollmentId: e.id, amountYuan: (q.individualDue === 0 ? q.contributionAssistance : q.individualDue)!, paidOn });
      };
      for (let i = 0; i < ids.length; i++) {
        const r = rng.int(0, 99);
        if (r < 70) await pay(2022, ids[i], formatDay(parseDay('2021-12-01') + rng.int(0, 88)), `M22-${i}`);
        else if (r < 85) await pay(2022, ids[i], formatDay(parseDay('2022-03-01') + rng.int(0, 150)), `M22-${i}`);
        // 2023: about half pay (断保 for the others who paid 2022)
        if (rng.int(0, 1) === 0) await pay(2023, ids[i], formatDay(parseDay('2022-09-01') + rng.int(0, 100)), `M23-${i}`);
      }
      const auth = new AuthService(db);
      const users = [
        { username: 'admin', role: 'admin' },
        { username: 'officer', role: 'policy_officer' },
        { username: 'clerk1', role: 'clerk', villages: [T1] },
        { username: 'clerk3', role: 'clerk', villages: [VILLAGES[2].code] },
        { username: 'auditor', role: 'auditor' },
      ] as const;
      for (const u of users) await auth.createUser(SYSTEM, { username: u.username, displayName: u.username, password: `${u.username}-password`, role: u.role, villages: 'villages' in u ? [...u.villages] : undefined });
      app = await buildServer(quotes, { database: d });
      base = await listen(app);
      for (const u of users) tok[u.username] = await logIn(base, u.username, `${u.username}-password`);
    });
    after(async () => {
      await app?.close();
      await d?.drop();
    });
    const get = (path: string, token?: string) => request(base, "GET", path, token);

    /** The figures by direct SQL over enrollment, person and payment (not the rollup). */
    async function direct(year: number, prefix: string, asOf: string) {
      const { rows } = await sql<{ village_code: string; enrollments: string; paid: string; refused: string; blocked: string; paid_fen: string | null; assistance_fen: string | null; subsidy_fen: string | null }>`
        SELECT p.village_code, count(*) AS enrollments,
          count(*) FILTER (WHERE e.state = 'paid' AND COALESCE(e.paid_on, (SELECT GREATEST(g.paid_on, p.birth_date) FROM enrollment g WHERE g.person_id = e.guardian_person_id AND g.coverage_year = e.coverage_year)) <= ${asOf}::date) AS paid,
          count(*) FILTER (WHERE e.state = 'refused') AS refused, count(*) FILTER (WHERE e.state = 'blocked') AS blocked,
          (SELECT sum(pm.amount_fen) FROM payment pm JOIN enrollment e2 ON e2.id = pm.enrollment_id JOIN person p2 ON p2.id = e2.person_id
            WHERE p2.village_code = p.village_code AND e2.coverage_year = ${year} AND pm.paid_on <= ${asOf}::date AND pm.channel <> 'medical_assistance') AS paid_fen,
          sum(e.assistance_fen) FILTER (WHERE e.state = 'paid' AND e.paid_on <= ${asOf}::date AND e.assistance_fen > 0) AS assistance_fen,
          sum(e.subsidy_fen) FILTER (WHERE e.state = 'paid' AND e.paid_on <= ${asOf}::date) AS subsidy_fen
        FROM enrollment e JOIN person p ON p.id = e.person_id
        WHERE e.coverage_year = ${year} AND p.village_code LIKE ${`${prefix}%`}
        GROUP BY p.village_code ORDER BY 1`.execute(d.db);
      return rows.map((r) => ({
        villageCode: r.village_code,
        enrollments: Number(r.enrollments),
        paid: Number(r.paid),
        refused: Number(r.refused),
        blocked: Number(r.blocked),
        contributionsYuan: Number(r.paid_fen ?? 0) / 100,
        subsidyYuan: Number(r.subsidy_fen ?? 0) / 100,
      }));
    }

    /**
     * Assistance, the fiscal subsidy by level (from each paid enrollment's quote) and last year's
     * enrolled (in all and as of the same day a year before) per village, and the assistance by
     * group — each paid enrollment with assistance under the first of the pack's groups whose
     * statuses it was quoted with, else under the first of its statuses in the vocabulary's order — by
     * direct SQL over enrollment and person (not the rollup).
     */
    async function directMoney(year: number, prefix: string, asOf: string) {
      const lastAsOf = aYearBefore(asOf);
      // (a pack without campaign.priorityGroups, as 2023's: the statuses alone)
      const pg = priorityGroupsOf(quotes.lib.packFor('500230', year)!)?.groups ?? [];
      const order = [...pg.map((g) => ({ group: g.id, statuses: g.statuses as string[] })), ...NEEDY_STATUSES.filter((st) => !pg.some((g) => g.id === st)).map((st) => ({ group: st, statuses: [st] }))];
      const gi = order.flatMap((g, i) => g.statuses.map(() => i));
      const gs = order.flatMap((g) => g.statuses);
      const x = sql`
        SELECT p.village_code, e.coverage_year, e.assistance_fen, e.quote,
          CASE WHEN e.state = 'paid' THEN COALESCE(e.paid_on, (SELECT GREATEST(g.paid_on, p.birth_date) FROM enrollment g WHERE g.person_id = e.guardian_person_id AND g.coverage_year = e.coverage_year)) END AS enrolled_on,
          ARRAY(SELECT jsonb_array_elements_text(CASE WHEN jsonb_typeof(e.quote->'request'->'person'->'statuses') = 'array' THEN e.quote->'request'->'person'->'statuses' END)) AS st
        FROM enrollment e JOIN person p ON p.id = e.person_id
        WHERE e.coverage_year IN (${year}, ${year - 1}) AND p.village_code LIKE ${`${prefix}%`}`;
      const { rows } = await sql<{ village_code: string; assistance_fen: string | null; last_year: string; last_same: string; levels: Record<string, string> | null }>`
        WITH x AS (${x})
        SELECT x.village_code,
          sum(x.assistance_fen) FILTER (WHERE x.coverage_year = ${year} AND x.enrolled_on <= ${asOf}::date AND x.assistance_fen > 0) AS assistance_fen,
          count(*) FILTER (WHERE x.coverage_year = ${year - 1} AND x.enrolled_on IS NOT NULL) AS last_year,
          count(*) FILTER (WHERE x.coverage_year = ${year - 1} AND x.enrolled_on <= ${lastAsOf}::date) AS last_same,
          (SELECT jsonb_object_agg(level, fen) FROM (
             SELECT l->>'level' AS level, sum(round((l->>'amount')::numeric * 100)) AS fen
             FROM x y, jsonb_array_elements(CASE WHEN jsonb_typeof(y.quote->'answer'->'fiscalSubsidy'->'shares') = 'array' THEN y.quote->'answer'->'fiscalSubsidy'->'shares' END) l
             WHERE y.village_code = x.village_code AND y.coverage_year = ${year} AND y.enrolled_on <= ${asOf}::date GROUP BY 1) s) AS levels
        FROM x GROUP BY x.village_code ORDER BY 1`.execute(d.db);
      const { rows: groups } = await sql<{ i: number | null; n: string; fen: string }>`
        WITH x AS (${x}), a AS (
          SELECT x.assistance_fen, (SELECT min(k.i) FROM unnest(${gi}::int[], ${gs}::text[]) AS k(i, s) WHERE k.s = ANY(x.st)) AS i
          FROM x WHERE x.coverage_year = ${year} AND x.enrolled_on <= ${asOf}::date AND x.assistance_fen > 0)
        SELECT i, count(*) AS n, sum(assistance_fen) AS fen FROM a GROUP BY i ORDER BY i`.execute(d.db);
      return {
        villages: new Map(rows.map((r) => [r.village_code, {
          assistanceFen: Number(r.assistance_fen ?? 0),
          lastYear: Number(r.last_year),
          lastSame: Number(r.last_same),
          levelsFen: Object.fromEntries(SUBSIDY_LEVELS.map((l) => [l, Number(r.levels?.[l] ?? 0)])),
        }])),
        byGroup: groups.map((g) => ({ group: g.i === null ? 'other' : order[g.i].group, persons: Number(g.n), fen: Number(g.fen) })),
      };
    }

    test('progress equals direct SQL counts over the enrollments, for any date and area: counts, money, assistance by group, subsidy by level, last year', async () => {
      const dates: [number, string[]][] = [
        [2022, ['2021-11-30', '2021-12-01', '2021-12-15', '2022-01-01', '2022-01-31', '2022-02-28', '2022-03-15', '2022-06-30', '2022-12-31']],
        // 2023 against 2022: last year's figures are not all zero
        [2023, ['2022-08-31', '2022-09-15', '2022-10-31', '2022-12-15', '2022-12-31', '2023-02-28']],
      ];
      let lastYearSeen = 0;
      let moneySeen = 0;
      for (const [year, asOfs] of dates)
        for (const area of ['500230', T1, VILLAGES[2].code])
          for (const asOf of asOfs) {
            const p = await progress(d.db, quotes, SYSTEM, { area, year, asOf });
            const want = await direct(year, area, asOf);
            const got = p.villages.map((v) => ({ villageCode: v.villageCode, enrollments: v.enrollments, paid: v.paid, refused: v.refused, blocked: v.blocked, contributionsYuan: v.contributionsYuan, subsidyYuan: v.subsidyYuan }));
            assert.deepEqual(got, want, `${area} as of ${asOf}`);
            for (const v of p.villages) assert.equal(v.unpaid + v.paid + v.refused + v.blocked, v.enrollments);
            assert.equal(p.totals.paid, want.reduce((s, v) => s + v.paid, 0));
            // every sum adds up: villages to totals, assistance groups to the total, levels to the subsidy
            const fen = (y: number): number => Math.round(y * 100);
            assert.equal(fen(p.totals.assistanceYuan), p.assistanceByGroup.reduce((s, g) => s + fen(g.yuan), 0), 'assistance by group adds up');
            assert.equal(fen(p.totals.subsidyYuan), Object.values(p.totals.subsidyByLevelYuan).reduce((s, y) => s + fen(y), 0), 'subsidy levels add up');
            assert.equal(p.series[p.series.length - 1].paid, p.totals.paid);
            // assistance, subsidy by level, last year and assistance by group: the direct SQL's
            const m = await directMoney(year, area, asOf);
            for (const v of p.villages) {
              const w = m.villages.get(v.villageCode) ?? { assistanceFen: 0, lastYear: 0, lastSame: 0, levelsFen: Object.fromEntries(SUBSIDY_LEVELS.map((l) => [l, 0])) };
              const at = `${v.villageCode} ${year} as of ${asOf}`;
              assert.equal(fen(v.assistanceYuan), w.assistanceFen, `assistance ${at}`);
              assert.deepEqual(Object.fromEntries(SUBSIDY_LEVELS.map((l) => [l, fen(v.subsidyByLevelYuan[l])])), w.levelsFen, `subsidy by level ${at}`);
              assert.deepEqual([v.lastYear.enrolled, v.lastYear.enrolledSameDay, v.lastYear.asOf], [w.lastYear, w.lastSame, aYearBefore(asOf)], `last year ${at}`);
              assert.deepEqual(v.lastYear.rate, rateOf(v.paid, w.lastYear), `rate against last year ${at}`);
              assert.equal(v.lastYear.change, v.paid - w.lastSame, `change against last year ${at}`);
              lastYearSeen += w.lastSame;
              moneySeen += w.assistanceFen + w.levelsFen.central;
            }
            assert.equal(p.totals.lastYear.enrolled, [...m.villages.values()].reduce((s, w) => s + w.lastYear, 0));
            assert.deepEqual(p.totals.lastYear.rate, rateOf(p.totals.paid, p.totals.lastYear.enrolled));
            assert.deepEqual(p.assistanceByGroup.map((g) => ({ group: g.group, persons: g.persons, fen: fen(g.yuan) })), m.byGroup, `assistance by group ${area} ${year} as of ${asOf}`);
          }
      assert.ok(lastYearSeen > 0, 'some of last year enrolled by the same day');
      assert.ok(moneySeen > 0, 'some assistance and central subsidy compared');
      const p = await progress(d.db, quotes, SYSTEM, { area: '500230', year: 2022, asOf: '2022-12-31' });
      assert.ok(p.totals.paid > 40 && p.totals.blocked === 2, JSON.stringify(p.totals));
      assert.equal(p.totals.targetSource, 'derived');
      // derived target: born by 2021-12-31, less the employee-insurance list (the three newborns of 2022 are not in it)
      assert.equal(p.totals.target, ids.filter((x) => x.birth <= '2021-12-31').length - 2);
    });

    test('targets: a breakdown sheet imported, bad rows back by line, shown beside the derived target', async () => {
      const csv = join(dir, 'targets.csv');
      writeFileSync(csv, ['村(社区),应参保人数,电子凭证激活目标', '长江村,22,20', '杨柳村,abc,', '杨柳村,23,', '花园村,5,3', '无名村,5,5', '长江村,1,1', '合计,45,20'].join('\n'));
      const s = await importTargets(d.db, SYSTEM, { path: csv, coverageYear: 2022, town: T1 });
      assert.equal(s.inserted, 2);
      assert.deepEqual(s.problems.map((p) => [p.line, p.field]), [[3, '应参保人数'], [5, '村(社区)'], [6, '村(社区)'], [7, '村(社区)']]);
      assert.match(s.problems[0].reason, /not a whole number/);
      assert.match(s.problems[1].reason, /no village named 花园村 in 500230100/);
      assert.match(s.problems[3].reason, /repeats line 2/);
      const again = await importTargets(d.db, SYSTEM, { path: csv, coverageYear: 2022, town: T1 });
      assert.equal(again.unchanged, 2);
      const r = await get(`/api/v1/monitoring/targets?area=${T1}&year=2022`, tok.clerk1);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json.villages.map((v: { enrollment: number; source: string }) => [v.enrollment, v.source]), [[22, 'imported'], [23, 'imported']]);
      assert.ok(r.json.villages.every((v: { derived: { enrollment: number } }) => v.derived.enrollment > 0));
      const mismatch = join(dir, 'targets2.csv');
      writeFileSync(mismatch, ['村(社区),区划代码,应参保人数', `长江村,${VILLAGES[0].code},22`, '合计,,30'].join('\n'));
      const m = await importTargets(d.db, SYSTEM, { path: mismatch, coverageYear: 2022 });
      assert.deepEqual(m.problems.map((p) => p.line), [3]);
      assert.match(m.problems[0].reason, /add up to 22/);
      const p = await progress(d.db, quotes, SYSTEM, { area: T1, year: 2022, asOf: '2022-02-28' });
      assert.equal(p.totals.target, 45);
      assert.equal(p.villages[0].rate?.text, rateOf(p.villages[0].paid, 22)?.text);
    });

    test('targets: the breakdown sheet as XLSX (numbers as numbers, 年度 in the sheet), a bad row back by line, the derived target where no row came', async () => {
      const wb = new ExcelJS.Workbook();
      const ws = wb.addWorksheet('附件1');
      ws.addRow(['年度', '村(社区)', '区划代码', '应参保人数', '电子凭证激活目标']);
      ws.addRow([2023, '长江村', VILLAGES[0].code, 20, 18]);
      ws.addRow([2023, '杨柳村', VILLAGES[1].code, '二十', 15]);
      ws.addRow([2023, '花园村', VILLAGES[2].code, 21, null]);
      ws.addRow(['', '合计', '', 41, 18]);
      const xlsx = join(dir, 'targets-2023.xlsx');
      await wb.xlsx.writeFile(xlsx);
      const s = await importTargets(d.db, SYSTEM, { path: xlsx });
      assert.equal(s.inserted, 2, JSON.stringify(s.problems));
      assert.deepEqual(s.problems.map((p) => [p.line, p.field]), [[3, '应参保人数']]);
      assert.match(s.problems[0].reason, /"二十" is not a whole number/);
      const t = await get(`/api/v1/monitoring/targets?area=500230&year=2023`, tok.admin);
      assert.equal(t.status, 200, t.text);
      const by = new Map(t.json.villages.map((v: { villageCode: string }) => [v.villageCode, v]));
      const [a, b, c] = VILLAGES.map((v) => by.get(v.code) as { imported: { enrollment: number; evoucher: number | null } | null; derived: { enrollment: number; registered: number; employeeInsurance: number }; enrollment: number; source: string });
      assert.deepEqual([a.imported?.enrollment, a.imported?.evoucher, a.source, a.enrollment], [20, 18, 'imported', 20]);
      assert.deepEqual([c.imported?.enrollment, c.imported?.evoucher, c.source], [21, null, 'imported']);
      assert.equal(b.imported, null);
      assert.equal(b.source, 'derived');
      assert.equal(b.enrollment, b.derived.enrollment);
      assert.equal(b.derived.enrollment, b.derived.registered - b.derived.employeeInsurance);
      const p = await progress(d.db, quotes, SYSTEM, { area: '500230', year: 2023, asOf: '2022-12-31' });
      assert.equal(p.totals.targetSource, 'mixed');
      assert.equal(p.totals.target, 20 + b.derived.enrollment + 21);
    });

    test('yibao progress as text: each village’s imported and derived target beside the one used, last year, money by level, assistance by group, the series, as progress() answers them', async () => {
      const asOf = '2022-01-31';
      const p = await progress(d.db, quotes, SYSTEM, { area: T1, year: 2022, asOf });
      const t = await villageTargets(d.db, quotes, SYSTEM, { area: T1, year: 2022 });
      const text = progressText(p, t);
      /** the rows of the table under the heading that starts with `title` (columns are two spaces or more apart) */
      const table = (title: string): string[][] => {
        const lines = text.split('\n');
        const at = lines.findIndex((l) => l.startsWith(title));
        assert.ok(at >= 0, `a table "${title}" in:\n${text}`);
        const out: string[][] = [];
        for (let i = at + 3; i < lines.length && lines[i].trim(); i++) out.push(lines[i].trim().split(/\s{2,}/));
        return out;
      };
      const label = (v: { villageCode: string; villageName: string }) => `${v.villageName} ${v.villageCode}`;
      const rows = [...p.villages.map((v) => ({ ...v, label: label(v) })), { ...p.totals, label: '合计', villageCode: '' }];
      const targets = table('Targets');
      assert.equal(targets.length, rows.length);
      for (const [i, v] of rows.entries()) {
        const x = t.villages.find((y) => y.villageCode === v.villageCode);
        const imported = x ? String(x.imported?.enrollment ?? '—') : String(t.villages.reduce((s, y) => s + (y.imported?.enrollment ?? 0), 0));
        const derived = x ? String(x.derived.enrollment) : String(t.villages.reduce((s, y) => s + y.derived.enrollment, 0));
        assert.deepEqual(targets[i], [v.label, imported, derived, String(v.target), v.targetSource, String(v.paid), v.rate?.text ?? '—', String(v.unpaid), String(v.refused), String(v.blocked)], v.label);
      }
      assert.deepEqual(targets.map((r) => r[4]).slice(0, 2), ['imported', 'imported'], 'the breakdown sheet imported above is the one used');
      assert.ok(targets.slice(0, 2).every((r) => Number(r[2]) > 0), 'the derived target shown beside it');
      const last = table('Against last year');
      for (const [i, v] of rows.entries())
        assert.deepEqual(last[i], [v.label, String(v.paid), String(v.lastYear.enrolled), v.lastYear.rate?.text ?? '—', String(v.lastYear.enrolledSameDay), v.lastYear.change > 0 ? `+${v.lastYear.change}` : String(v.lastYear.change)]);
      const money = table('Money');
      for (const [i, v] of rows.entries())
        assert.deepEqual(money[i], [v.label, v.contributionsYuan.toFixed(2), v.assistanceYuan.toFixed(2), v.subsidyYuan.toFixed(2), ...SUBSIDY_LEVELS.map((l) => v.subsidyByLevelYuan[l].toFixed(2))]);
      const groups = table('Assistance by group');
      assert.ok(p.assistanceByGroup.length > 0, 'some assistance granted by the date');
      assert.deepEqual(groups, [...p.assistanceByGroup.map((g) => [`${g.label} (${g.group})`, g.statuses.join(', '), String(g.persons), g.yuan.toFixed(2)]), ['合计', String(p.assistanceByGroup.reduce((s, g) => s + g.persons, 0)), p.totals.assistanceYuan.toFixed(2)]]);
      const series = table('Half-month series');
      assert.deepEqual(series, p.series.map((x) => [x.asOf, String(x.paid), x.rate?.text ?? '—']));
      assert.deepEqual(series.map((r) => r[0]), ['2021-12-15', '2021-12-31', '2022-01-15', '2022-01-31']);
    });

    test('a report as of a past date ignores later payments; the PDF and the XLSX carry the same figures', async () => {
      const before = await halfMonthlyReport(d.db, quotes, SYSTEM, { town: T1, asOf: '2022-01-15' });
      assert.equal(before.previousAsOf, '2021-12-31');
      assert.equal(before.coverageYear, 2022);
      // pay everyone still unpaid, dated after the report
      const unpaid = await d.db.selectFrom('enrollment as e').innerJoin('person as p', 'p.id', 'e.person_id').select(['e.id', 'e.quote']).where('e.coverage_year', '=', 2022).where('e.state', '=', 'assessed').where('p.village_code', 'like', `${T1}%`).execute();
      assert.ok(unpaid.length > 0);
      let n = 0;
      for (const e of unpaid) {
        const q = quotes.contribution({ ...(e.quote as { request: Record<string, unknown> }).request, paidOn: '2022-05-10', trace: false });
        if (!q.accepted) continue;
        await recordPayment(d.db, quotes, SYSTEM, { reference: `LATER-${e.id}`, channel: q.individualDue === 0 ? 'medical_assistance' : 'offline', enrollmentId: e.id, amountYuan: (q.individualDue === 0 ? q.contributionAssistance : q.individualDue)!, paidOn: '2022-05-10' });
        n++;
      }
      assert.ok(n > 0);
      const after = await halfMonthlyReport(d.db, quotes, SYSTEM, { town: T1, asOf: '2022-01-15' });
      assert.deepEqual(after, before, 'the same report again, later payments ignored');
      const later = await halfMonthlyReport(d.db, quotes, SYSTEM, { town: T1, asOf: '2022-05-15' });
      assert.ok(later.totals.enrolled >= before.totals.enrolled + n);
      assert.equal(later.totals.change, later.totals.enrolled - later.totals.previous.enrolled);

      const xlsx = await reportXlsx(before);
      const pdf = await reportPdf(before);
      assert.equal(pdf.subarray(0, 5).toString(), '%PDF-');
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.load(xlsx as unknown as ArrayBuffer);
      const ws = wb.getWorksheet('通报')!;
      const table = reportTable(before);
      const cells: string[][] = [];
      ws.eachRow((row) => cells.push((row.values as unknown[]).slice(1, table[0].length + 1).map((v) => (v === null || v === undefined ? '' : String(v)))));
      const header = cells.findIndex((r) => r[0] === '序号');
      assert.deepEqual(cells.slice(header, header + table.length), table.map((r) => r.map(String)), 'the XLSX holds the report table');
      const pdfPath = join(dir, 'report.pdf');
      writeFileSync(pdfPath, pdf);
      const text = spawnSync('pdftotext', ['-layout', pdfPath, '-'], { encoding: 'utf8' });
      assert.equal(text.status, 0, `pdftotext: ${text.stderr}`);
      for (const v of before.villages) {
        assert.ok(text.stdout.includes(v.villageName), `the PDF names ${v.villageName}`);
        const line = text.stdout.split('\n').find((l) => l.includes(v.villageCode))!;
        assert.ok(line, `a line for ${v.villageCode}`);
        const numbers = line.replace(v.villageName, '').trim().split(/\s+/);
        const want = table[before.villages.indexOf(v) + 1].slice(2, 16).map(String);
        assert.deepEqual(numbers.slice(1, 1 + want.length), want, `the PDF's figures for ${v.villageName} are the XLSX's`);
      }
      assert.ok(text.stdout.includes('合计') && text.stdout.includes(before.totals.rate!.text));
      assert.ok(text.stdout.includes('各村（社区）参保率'), 'the chart is there');
      // a second PDF in the same process sets its text in the font parsed for the first: its own figures, not the first's
      const pdf2 = await reportPdf(later);
      writeFileSync(pdfPath, pdf2);
      const text2 = spawnSync('pdftotext', ['-layout', pdfPath, '-'], { encoding: 'utf8' });
      assert.equal(text2.status, 0, `pdftotext: ${text2.stderr}`);
      assert.ok(text2.stdout.includes(later.title) || text2.stdout.includes(`截至${later.asOf}`), 'the second PDF has its own title');
      for (const v of later.villages) assert.ok(text2.stdout.includes(v.villageName), `the second PDF names ${v.villageName}`);
      assert.ok(text2.stdout.includes(later.totals.rate!.text), 'the second PDF carries its own town rate');
    });

    test('the seven groups come from the pack; the missing persons say what blocks them', async () => {
      const g = await get(`/api/v1/monitoring/priority-groups?area=500230&year=2022&asOf=2022-02-28`, tok.admin);
      assert.equal(g.status, 200, g.text);
      assert.equal(g.json.groups.length, 7);
      assert.deepEqual(g.json.groups.map((x: { label: string }) => x.label), ['特困人员', '低保对象', '低保边缘户', '返贫致贫人口', '脱贫不稳定户', '边缘易致贫户', '突发严重困难户']);
      assert.equal(g.json.cite, '兴义府发〔2022〕3号 一');
      const inGroups = ids.filter((x) => x.statuses.some((s) => ['dibao', 'destitute', 'dibao_edge', 'unstable_exited', 'sudden_hardship'].includes(s)));
      assert.equal(g.json.totals.persons, inGroups.length, 'stable_exited is not one of the seven');
      const { rows } = await sql<{ n: string }>`
        SELECT count(*) AS n FROM enrollment e WHERE e.coverage_year = 2022 AND e.state = 'paid' AND e.paid_on BETWEEN '2021-12-01' AND '2022-02-28'
          AND e.person_id = ANY(${inGroups.map((x) => x.id)}::bigint[])`.execute(d.db);
      assert.equal(g.json.totals.enrolled, Number(rows[0].n));
      const m = await get(`/api/v1/monitoring/priority-groups/missing?area=500230&year=2022&asOf=2022-02-28`, tok.admin);
      assert.equal(m.status, 200);
      assert.equal(m.json.persons.length, g.json.totals.missing);
      const employee = m.json.persons.find((p: { idNumber: string }) => p.idNumber === ids[2].idNumber);
      assert.equal(employee.blocker.code, 'EMPLOYEE_INSURANCE');
      assert.ok(m.json.persons.some((p: { blocker: { code: string } }) => p.blocker.code === 'PAID_AFTER_WINDOW' || p.blocker.code === 'UNPAID'));
      for (const p of m.json.persons) assert.ok(p.statuses.length > 0 && p.statuses[0].sourceLabel && p.houseNo, JSON.stringify(p));
      assert.match(m.json.persons[0].idNumber, /^\d{17}[\dX]$/, 'an admin gets full ID numbers');
      const masked = await get(`/api/v1/monitoring/priority-groups/missing?area=${T1}&year=2022&asOf=2022-02-28`, tok.clerk1);
      assert.equal(masked.status, 200);
      assert.ok(masked.json.persons.length > 0 && masked.json.persons.every((p: { idNumber: string; name: string }) => /\*/.test(p.idNumber) && /\*/.test(p.name)));
      const x = await get(`/api/v1/monitoring/priority-groups/missing.xlsx?area=${T1}&year=2022&asOf=2022-02-28`, tok.clerk1);
      assert.equal(x.status, 200);
      assert.equal(x.buf.subarray(0, 2).toString(), 'PK');
    });

    test('the missing persons paged: the pages are the list in its order, a group alone, the total; scope, masking, bad input, audit', async () => {
      const q = `area=500230&year=2022&asOf=2022-02-28`;
      const all = (await get(`/api/v1/monitoring/priority-groups/missing?${q}`, tok.admin)).json.persons;
      assert.ok(all.length > 5, `enough missing persons to page: ${all.length}`);
      const pages: unknown[] = [];
      for (let page = 1; ; page++) {
        const r = await get(`/api/v1/monitoring/priority-groups/missing/paged?${q}&page=${page}&pageSize=4`, tok.admin);
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.total, all.length);
        assert.equal(r.json.page, page);
        assert.equal(r.json.pageSize, 4);
        assert.equal(r.json.group, null);
        if (!r.json.persons.length) break;
        assert.ok(r.json.persons.length <= 4);
        pages.push(...r.json.persons);
      }
      assert.deepEqual(pages, all, 'the pages together are the whole list, in its order');
      const g = (await get(`/api/v1/monitoring/priority-groups?${q}`, tok.admin)).json;
      const dibao = g.totals.groups.find((x: { group: string }) => x.group === 'dibao');
      const one = await get(`/api/v1/monitoring/priority-groups/missing/paged?${q}&group=dibao&pageSize=500`, tok.admin);
      assert.equal(one.json.total, dibao.missing);
      assert.deepEqual(one.json.persons, all.filter((p: { groups: { group: string }[] }) => p.groups.some((x) => x.group === 'dibao')));
      // a clerk: own township only, masked
      const own = await get(`/api/v1/monitoring/priority-groups/missing/paged?area=${T1}&year=2022&asOf=2022-02-28&pageSize=3`, tok.clerk1);
      assert.equal(own.status, 200);
      assert.ok(own.json.persons.length > 0 && own.json.persons.every((p: { idNumber: string; name: string; villageCode: string }) => /\*/.test(p.idNumber) && /\*/.test(p.name) && p.villageCode.startsWith(T1)));
      assert.equal(own.json.fullIdNumbers, false);
      assert.equal((await get(`/api/v1/monitoring/priority-groups/missing/paged?area=${T2}&year=2022&asOf=2022-02-28`, tok.clerk1)).status, 403);
      assert.equal((await get(`/api/v1/monitoring/priority-groups/missing/paged?area=${T1}&year=2022&asOf=2022-02-28`, tok.clerk3)).status, 403);
      assert.equal((await get(`/api/v1/monitoring/priority-groups/missing/paged?area=${T1}&year=2022&asOf=2022-02-28`)).status, 401);
      for (const [query, field] of [
        ['&group=nobody', 'group'],
        ['&pageSize=501', 'pageSize'],
        ['&page=0', 'page'],
      ]) {
        const r = await get(`/api/v1/monitoring/priority-groups/missing/paged?${q}${query}`, tok.admin);
        assert.equal(r.status, 400, query);
        assert.equal(r.json.field, field, query);
      }
      const audited = await d.db.selectFrom('audit_log').select(['detail']).where('action', '=', 'export').where('entity', '=', 'priority_group_missing').where('actor', '=', 'clerk1').execute();
      assert.ok(audited.some((a) => (a.detail as { page?: number }).page === 1), 'each page read is audited');
    });

    test('e-vouchers: activation lists imported, rates per village, the residents not activated', async () => {
      const csv = join(dir, 'ev.csv');
      const lines = ['身份证号,激活日期,激活渠道', ...ids.slice(0, 30).map((x, i) => `${x.idNumber},2022-0${1 + (i % 3)}-10,${['微信', '支付宝', '村居代激活'][i % 3]}`), '11010519491231002X,2022-01-01,微信', `${ids[0].idNumber},2022-01-11,微信`, `${ids[40].idNumber},2099-01-01,微信`, `${ids[41].idNumber},2022-01-01,飞鸽`];
      writeFileSync(csv, lines.join('\n'));
      const s = await importEvouchers(d.db, SYSTEM, { path: csv });
      assert.equal(s.inserted, 30);
      assert.deepEqual(s.problems.map((p) => p.line), [32, 33, 34, 35]);
      assert.match(s.problems[0].reason, /no person/);
      assert.match(s.problems[1].reason, /repeats line 2/);
      assert.match(s.problems[2].reason, /future/);
      assert.match(s.problems[3].reason, /not a channel/);
      const r = await get(`/api/v1/monitoring/evouchers?area=500230&year=2022&asOf=2022-02-15`, tok.admin);
      assert.equal(r.status, 200, r.text);
      const activatedByFeb15 = ids.slice(0, 30).filter((_, i) => i % 3 < 2).length;
      assert.equal(r.json.totals.activated, activatedByFeb15);
      const na = await get(`/api/v1/monitoring/evouchers/not-activated?area=500230&year=2022&asOf=2022-02-15`, tok.admin);
      assert.equal(na.json.persons.length, r.json.totals.notActivated);
      assert.ok(!na.json.persons.some((p: { idNumber: string }) => p.idNumber === ids[0].idNumber));
      // the same list a page at a time, with the total; a clerk's own township only, masked
      const pages: unknown[] = [];
      for (let page = 1; page < 100; page++) {
        const x = await get(`/api/v1/monitoring/evouchers/not-activated/paged?area=500230&year=2022&asOf=2022-02-15&page=${page}&pageSize=7`, tok.admin);
        assert.equal(x.status, 200, x.text);
        assert.equal(x.json.total, r.json.totals.notActivated);
        if (!x.json.persons.length) break;
        pages.push(...x.json.persons);
      }
      assert.deepEqual(pages, na.json.persons, 'the pages together are the whole list, in its order');
      const own = await get(`/api/v1/monitoring/evouchers/not-activated/paged?area=${T1}&year=2022&asOf=2022-02-15&pageSize=5`, tok.clerk1);
      assert.equal(own.status, 200);
      assert.ok(own.json.persons.length === 5 && own.json.persons.every((p: { idNumber: string; villageCode: string }) => /\*/.test(p.idNumber) && p.villageCode.startsWith(T1)));
      assert.equal((await get(`/api/v1/monitoring/evouchers/not-activated/paged?area=${T2}&year=2022&asOf=2022-02-15`, tok.clerk1)).status, 403);
      const big = await get(`/api/v1/monitoring/evouchers/not-activated/paged?area=${T1}&year=2022&asOf=2022-02-15&pageSize=501`, tok.clerk1);
      assert.equal(big.status, 400);
      assert.equal(big.json.field, 'pageSize');
    });

    test('the rural low-income ledger; 断保 and 漏保 with their reasons', async () => {
      const l = await get(`/api/v1/monitoring/low-income-ledger?area=500230&year=2022&asOf=2022-12-31`, tok.officer);
      assert.equal(l.status, 200, l.text);
      assert.equal(l.json.entries.length, ids.filter((x) => x.statuses.length).length, 'all six statuses used are rural low-income');
      assert.ok(l.json.entries.every((e: { enrolled: boolean; benefitStart: string | null }) => !e.enrolled || e.benefitStart));
      const lx = await get(`/api/v1/monitoring/low-income-ledger.xlsx?area=500230&year=2022&asOf=2022-12-31`, tok.officer);
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.load(lx.buf as unknown as ArrayBuffer);
      assert.equal(wb.getWorksheet('台账')!.rowCount, l.json.entries.length + 1);
      const lapsed = await get(`/api/v1/monitoring/drop-outs?area=500230&year=2023&asOf=2022-12-31&kind=lapsed`, tok.admin);
      assert.equal(lapsed.status, 200, lapsed.text);
      const { rows } = await sql<{ n: string }>`
        SELECT count(*) AS n FROM enrollment a WHERE a.coverage_year = 2022 AND a.state = 'paid'
          AND NOT EXISTS (SELECT 1 FROM enrollment b WHERE b.person_id = a.person_id AND b.coverage_year = 2023 AND b.state = 'paid' AND b.paid_on <= '2022-12-31')`.execute(d.db);
      assert.equal(lapsed.json.persons.length, Number(rows[0].n));
      assert.ok(lapsed.json.persons.every((p: { lastEnrolledYear: number; reason: { code: string } }) => p.lastEnrolledYear === 2022 && p.reason.code));
      const never = await get(`/api/v1/monitoring/drop-outs?area=500230&year=2022&asOf=2022-12-31&kind=never_enrolled`, tok.admin);
      assert.ok(never.json.persons.some((p: { reason: { code: string } }) => p.reason.code === 'EMPLOYEE_INSURANCE'));
    });

    test('payment files: batches re-quoted on their dates like single payments, idempotent by reference, bad rows by line', async () => {
      const db = d.db;
      const open = await db.selectFrom('enrollment as e').innerJoin('person as p', 'p.id', 'e.person_id').select(['e.id', 'e.person_id', 'e.quote', 'p.id_number', 'p.household_id'])
        .where('e.coverage_year', '=', 2023).where('e.state', '=', 'assessed').orderBy('e.id').execute();
      assert.ok(open.length >= 8, `${open.length} unpaid for 2023`);
      const due = (e: (typeof open)[number], paidOn: string) => quotes.contribution({ ...(e.quote as { request: Record<string, unknown> }).request, paidOn, trace: false });
      // the single path for one person, the file for another with the same facts and date: the same enrollment columns and ledger lines
      const [one, two, three, four, five, six] = open;
      const q1 = due(one, '2023-01-10');
      await recordPayment(db, quotes, SYSTEM, { reference: 'SINGLE-1', channel: q1.individualDue === 0 ? 'medical_assistance' : 'online', enrollmentId: one.id, amountYuan: (q1.individualDue === 0 ? q1.contributionAssistance : q1.individualDue)!, paidOn: '2023-01-10' });
      const q2 = due(two, '2023-01-10');
      const q3 = due(three, '2023-08-01');
      const amt = (q: typeof q2) => (q.individualDue === 0 ? q.contributionAssistance : q.individualDue)!.toFixed(2);
      const ch = (q: typeof q2) => (q.individualDue === 0 ? '医疗救助' : '税务');
      const csv = join(dir, 'payments.csv');
      writeFileSync(csv, [
        '流水号,身份证号,缴费金额,缴费日期,缴费渠道',
        `F-2,${two.id_number},${amt(q2)},2023-01-10,${ch(q2)}`,
        `F-3,${three.id_number},${amt(q3)},2023-08-01,${ch(q3)}`,
        `F-4,${four.id_number},1.00,2023-01-10,税务`,
        `F-5,${five.id_number},${amt(due(five, '2023-01-10'))},2024-01-10,税务`,
        `SINGLE-1,${six.id_number},${amt(due(six, '2023-01-10'))},2023-01-10,税务`,
        `F-7,${one.id_number},${amt(q1)},2023-01-11,${ch(q1)}`,
        `F-8,${six.id_number},abc,2023-01-10,税务`,
        `F-2,${two.id_number},${amt(q2)},2023-01-10,${ch(q2)}`,
      ].join('\n'));
      const s = await importPaymentFile(db, quotes, SYSTEM, { path: csv, coverageYear: 2023 });
      assert.equal(s.inserted, 2, JSON.stringify(s.problems));
      assert.deepEqual(s.problems.map((p) => p.line), [4, 5, 6, 7, 8, 9]);
      assert.match(s.problems[0].reason, /not the amount due/);
      assert.match(s.problems[1].reason, /AFTER_FINAL_DEADLINE/, 'refused by the notice after the final deadline');
      assert.match(s.problems[2].reason, /PAYMENT_REFERENCE_REUSED/);
      assert.match(s.problems[3].reason, /DUPLICATE_ENROLLMENT/);
      assert.match(s.problems[4].reason, /not an amount/);
      assert.match(s.problems[5].reason, /repeats line 2/);
      const flag = await db.selectFrom('duplicate_flag').selectAll().where('id_number', '=', one.id_number).where('coverage_year', '=', 2023).executeTakeFirst();
      assert.ok(flag && flag.reason === 'same_id_twice', 'the second payment is flagged');
      const row = (id: string) => db.selectFrom('enrollment').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      const [e1, e2, e3] = [await row(one.id), await row(two.id), await row(three.id)];
      for (const k of ['state', 'paid_fen', 'paid_on', 'benefit_start', 'waiting_days', 'subsidy_fen', 'borne_fen'] as const)
        if (JSON.stringify((one.quote as { request: { person: unknown } }).request.person) === JSON.stringify((two.quote as { request: { person: unknown } }).request.person))
          assert.equal(String(e2[k]), String(e1[k]), k);
      assert.equal(e2.state, 'paid');
      assert.equal(e3.state, 'paid');
      assert.equal(e3.benefit_start, q3.benefitPeriod!.start, 'a late payer gets the waiting period');
      const lines = async (ref: string) => (await sql<{ account: string; fen: string }>`
        SELECT po.account, sum(po.amount_fen) AS fen FROM journal_entry j JOIN posting po ON po.entry_id = j.id
        WHERE (j.source IN ('payment', 'assistance') AND j.source_id = (SELECT id FROM payment WHERE reference = ${ref}))
           OR (j.source = 'subsidy' AND j.source_id = (SELECT enrollment_id FROM payment WHERE reference = ${ref}))
        GROUP BY 1 ORDER BY 1`.execute(db)).rows.map((r) => [r.account, Number(r.fen)]);
      if (q1.individualDue === q2.individualDue && q1.contributionAssistance === q2.contributionAssistance) assert.deepEqual(await lines('F-2'), await lines('SINGLE-1'));
      assert.ok((await lines('F-3')).length > 0);
      assert.deepEqual(await unbalancedEntries(db), []);
      const audited = await db.selectFrom('audit_log').select('entity_id').where('action', '=', 'record_payment').where('entity_id', 'in', [...(await db.selectFrom('payment').select('id').where('reference', 'in', ['F-2', 'F-3']).execute()).map((p) => String(p.id))]).execute();
      assert.equal(audited.length, 2, 'one audit row per payment');
      // the same file again: every good row is a replay, nothing changes
      const before = await db.selectFrom('payment').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow();
      const again = await importPaymentFile(db, quotes, SYSTEM, { path: csv, coverageYear: 2023 });
      assert.equal(again.inserted, 0);
      assert.equal(again.replayed, 2);
      assert.equal((await db.selectFrom('payment').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow()).n, before.n);
      // progress sees the file's payments by their dates
      const p = await progress(db, quotes, SYSTEM, { area: '500230', year: 2023, asOf: '2023-01-10' });
      assert.deepEqual(p.villages.map((v) => v.paid), (await direct(2023, '500230', '2023-01-10')).map((v) => v.paid));
    });

    test('imports over HTTP: the file as the body, in the caller’s area only', async () => {
      const sheet = `区划代码,应参保人数,电子凭证激活目标\n${VILLAGES[0].code},22,20\n${VILLAGES[2].code},24,20\n`;
      const post = (path: string, token: string | undefined, body: string) => request(base, 'POST', path, token, body, { 'content-type': 'text/csv' });
      assert.equal((await post('/api/v1/monitoring/imports/targets?year=2022', tok.auditor, sheet)).status, 403);
      assert.equal((await post('/api/v1/monitoring/imports/targets?year=2022', undefined, sheet)).status, 401);
      const r = await post('/api/v1/monitoring/imports/targets?year=2022&fileName=分解表.csv', tok.clerk1, sheet);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.rows, 2);
      assert.deepEqual(r.json.problems.map((p: { line: number }) => p.line), [3], 'the village of another township is refused by line');
      assert.match(r.json.problems[0].reason, /outside clerk1's area/);
      assert.equal(r.json.fileName, '分解表.csv');
      const e = await post('/api/v1/monitoring/imports/evouchers', tok.clerk3, `身份证号,激活日期\n${ids[0].idNumber},2022-01-05\n${ids[60].idNumber},2022-01-05\n`);
      assert.equal(e.status, 200, e.text);
      assert.deepEqual(e.json.problems.map((p: { line: number }) => p.line), [2]);
      const empty = await post('/api/v1/monitoring/imports/evouchers', tok.clerk3, '');
      assert.equal(empty.status, 400);
      const noHeader = await post('/api/v1/monitoring/imports/evouchers', tok.clerk3, '姓名\n张三\n');
      assert.equal(noHeader.status, 400);
      assert.equal(noHeader.json.field, 'header');
    });

    test('access: a clerk reads only their township; bad input names the field; downloads are audited', async () => {
      assert.equal((await get(`/api/v1/monitoring/progress?area=${T2}&year=2022&asOf=2022-01-15`, tok.clerk1)).status, 403);
      assert.equal((await get(`/api/v1/monitoring/progress?area=500230&year=2022&asOf=2022-01-15`, tok.clerk1)).status, 403, 'not the county either');
      assert.equal((await get(`/api/v1/monitoring/priority-groups/missing?area=${T2}&year=2022&asOf=2022-01-15`, tok.clerk1)).status, 403);
      assert.equal((await get(`/api/v1/monitoring/priority-groups/missing?area=${T1}&year=2022&asOf=2022-01-15`, tok.clerk3)).status, 403);
      assert.equal((await get(`/api/v1/monitoring/reports/half-monthly.pdf?town=${T2}&asOf=2022-01-15`, tok.clerk1)).status, 403);
      const own = await get(`/api/v1/monitoring/progress?year=2022&asOf=2022-01-15`, tok.clerk1);
      assert.equal(own.status, 200);
      assert.equal(own.json.area.code, T1, 'a clerk’s own township by default');
      assert.equal((await get(`/api/v1/monitoring/progress?area=${T1}&year=2022&asOf=2022-01-15`)).status, 401);
      const bad = await get(`/api/v1/monitoring/progress?area=${T1}&year=2022&asOf=2022-02-30`, tok.admin);
      assert.equal(bad.status, 400);
      assert.equal(bad.json.field, 'asOf');
      assert.equal((await get(`/api/v1/monitoring/progress?area=12&year=2022&asOf=2022-01-15`, tok.admin)).json.field, 'area');
      assert.equal((await get(`/api/v1/monitoring/progress?area=500231&year=2022&asOf=2022-01-15`, tok.admin)).json.field, 'area');
      const pdf = await get(`/api/v1/monitoring/reports/half-monthly.pdf?town=${T1}&asOf=2022-01-31`, tok.clerk1);
      assert.equal(pdf.status, 200);
      assert.equal(pdf.headers.get('content-type'), 'application/pdf');
      const x = await get(`/api/v1/monitoring/reports/half-monthly.xlsx?town=${T1}&asOf=2022-01-31`, tok.clerk1);
      assert.equal(x.status, 200);
      const audit = await d.db.selectFrom('audit_log').select(['actor', 'entity', 'detail']).where('action', '=', 'export').where('actor', '=', 'clerk1').execute();
      const entities = audit.map((a) => a.entity);
      for (const e of ['half_monthly_report', 'priority_group_missing']) assert.ok(entities.includes(e), `${e} audited: ${entities.join(', ')}`);
      const j = await get(`/api/v1/monitoring/reports/half-monthly?town=${T1}&asOf=2022-01-31`, tok.clerk1);
      assert.equal(j.status, 200);
      assert.equal(j.json.villages.length, 2);
    });
    test('the command line: progress, the half-monthly report, imports (a separate process: server only; last, as spawnSync stops this process’s event loop and so the server’s keep-alive timers)', { skip: backend !== 'server' }, () => {
      const bin = join(import.meta.dirname, '..', 'bin', 'yibao.js');
      const env = { ...process.env, DATABASE_URL: d.where };
      const run = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8', timeout: 120_000 });
      const p = run(['progress', '--area', T1, '--as-of', '2022-01-31']);
      assert.equal(p.status, 0, p.stderr);
      assert.match(p.stdout, /长江村/);
      assert.match(p.stdout, /合计/);
      for (const section of ['Targets (应参保人数)', 'Against last year', 'Money (yuan)', 'Assistance by group', 'Half-month series']) assert.ok(p.stdout.includes(section), `the text output has ${section}`);
      const j = run(['progress', '--area', T1, '--as-of', '2022-01-31', '--json']);
      assert.equal(JSON.parse(j.stdout).area.code, T1);
      const bad = run(['progress', '--area', T1, '--as-of', '2022-13-01']);
      assert.equal(bad.status, 2);
      assert.match(bad.stderr, /^error: asOf:/);
      const outside = run(['progress', '--area', T2, '--as-of', '2022-01-31', '--as', 'clerk1']);
      assert.equal(outside.status, 2);
      assert.match(outside.stderr, /outside clerk1's area/);
      const pdf = join(dir, 'cli-report.pdf');
      const r = run(['report', 'half-monthly', '--town', T1, '--as-of', '2022-01-31', '-o', pdf]);
      assert.equal(r.status, 0, r.stderr);
      const text = spawnSync('pdftotext', [pdf, '-'], { encoding: 'utf8' }).stdout;
      assert.ok(text.includes('长江村') && text.includes('杨柳村'));
      const xlsx = join(dir, 'cli-report.xlsx');
      assert.equal(run(['report', 'half-monthly', '--town', T1, '--as-of', '2022-01-31', '-o', xlsx]).status, 0);
      assert.equal(run(['report', 'half-monthly', '--town', T1, '--as-of', '2022-01-31', '-o', join(dir, 'r.doc')]).status, 2);
      const t = join(dir, 'cli-targets.csv');
      writeFileSync(t, `区划代码,应参保人数\n${VILLAGES[2].code},23\n${VILLAGES[2].code}9,1\n`);
      const ti = run(['import', 'targets', t, '--year', '2022']);
      assert.equal(ti.status, 1, ti.stderr);
      assert.match(ti.stderr, /2 rows: 1 new.*1 bad/);
      assert.match(ti.stderr, /line 3: 区划代码/);
      const pf = join(dir, 'cli-payments.csv');
      writeFileSync(pf, `流水号,身份证号,缴费金额,缴费日期\nCLI-1,${ids[0].idNumber},1.00,2022-01-15\n`);
      const pi = run(['payments', 'import-file', pf, '--channel', 'tax_bureau']);
      assert.equal(pi.status, 1, pi.stderr);
      assert.match(pi.stderr, /1 payments in .*0 recorded/);
      const m = join(dir, 'cli-missing.xlsx');
      const mi = run(['monitoring', 'missing', '--area', T1, '--as-of', '2022-02-28', '-o', m]);
      assert.equal(mi.status, 0, mi.stderr);
      assert.match(mi.stderr, /persons: /);
    });
  });
