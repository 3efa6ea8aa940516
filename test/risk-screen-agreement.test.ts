/**
 * The screening run (src/risk/screen-sql.ts: fee lines preselected by their keys over fsi_fee's
 * indexes, only some settlements read into screen_settled, FR03's out-of-year side from it) gives
 * the same hits as a straightforward query per rule written here: each over all of risk_settled
 * and every fee line's JSON, no preselection, no temporary table. Generated towns (fast-check):
 * persons in two areas (one out of the run's scope), inpatient and outpatient encounters of 2021
 * and 2022, some reversed, some without enrollment, some dated outside their year; platform visits
 * with fee lines drawn from few items, times, quantities (negative ones too) and prices, so that
 * repeats (a line sent twice), daily sums, dialysis weeks and consumables arise, some lines cancelled. The rows go
 * straight into the tables as owner (consistent by construction).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { sql, type Kysely } from 'kysely';
import { BACKENDS, freshDatabase, type TestDatabase } from './support/databases.ts';
import { quotes } from './support/risk-town.ts';
import { rulesFor, runScreening } from '../src/risk/screening.ts';
import type { ScreenCode } from '../src/rules/risk/screen-rules.ts';
import type { DB } from '../src/store/schema.ts';

const REGION = '500230';
const HOSPITALS = [
  ['HA', 'secondary'],
  ['HB', 'primary'],
  ['HC', 'secondary'],
] as const;
const ITEMS = ['X01', 'Z01', '0012', 'C01', 'C02', '311000006', 'Q01'];
const TIMES = ['08:00:00', '08:00:00', '09:30:00'];

interface Line { item: number; day: number; time: number; cnt: number; pric: number; cancelled: boolean; twice: boolean }
interface Enc { person: number; hospital: number; inpatient: boolean; year: 2021 | 2022; day: number; stay: number; diag: number; visit: boolean; reversed: boolean; outOfYear: boolean; lines: Line[] }

const line = fc.record({
  item: fc.nat({ max: ITEMS.length - 1 }),
  day: fc.nat({ max: 1 }),
  time: fc.nat({ max: TIMES.length - 1 }),
  cnt: fc.constantFrom(1, 1, 2, 3, 16, 31, -1, 0.5),
  pric: fc.constantFrom(10, 10, 600, 6000),
  cancelled: fc.constantFrom(false, false, false, true),
  twice: fc.constantFrom(false, false, false, true),
});
const enc = fc.record({
  person: fc.nat({ max: 9 }),
  hospital: fc.nat({ max: HOSPITALS.length - 1 }),
  inpatient: fc.boolean(),
  year: fc.constantFrom(2022 as const, 2022 as const, 2022 as const, 2021 as const),
  day: fc.nat({ max: 60 }),
  stay: fc.integer({ min: 0, max: 9 }),
  diag: fc.constantFrom(0, 0, 0, 1),
  visit: fc.boolean(),
  reversed: fc.constantFrom(false, false, false, false, true),
  outOfYear: fc.constantFrom(false, false, false, false, false, true),
  lines: fc.array(line, { maxLength: 6 }),
});
const townArb = fc.array(enc, { minLength: 5, maxLength: 60, size: 'max' });

/** Everything of a previous town out of the way (owner, triggers off). */
async function clear(db: Kysely<DB>): Promise<void> {
  await sql`SET session_replication_role = replica`.execute(db);
  for (const t of ['risk_case_event', 'risk_case', 'fsi_fee', 'settlement', 'fsi_mdtrt', 'encounter', 'enrollment', 'person'])
    await sql.raw(`DELETE FROM ${t}`).execute(db);
  await sql`SET session_replication_role = DEFAULT`.execute(db);
}

/** FR07's peers: six ordinary consumable stays (D00 at HA, 600 yuan each) beside the generated ones. */
const PEERS: Enc[] = [0, 1, 2, 4, 6, 9].map((p, i) => ({ person: p, hospital: 0, inpatient: true, year: 2022, day: 100 + i * 20, stay: 3, diag: 0, visit: true, reversed: false, outOfYear: false, lines: [{ item: 3, day: 0, time: 0, cnt: 1, pric: 600, cancelled: false, twice: false }] }));

async function write(db: Kysely<DB>, generated: Enc[]): Promise<void> {
  const encs = [...generated, ...PEERS];
  await sql`SET session_replication_role = replica`.execute(db);
  for (let p = 0; p < 10; p++) {
    const village = p % 4 === 3 ? '500231100001' : p % 2 ? '500230100001' : '500230100002';
    await sql`INSERT INTO person (id, id_number, name, gender, birth_date, village_code, kind, date_of_death)
      VALUES (${p + 1}, ${'AGREE' + String(p).padStart(13, '0')}, ${'比对' + p}, 'female', DATE '1970-01-01', ${village}, 'adult', ${p === 5 ? '2022-02-01' : null})`.execute(db);
    // person 8 has no enrollment of 2022; person 7's is not paid
    if (p !== 8)
      await sql`INSERT INTO enrollment (id, person_id, coverage_year, region, pack, tier, state, standard_fen, quote, benefit_start, benefit_end, paid_fen)
        VALUES (${p + 1}, ${p + 1}, 2022, ${REGION}, '500230/2022', 'tier1', ${p === 7 ? 'assessed' : 'paid'}, 32000, '{}'::jsonb,
                ${p === 7 ? null : '2022-01-01'}, ${p === 7 ? null : '2022-12-31'}, 32000)`.execute(db);
  }
  let id = 0;
  for (const e of encs) {
    id += 1;
    const date = new Date(Date.UTC(e.outOfYear ? e.year - 1 : e.year, e.outOfYear ? 11 : 0, e.outOfYear ? 20 : 1) + e.day * 86_400_000).toISOString().slice(0, 10);
    const dscg = new Date(Date.parse(date) + e.stay * 86_400_000).toISOString().slice(0, 10);
    const visit = e.visit || e.inpatient || e.lines.length ? `MA${id}` : null;
    const hospital = HOSPITALS[e.hospital]![0];
    const total = 50_000 + id * 100;
    const type = e.inpatient ? 'inpatient' : 'general_outpatient';
    const diag = e.inpatient ? `D0${e.diag}` : null;
    await sql`INSERT INTO encounter (id, hospital_code, person_id, coverage_year, type, date, disease, total_fen, full_own_pay_fen, over_limit_fen, pre_self_pay_fen, in_scope_fen, visit, visit_part, external_id)
      VALUES (${id}, ${hospital}, ${e.person + 1}, ${e.year}, ${type}, ${date}, ${diag}, ${total}, 0, 0, 0, ${total}, ${visit}, ${visit ? '' : null}, ${'A' + id})`.execute(db);
    if (visit) {
      await sql`INSERT INTO fsi_mdtrt (mdtrt_id, hospital_code, person_id, kind, ipt_otp_no, insutype, begntime, endtime, dise_codg, state, msgid)
        VALUES (${visit}, ${hospital}, ${e.person + 1}, ${e.inpatient ? 'inpatient' : 'outpatient'}, ${'N' + id}, '390', ${date + ' 08:00:00'}, ${e.inpatient ? dscg + ' 10:00:00' : null}, ${diag}, 'open', 'agree')`.execute(db);
      let sn = 0;
      for (const l of e.lines.flatMap((x) => (x.twice ? [x, x] : [x]))) {
        sn += 1;
        const at = `${new Date(Date.parse(date) + l.day * 86_400_000).toISOString().slice(0, 10)} ${TIMES[l.time]}`;
        await sql`INSERT INTO fsi_fee (mdtrt_id, feedetl_sn, chrg_bchno, amount_fen, line, cancelled_at)
          VALUES (${visit}, ${String(sn).padStart(3, '0')}, NULL, ${Math.round(l.cnt * l.pric * 100)},
                  ${JSON.stringify({ med_list_codg: ITEMS[l.item], fee_ocur_time: at, cnt: String(l.cnt), pric: String(l.pric) })}::jsonb, ${l.cancelled ? new Date('2022-06-01') : null})`.execute(db);
      }
    }
    await sql`INSERT INTO settlement (id, encounter_id, person_id, hospital_code, coverage_year, basic_fund_fen, critical_illness_fen, medical_assistance_fen, cash_fen, total_fen, result, delta, settled_by, visit, visit_part, reversed_at)
      VALUES (${id}, ${id}, ${e.person + 1}, ${hospital}, ${e.year}, ${(total * 6) / 10}, 0, 0, ${total - (total * 6) / 10}, ${total}, '{}'::jsonb, '{}'::jsonb, 'agree', ${visit}, ${visit ? '' : null}, ${e.reversed ? new Date('2022-06-01') : null})`.execute(db);
  }
  await sql`SET session_replication_role = DEFAULT`.execute(db);
}

/** The in-scope live settlements of 2022 and their live fee lines, every one, straight from the tables and the JSON. */
const S = sql`s AS (SELECT rs.*, p.village_code FROM risk_settled rs JOIN person p ON p.id = rs.person_id JOIN admin_area a ON a.code = p.village_code
                    WHERE rs.coverage_year = 2022 AND a.region = ${REGION})`;
const L = sql`l AS (SELECT s.settlement_id, s.person_id, s.type, s.diagnosis, s.hospital_code, f.mdtrt_id, f.feedetl_sn, f.amount_fen,
                           f.line->>'med_list_codg' AS code, f.line->>'fee_ocur_time' AS at, left(f.line->>'fee_ocur_time', 10) AS day,
                           (f.line->>'cnt')::numeric AS cnt, (f.line->>'pric')::numeric AS pric
                      FROM s JOIN fsi_fee f ON f.mdtrt_id = s.visit AND (s.visit_part = '' OR f.chrg_bchno = s.visit_part) WHERE f.cancelled_at IS NULL)`;

/** The reference hits per rule: subject → amount (fen), as text. */
const REFERENCE: Record<string, ReturnType<typeof sql>> = {
  FR01: sql`WITH ${S} SELECT 'S' || a.settlement_id || '/' || b.settlement_id AS subject, LEAST(a.fund_fen, b.fund_fen)::text AS amount
      FROM s a, s b WHERE a.type = 'inpatient' AND b.type = 'inpatient' AND a.person_id = b.person_id AND a.settlement_id < b.settlement_id
       AND a.hospital_code <> b.hospital_code AND LEAST(a.dscg_date, b.dscg_date) - GREATEST(a.adm_date, b.adm_date) >= 1`,
  FR02: sql`WITH ${S} SELECT 'S' || s.settlement_id AS subject, s.fund_fen::text AS amount FROM s JOIN person p ON p.id = s.person_id WHERE s.adm_date > p.date_of_death`,
  FR03: sql`WITH ${S} SELECT 'S' || s.settlement_id AS subject, s.fund_fen::text AS amount
      FROM s LEFT JOIN enrollment e ON e.person_id = s.person_id AND e.coverage_year = 2022
     WHERE s.fund_fen >= 1 AND (e.id IS NULL OR e.state <> 'paid' OR e.benefit_start IS NULL OR s.adm_date < e.benefit_start OR s.adm_date > e.benefit_end)`,
  FR04: sql`WITH ${S}, ${L} SELECT 'V' || mdtrt_id || '/' || code || '/' || at || '/' || min(cnt) || '/' || min(pric) AS subject, (sum(amount_fen) - min(amount_fen))::text AS amount
      FROM l GROUP BY mdtrt_id, code, at, cnt, pric HAVING count(*) >= 2`,
  FR05: sql`WITH ${S}, ${L} SELECT 'V' || mdtrt_id || '/' || code || '/' || day AS subject, round(sum(amount_fen) * (sum(cnt) - 30) / sum(cnt))::bigint::text AS amount
      FROM l WHERE code LIKE 'X%' OR code LIKE 'Z%' OR code LIKE '00%' GROUP BY mdtrt_id, code, day HAVING sum(cnt) > 30`,
  FR06: sql`WITH ${S}, ${L} SELECT 'P' || person_id || '/' || date_trunc('week', day::date)::date AS subject, round(sum(amount_fen) * (sum(cnt) - 3) / sum(cnt))::bigint::text AS amount
      FROM l WHERE code LIKE '311000006%' OR code LIKE '003110000060000%' GROUP BY person_id, date_trunc('week', day::date) HAVING sum(cnt) > 3`,
  FR07: sql`WITH ${S}, ${L}, c AS (SELECT l.settlement_id, min(l.diagnosis) AS diagnosis, h.level, sum(l.amount_fen) AS amount FROM l JOIN hospital h ON h.code = l.hospital_code
                      WHERE l.type = 'inpatient' AND l.diagnosis IS NOT NULL AND l.code LIKE 'C%' GROUP BY l.settlement_id, h.level),
    m AS (SELECT diagnosis, level, count(*) AS n, percentile_cont(0.5) WITHIN GROUP (ORDER BY amount) AS median FROM c GROUP BY diagnosis, level)
    SELECT 'S' || c.settlement_id AS subject, (c.amount - round(m.median))::bigint::text AS amount FROM c JOIN m USING (diagnosis, level)
     WHERE m.n >= 5 AND c.amount >= 100000 AND c.amount > 3 * m.median`,
  FR08: sql`WITH ${S}, i AS (SELECT s.*, lag(settlement_id) OVER w AS prev_id, lag(dscg_date) OVER w AS prev_dscg, lag(diagnosis) OVER w AS prev_diag
                                FROM s WHERE type = 'inpatient' WINDOW w AS (PARTITION BY person_id ORDER BY adm_date, settlement_id))
    SELECT 'S' || prev_id || '/' || settlement_id AS subject, fund_fen::text AS amount FROM i
     WHERE prev_id IS NOT NULL AND diagnosis = prev_diag AND adm_date - prev_dscg BETWEEN 0 AND 15`,
};

/** The rules' parameters this test's references assume (the example pack of 500230/2022). */
function checkPack(): void {
  const { rules } = rulesFor(quotes.lib, REGION, 2022);
  const p = (code: string) => rules.get(code as ScreenCode)!.params as Record<string, unknown>;
  assert.deepEqual(p('FR04'), { minRepeats: 2 });
  assert.deepEqual(p('FR05'), { itemPrefixes: ['X', 'Z', '00'], maxPerDay: 30 });
  assert.deepEqual(p('FR06'), { itemPrefixes: ['003110000060000', '311000006'], maxPerWeek: 3 });
  assert.deepEqual(p('FR01'), { minOverlapDays: 1 });
  assert.deepEqual(p('FR02'), { graceDays: 0 });
  assert.deepEqual(p('FR03'), { minFundFen: 1 });
  assert.deepEqual(p('FR07'), { itemPrefixes: ['C'], factor: 3, minPeers: 5, minAmountFen: 100000 });
  assert.deepEqual(p('FR08'), { withinDays: 15 });
}

for (const backend of BACKENDS)
  describe(`screening run == a straightforward query per rule, on ${backend}`, () => {
    let d: TestDatabase;
    before(async () => {
      d = await freshDatabase(backend, { asOwner: true });
      await sql`INSERT INTO admin_area (code, name, level, parent_code, region) VALUES
          ('500230', '丰都县', 'county', NULL, '500230'), ('500230100', '镇', 'township', '500230', '500230'),
          ('500230100001', '甲村', 'village', '500230100', '500230'), ('500230100002', '乙村', 'village', '500230100', '500230'),
          ('500231', '他县', 'county', NULL, '500231'), ('500231100', '他镇', 'township', '500231', '500231'), ('500231100001', '他村', 'village', '500231100', '500231')`.execute(d.db);
      for (const [code, level] of HOSPITALS) await sql`INSERT INTO hospital (code, name, level, region) VALUES (${code}, ${'医院' + code}, ${level}, ${REGION})`.execute(d.db);
      await sql`SELECT open_coverage_year(2021), open_coverage_year(2022)`.execute(d.db);
    });
    after(async () => d?.drop());

    test('the pack parameters the references assume', () => checkPack());

    test('every rule FR01–FR08 hits what its reference query hits, with the same amount', async () => {
      const hits = new Map<string, number>();
      await fc.assert(
        fc.asyncProperty(townArb, async (encs) => {
          await clear(d.db);
          await write(d.db, encs);
          await runScreening(d.db, quotes.lib, { year: 2022, region: REGION });
          for (const [code, q] of Object.entries(REFERENCE)) {
            const want = ((await q.execute(d.db)).rows as { subject: string; amount: string }[]).map((r) => `${r.subject} ${r.amount}`).sort();
            const got = (await sql<{ subject: string; amount: string }>`SELECT subject, amount_fen::text AS amount FROM risk_case WHERE rule_code = ${code}`.execute(d.db)).rows.map((r) => `${r.subject} ${r.amount}`).sort();
            assert.deepEqual(got, want, code);
            hits.set(code, (hits.get(code) ?? 0) + got.length);
          }
        }),
        { numRuns: backend === 'pglite' ? 8 : 15, seed: 1 },
      );
      // the generated towns do give every rule hits (else an agreement on nothing)
      for (const code of Object.keys(REFERENCE)) assert.ok((hits.get(code) ?? 0) > 0, `no town gave ${code} a hit: ${JSON.stringify([...hits])}`);
    });
  });
