/**
 * `npm run bench` (before bench/risk-counter.ts), or alone: `npx tsx bench/risk.ts`. The fraud
 * screening of issue #18 on the PostgreSQL server: every screening rule of the area's pack
 * (src/risk/screening.ts → the set-based statements of src/risk/screen-sql.ts, as the service's
 * role yibao_app) over N settlements (default 10 000 000) of one coverage year, beside a plain
 * sequential scan of the same rows in the same run. Target (issue #18): all rules < 60 s.
 *
 * Untimed setup, in a database of its own (dropped at the end, also on failure or Ctrl-C), all
 * set-based (generate_series, no row leaves the server): one county (region 500230) of
 * N/20 000 villages, 30 hospitals, N/10 persons (one in 5 000 with a date of death), their
 * 2022 enrollments (one in 200 unpaid), N encounters with their settlements (one in ten
 * inpatient, stays of 3–10 days), one in five encounters a platform visit (fsi_mdtrt) with five
 * fee lines (fsi_fee). A few visits carry what the line rules look for: a repeated identical line
 * (FR04, 1 in 5 000), an item beyond its daily limit (FR05, 1 in 7 000), dialysis sessions beyond
 * the weekly frequency (FR06, 1 in 10 000), consumables far above their peers (FR07, 1 in 2 000
 * inpatient visits); overlapping stays (FR01), re-admissions (FR08), settlements after death
 * (FR02) and outside the benefit period (FR03) arise from the generated dates. The rows are
 * written with session_replication_role = replica (the owner is a superuser): foreign keys and
 * triggers are not checked while generating, the rows are consistent by construction; then
 * VACUUM ANALYZE.
 *
 * The floor: one plain sequential scan of the rows the rules read — settlement, encounter,
 * fsi_mdtrt and fsi_fee (count and a sum each, parallel workers off as in the screening's
 * statements, which are INSERT … SELECT and so never parallel).
 *
 * Environment: BENCH_RISK_SETTLEMENTS (10 000 000; smaller for a quick run), BENCH_RISK_KEEP=on (keep
 * the database at the end and say its name), BENCH_RISK_REUSE=<name> (measure again on a database a
 * kept run left: no setup; its cases of earlier runs deleted first, so that the run is a full one
 * writing every case again; its migrations brought up to date when it is opened), BENCH_RISK_EXPLAIN
 * (rule codes, e.g. FR04,FR05: their plans and the reading statements', EXPLAIN ANALYZE, rolled back),
 * BENCH_DATABASE_URL (default TEST_DATABASE_URL or postgres://127.0.0.1:5432/test).
 */
import { sql } from 'kysely';
import { QuoteService } from '../src/quotes/quote-service.js';
import { rulesFor, runScreening } from '../src/risk/screening.js';
import { prepareScreen, SCREEN_SQL } from '../src/risk/screen-sql.js';
import type { ScreenCode } from '../src/rules/risk/screen-rules.js';
import { dropAllCreated, dropOnSignals, envInt, fmt, fmtInt, freshServerDatabase, keptServerDatabase, loadavg, log, machineLine, table, timed, type BenchDatabase } from './record/support.js';

const YEAR = 2022;
const REGION = '500230';
const HOSPITALS = 30;
const CHUNK = 1_000_000;

async function generate(b: BenchDatabase, n: number): Promise<void> {
  const persons = Math.max(100, Math.floor(n / 10));
  const villages = Math.max(5, Math.floor(n / 20_000));
  const replica = 'SET session_replication_role = replica;';
  const t0 = performance.now();
  const step = async (label: string, text: string, asReplica = true) => {
    const s = performance.now();
    await b.owner(asReplica ? `${replica} ${text}` : text);
    log(`  ${label} in ${fmt((performance.now() - s) / 1000, 1)} s`);
  };
  await step('areas and hospitals', `
    INSERT INTO admin_area (code, name, level, parent_code, region) VALUES ('${REGION}', '丰都县', 'county', NULL, '${REGION}'), ('${REGION}100', '基准镇', 'township', '${REGION}', '${REGION}');
    INSERT INTO admin_area (code, name, level, parent_code, region)
      SELECT '${REGION}100' || lpad(v::text, 3, '0'), '基准' || v || '村', 'village', '${REGION}100', '${REGION}' FROM generate_series(1, ${villages}) v;
    INSERT INTO hospital (code, name, level, region)
      SELECT 'HB' || lpad(h::text, 3, '0'), '基准医院' || h, (ARRAY['primary', 'secondary', 'tertiary'])[1 + h % 3], '${REGION}' FROM generate_series(1, ${HOSPITALS + 1}) h;
    SELECT open_coverage_year(${YEAR});`);
  await step(`${fmtInt(persons)} persons and their enrollments`, `
    INSERT INTO person (id, id_number, name, gender, birth_date, village_code, kind, date_of_death)
      SELECT p, 'BENCH' || lpad(p::text, 13, '0'), '基准' || p, CASE WHEN p % 2 = 0 THEN 'female' ELSE 'male' END, DATE '1960-01-01' + (p % 20000),
             '${REGION}100' || lpad((1 + p % ${villages})::text, 3, '0'), 'adult', CASE WHEN p % 5000 = 0 THEN DATE '${YEAR}-06-01' END
        FROM generate_series(1, ${persons}) p;
    SELECT setval('person_id_seq', ${persons});
    INSERT INTO enrollment (id, person_id, coverage_year, region, pack, tier, state, standard_fen, quote, benefit_start, benefit_end, paid_fen)
      SELECT p, p, ${YEAR}, '${REGION}', '${REGION}/${YEAR}', 'tier1', CASE WHEN p % 200 = 0 THEN 'assessed' ELSE 'paid' END, 32000, '{}'::jsonb,
             CASE WHEN p % 200 = 0 THEN NULL ELSE DATE '${YEAR}-01-01' END, CASE WHEN p % 200 = 0 THEN NULL ELSE DATE '${YEAR}-12-31' END, 32000
        FROM generate_series(1, ${persons}) p;
    SELECT setval('enrollment_id_seq', ${persons});`);
  // encounter i: block b = i / 10 of ten encounters of one person (1 + b % P), the first inpatient (a stay of 3 + i % 8
  // days, diagnosis by person), the others outpatient; admitted on day (i·7919) mod 330 of the year. The inpatient
  // stay of every 1 000th block + 1 is the previous block's person again, two days into their stay at another
  // hospital (FR01); of every 1 000th block + 2 the person of two blocks back, five days after their discharge (FR08).
  // Inpatient stays of the first village's residents all go to one more hospital (FR10's cluster). Every fifth
  // encounter is a platform visit M<i>. The settlement has the encounter's id.
  const day = (j: string) => `(((${j})::bigint * 7919) % 330)::int`;
  const enc = (from: number, to: number) => `
    INSERT INTO encounter (id, hospital_code, person_id, coverage_year, type, date, disease, total_fen, full_own_pay_fen, over_limit_fen, pre_self_pay_fen, in_scope_fen, visit, visit_part, external_id)
      SELECT i, CASE WHEN i % 10 = 0 AND x.person % ${villages} = 0 THEN 'HB${String(HOSPITALS + 1).padStart(3, '0')}' ELSE 'HB' || lpad((1 + (i / 10) % ${HOSPITALS})::text, 3, '0') END,
             x.person, ${YEAR}, CASE WHEN i % 10 = 0 THEN 'inpatient' ELSE 'general_outpatient' END, DATE '${YEAR}-01-01' + x.d,
             CASE WHEN i % 10 = 0 THEN 'D' || lpad((x.person % 20)::text, 2, '0') ELSE 'J' || lpad((i % 20)::text, 2, '0') END,
             x.total, 0, 0, 0, x.total, CASE WHEN i % 5 = 0 THEN 'M' || i END, CASE WHEN i % 5 = 0 THEN '' END, 'E' || i
        FROM generate_series(${from}, ${to}) i,
             LATERAL (SELECT CASE WHEN i % 10 = 0 AND (i / 10) % 1000 IN (1, 2) THEN (i / 10) % 1000 ELSE 0 END AS seed) sd,
             LATERAL (SELECT 1 + (i / 10 - sd.seed) % ${persons} AS person,
                             CASE sd.seed WHEN 0 THEN ${day('i')} WHEN 1 THEN ${day('i - 10')} + 2 ELSE ${day('i - 20')} + 3 + (i - 20) % 8 + 5 END AS d,
                             CASE WHEN i % 10 = 0 THEN 800000 + (i % 997) * 100 ELSE 12000 + (i % 97) * 100 END AS total) x;
    INSERT INTO fsi_mdtrt (mdtrt_id, hospital_code, person_id, kind, ipt_otp_no, insutype, begntime, endtime, dise_codg, state, msgid)
      SELECT visit, hospital_code, person_id, CASE WHEN type = 'inpatient' THEN 'inpatient' ELSE 'outpatient' END, 'N' || id, '390', date::text || ' 08:00:00',
             CASE WHEN type = 'inpatient' THEN (date + 3 + (id % 8)::int)::text || ' 10:00:00' END, disease, CASE WHEN type = 'inpatient' THEN 'discharged' ELSE 'open' END, 'bench'
        FROM encounter WHERE id BETWEEN ${from} AND ${to} AND visit IS NOT NULL;
    INSERT INTO settlement (id, encounter_id, person_id, hospital_code, coverage_year, basic_fund_fen, critical_illness_fen, medical_assistance_fen, cash_fen, total_fen, result, delta, settled_by, visit, visit_part)
      SELECT id, id, person_id, hospital_code, coverage_year, total_fen * 6 / 10, 0, 0, total_fen - total_fen * 6 / 10, total_fen, '{}'::jsonb, '{}'::jsonb, 'bench', visit, visit_part
        FROM encounter WHERE id BETWEEN ${from} AND ${to};
    INSERT INTO fsi_fee (mdtrt_id, feedetl_sn, chrg_bchno, amount_fen, line)
      SELECT e.visit, k::text, NULL, round(l.cnt * l.pric * 100)::bigint,
             jsonb_build_object('med_list_codg', l.code, 'fee_ocur_time', e.date::text || l.at, 'cnt', l.cnt, 'pric', l.pric)
        FROM encounter e, generate_series(1, 5) k,
             LATERAL (SELECT e.id AS i) ii,
             LATERAL (SELECT CASE k WHEN 1 THEN 'X' || lpad((i / 5 % 40)::text, 4, '0') WHEN 2 THEN 'Z0001'
                                    WHEN 3 THEN CASE WHEN i % 10 = 0 THEN 'C0001' ELSE '00123' END
                                    WHEN 4 THEN CASE WHEN i % 100 = 5 THEN '311000006' ELSE 'X0002' END
                                    ELSE CASE WHEN i % 5000 = 0 THEN 'X' || lpad((i / 5 % 40)::text, 4, '0') ELSE 'X0003' END END AS code,
                             CASE WHEN k = 5 AND i % 5000 = 0 THEN ' 09:01:00' ELSE ' 09:0' || k || ':00' END AS at,
                             CASE WHEN k = 2 AND i % 7000 = 0 THEN 40 WHEN k = 4 AND i % 10000 = 5 THEN 4 WHEN k = 2 THEN 2 ELSE 1 END::numeric AS cnt,
                             CASE WHEN k = 3 AND i % 10 = 0 THEN CASE WHEN i % 20000 = 0 THEN 6000 ELSE 500 + (i % 7) * 10 END ELSE 10 END::numeric AS pric) l
       WHERE e.id BETWEEN ${from} AND ${to} AND e.visit IS NOT NULL;`;
  for (let from = 1; from <= n; from += CHUNK) {
    const to = Math.min(n, from + CHUNK - 1);
    await step(`encounters, settlements, visits and fee lines ${fmtInt(from)}–${fmtInt(to)}`, enc(from, to));
  }
  await step('sequences', `SELECT setval('encounter_id_seq', ${n}); SELECT setval('settlement_id_seq', ${n});`);
  await step('VACUUM ANALYZE', 'VACUUM ANALYZE', false);
  // a table partitioned by coverage year (migration 050): the sums over its partitions
  const sizes = (await b.owner(`SELECT t, pg_size_pretty((SELECT sum(pg_total_relation_size(p.relid))::bigint FROM pg_partition_tree(t::regclass) p)) AS size,
        (SELECT sum(greatest(c.reltuples, 0))::bigint FROM pg_partition_tree(t::regclass) p JOIN pg_class c ON c.oid = p.relid WHERE p.isleaf)::text AS rows
      FROM unnest(ARRAY['person', 'enrollment', 'encounter', 'settlement', 'fsi_mdtrt', 'fsi_fee']) AS t`)).rows as { t: string; size: string; rows: string }[];
  log(`setup (untimed) in ${fmt((performance.now() - t0) / 1000, 1)} s: ${sizes.map((r) => `${r.t} ${fmtInt(Number(r.rows))} rows ${r.size}`).join(', ')}`);
}

async function main(): Promise<void> {
  let n = envInt('BENCH_RISK_SETTLEMENTS', 10_000_000);
  const kept = process.env.BENCH_RISK_REUSE;
  const keep = process.env.BENCH_RISK_KEEP === 'on';
  dropOnSignals(async () => {});
  log('yibao bench — fraud screening over the settlements on PostgreSQL (issue #18)');
  const b = kept ? await keptServerDatabase(kept, 4) : await freshServerDatabase('risk', 4);
  try {
    for (const l of await machineLine(b.database)) log(l);
    const db = b.database.db;
    if (kept) {
      n = Number((await b.owner(`SELECT count(*) AS n FROM settlement WHERE coverage_year = ${YEAR}`)).rows[0].n);
      await b.owner('TRUNCATE risk_case_event, risk_case');
      await b.owner('VACUUM ANALYZE risk_case');
      log(`\n=== the database ${kept} a previous run kept: ${fmtInt(n)} settlements of ${YEAR} (no setup; its cases deleted) ===`);
    } else {
      log(`\n=== setup: ${fmtInt(n)} settlements of ${YEAR}, region ${REGION} ===`);
      await generate(b, n);
    }
    const lib = QuoteService.load().lib;

    log(`\n=== the floor: a plain sequential scan of the same rows ===`);
    const scans: (string | number)[][] = [];
    let floorS = 0;
    let floorCpu = 0;
    for (const [t, col] of [['settlement', 'total_fen'], ['encounter', 'total_fen'], ['fsi_mdtrt', 'length(begntime)'], ['fsi_fee', 'amount_fen']] as const) {
      await sql.raw(`SELECT count(*), sum(${col}) FROM ${t}`).execute(db); // warm the cache once, not counted
      const r = await timed(
        () =>
          db.connection().execute(async (c) => {
            await sql`SET max_parallel_workers_per_gather = 0`.execute(c);
            const out = await sql.raw<{ n: string }>(`SELECT count(*) AS n, sum(${col}) FROM ${t}`).execute(c);
            await sql`RESET max_parallel_workers_per_gather`.execute(c);
            return out;
          }),
        b.name,
      );
      floorS += r.seconds;
      floorCpu += r.dbCpu ?? NaN;
      scans.push([t, fmtInt(Number(r.value.rows[0].n)), fmt(r.seconds, 2), r.dbCpu === null ? '—' : fmt(r.dbCpu, 2)]);
    }
    log(table(['table', 'rows', 'seq scan s', 'backend CPU s'], scans));
    log(`floor: ${fmt(floorS, 2)} s wall, ${fmt(floorCpu, 2)} s backend CPU for one pass over the rows (load ${loadavg()})`);

    log(`\n=== all screening rules of ${REGION}/${YEAR} (runScreening, as yibao_app) ===`);
    if (process.env.BENCH_RISK_EXPLAIN) {
      const { rules } = rulesFor(lib, REGION, YEAR);
      for (const code of process.env.BENCH_RISK_EXPLAIN.split(',') as ScreenCode[]) {
        const q = SCREEN_SQL[code](rules.get(code)!, { year: YEAR, region: REGION }).compile(db);
        await b.owner('BEGIN');
        await b.owner(`SET LOCAL work_mem = '256MB'`);
        for (const st of prepareScreen({ year: YEAR, region: REGION }, { historyMonths: 6, feeLines: true, rules })) {
          const c = st.compile(db);
          const pl = await b.owner(/^\s*CREATE/.test(c.sql) ? `EXPLAIN (ANALYZE) ${c.sql}` : c.sql, [...c.parameters]);
          if (/^\s*CREATE/.test(c.sql)) log(`prepare:\n${pl.rows.map((r) => (r as Record<string, string>)['QUERY PLAN']).join('\n')}`);
        }
        const plan = await b.owner(`EXPLAIN (ANALYZE, BUFFERS) ${q.sql}`, [...q.parameters]);
        await b.owner('ROLLBACK');
        log(`${code}:\n${plan.rows.map((r) => (r as Record<string, string>)['QUERY PLAN']).join('\n')}`);
      }
    }
    const load0 = loadavg();
    const t = await timed(() => runScreening(db, lib, { year: YEAR, region: REGION }), b.name);
    const run = t.value;
    const total = t.seconds;
    log(table(['rule', 'name', 'cases found', 'ms'], [['—', 'the rows read once (temporary tables)', '', fmtInt(run.readMs)], ...run.rules.map((r) => [r.code, r.name, fmtInt(r.found), fmtInt(r.ms)])]));
    const missing = run.rules.filter((r) => r.found === 0 && !['FR09'].includes(r.code));
    if (missing.length) throw new Error(`the generated data should give every rule but FR09 some hits; none for ${missing.map((r) => r.code).join(', ')}`);
    log(`\nall ${run.rules.length} rules over ${fmtInt(n)} settlements: ${fmt(total, 1)} s wall, ${t.dbCpu === null ? '—' : fmt(t.dbCpu, 1)} s backend CPU (target < 60 s: ${total < 60 ? 'met' : 'NOT met'}); ÷ one sequential scan of the rows = ${fmt(total / floorS, 1)}× wall, ${t.dbCpu === null ? '—' : fmt(t.dbCpu / floorCpu, 1)}× CPU; load before ${load0}, after ${loadavg()}`);
    const again = await timed(() => runScreening(db, lib, { year: YEAR, region: REGION }), b.name);
    log(`screened again (every hit already a case, ON CONFLICT DO NOTHING): ${fmt(again.seconds, 1)} s wall, ${again.dbCpu === null ? '—' : fmt(again.dbCpu, 1)} s backend CPU, ${fmtInt(again.value.rules.reduce((s, r) => s + r.found, 0))} new cases`);
  } finally {
    if (keep) {
      log(`\nkept the database ${b.name} (BENCH_RISK_KEEP=on): measure again with BENCH_RISK_REUSE=${b.name}; drop it with dropdb ${b.name}`);
      process.exit(0);
    }
    await b.drop();
    await dropAllCreated();
  }
}

main().catch(async (e: Error) => {
  console.error(e.stack ?? e.message);
  await dropAllCreated();
  process.exit(1);
});
