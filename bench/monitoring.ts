/**
 * `npm run bench` (last), or alone: `npx tsx bench/monitoring.ts`. Campaign monitoring on the
 * PostgreSQL server, each figure beside its floor in the same run (issue #14):
 *
 *  (a) a county's progress as of a date (src/monitoring/progress.ts: targets, the rollup sums per
 *      village, last year, the half-month series, assistance by group) for 1 M persons, as of
 *      several dates, beside a plain GROUP BY over the same rows: enrollment ⋈ person, counted
 *      by village and paid-by-the-date. Targets: < 200 ms, within 3× of the GROUP BY.
 *  (b) a town's half-monthly report (JSON, XLSX and PDF) as of a date. Target: < 2 s.
 *  (c) (run first, it makes the data of (a) and (b)) the year's payment file, one row per payer,
 *      through importPaymentFile, beside psql's COPY of the same file into a bare table.
 *      Target (issue #14): within 3× of COPY.
 *
 * Untimed setup: a fresh database; a generated town of N persons (default 1 000 000) written in
 * SQL (areas, households, persons, needy statuses); the 2022 assessment through assessYear (its
 * time is printed: it now also writes enrollment_progress and progress_rollup through the
 * triggers); the payment file written with each person's due on the payment date (the engine,
 * in-process); after (c), VACUUM ANALYZE.
 *
 * Environment: BENCH_MONITORING_PERSONS (1 000 000), BENCH_MONITORING_ROUNDS (5 per date),
 * BENCH_MONITORING_IMPORT_ROWS (20 000: the size of (c)), BENCH_MONITORING_SKIP_C=on (no part (c):
 * every payer paid set-based, e.g. to build a database for (a) and (b) alone), BENCH_MONITORING_KEEP=on (keep the
 * database at the end), BENCH_MONITORING_REUSE=<name> ((a) and (b) again on a kept database, no
 * setup; dropped at the end unless kept again), BENCH_DATABASE_URL (default TEST_DATABASE_URL or
 * postgres://127.0.0.1:5432/test).
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB } from '../src/store/schema.js';
import { type FactsRow, type PersonQuote, factsQuery, quoteColumns, quotePerson, storedQuote, toFacts } from '../src/campaign/person-quote.js';
import { guardianFor, paidGuardians } from '../src/campaign/newborns.js';
import { importPaymentFile } from '../src/monitoring/payment-file.js';
import { openSheetWriter } from '../src/sheets.js';
import { halfMonthlyReport } from '../src/monitoring/half-monthly.js';
import { progress } from '../src/monitoring/progress.js';
import { reportPdf, reportXlsx } from '../src/monitoring/report-files.js';
import { QuoteService } from '../src/quotes/quote-service.js';
import { loadAssessedTown } from './support/town.js';
import { dropAllCreated, dropOnSignals, envInt, fmt, fmtInt, freshServerDatabase, keptServerDatabase, log, machineLine, processCpuSeconds, psql, quantile, table, timed, type BenchDatabase } from './record/support.js';
import { SYSTEM } from '../src/access/roles.js';

const YEAR = 2022;
// half-month ends (the dates of 每半月通报) and, since the half-month rollup (migration 040), dates inside a half-month,
// whose own days are read by day
const DATES = ['2021-12-15', '2021-12-31', '2022-01-15', '2022-01-31', '2022-02-15', '2022-02-28', '2022-03-31', '2022-06-30', '2022-09-30', '2021-12-24', '2022-01-10', '2022-02-21'];

const PAGE = 20_000;

type Channel = 'online' | 'offline' | 'medical_assistance';
interface Pay {
  idNumber: string;
  paidOn: string;
  channel: Channel;
  amountFen: number;
}

/**
 * The year's payments but those of `inFile`, set-based, as importPaymentFile writes them (src/monitoring/payment-file.ts):
 * per page of persons (in id order) each payer re-quoted on the payment date by quotePerson, the payment rows in one
 * insert and the enrollments paid in one update (the progress triggers run once per page); then newborns of the year
 * follow a paid guardian as followGuardian does (guardianFor, quoted with guardianEnrolled), in one update. Neither
 * ledger entries nor audit rows are written: progress reads neither. Returns the rows of the held-out payers' file,
 * each amount what the engine asks on its date.
 */
async function payInBulk(db: Kysely<DB>, quotes: QuoteService, payOn: Map<string, { paidOn: string; channel: 'online' | 'offline' }>, inFile: Set<string>) {
  let after = '0';
  let paid = 0;
  let skipped = 0;
  let ref = 0;
  const file: Pay[] = [];
  for (;;) {
    const { rows: page } = await factsQuery(YEAR, sql`p.id > ${after}::bigint`, sql`ORDER BY p.id LIMIT ${PAGE}`).execute(db);
    if (!page.length) break;
    after = String(page[page.length - 1].id);
    const writes: { r: FactsRow; q: PersonQuote; pay: Pay }[] = [];
    for (const r of page) {
      const pay = payOn.get(r.id_number);
      if (!pay || r.enrollment_id === null) continue;
      if (r.enrollment_state !== 'assessed' && r.enrollment_state !== 'refused') {
        skipped++;
        continue;
      }
      const q = quotePerson(quotes, toFacts(r), YEAR, { tier: r.enrollment_tier, paidOn: pay.paidOn, enrolledOn: pay.paidOn });
      if (!q.result.accepted || q.result.individualDue === null) {
        skipped++;
        continue;
      }
      const due = q.result.individualDue;
      const p: Pay = { idNumber: r.id_number, paidOn: pay.paidOn, channel: due === 0 ? 'medical_assistance' : pay.channel, amountFen: due === 0 ? (q.result.assistance ?? 0) : due };
      if (inFile.has(r.id_number)) file.push(p);
      else writes.push({ r, q, pay: p });
    }
    if (!writes.length) continue;
    await db.transaction().execute(async (tx) => {
      await sql`
        INSERT INTO payment (reference, channel, enrollment_id, amount_fen, paid_on, recorded_by)
        SELECT * FROM unnest(${writes.map(() => `BULK${String(++ref).padStart(8, '0')}`)}::text[], ${writes.map((w) => w.pay.channel)}::text[],
          ${writes.map((w) => w.r.enrollment_id)}::bigint[], ${writes.map((w) => w.pay.amountFen)}::bigint[], ${writes.map((w) => w.pay.paidOn)}::date[], ${writes.map(() => SYSTEM.username)}::text[])`.execute(tx);
      await payEnrollments(tx, writes.map((w) => ({ id: w.r.enrollment_id!, q: w.q, paid_fen: w.pay.amountFen, paid_on: w.pay.paidOn, guardian: null })));
    });
    paid += writes.length;
  }
  // newborns of the year not yet paid follow a paid guardian of their household
  const { rows: born } = await factsQuery(YEAR, sql`p.kind = 'newborn' AND p.birth_date BETWEEN ${`${YEAR}-01-01`}::date AND ${`${YEAR}-12-31`}::date`).execute(db);
  const open = born.filter((r) => r.enrollment_id !== null && (r.enrollment_state === 'assessed' || r.enrollment_state === 'refused') && r.household_id !== null);
  const guardians = await paidGuardians(db, [...new Set(open.map((r) => String(r.household_id)))], YEAR);
  const follow: Parameters<typeof payEnrollments>[1] = [];
  for (const r of open) {
    const f = toFacts(r);
    const g = guardianFor(f, YEAR, guardians);
    if (!g) continue;
    const q = quotePerson(quotes, f, YEAR, { tier: r.enrollment_tier, guardianEnrolled: true });
    if (q.result.accepted) follow.push({ id: r.enrollment_id!, q, paid_fen: 0, paid_on: null, guardian: g.personId });
  }
  if (follow.length) await db.transaction().execute((tx) => payEnrollments(tx, follow));
  return { paid, skipped, following: follow.length, file };
}

/** One update of the enrollments paid (the columns importPaymentFile and followGuardian set), through the triggers. */
async function payEnrollments(tx: Transaction<DB>, xs: { id: string; q: PersonQuote; paid_fen: number; paid_on: string | null; guardian: string | null }[]): Promise<void> {
  await sql`
    UPDATE enrollment e SET
      standard_fen = x.standard_fen, assistance_fen = x.assistance_fen, due_fen = x.due_fen, borne_fen = x.borne_fen, subsidy_fen = x.subsidy_fen,
      benefit_start = x.benefit_start, benefit_end = x.benefit_end, waiting_days = x.waiting_days, refusal_code = x.refusal_code,
      tier = x.tier, pack = x.pack, state = 'paid', block_reason = NULL, quote = x.quote, paid_fen = x.paid_fen, paid_on = x.paid_on,
      guardian_person_id = x.guardian, version = e.version + 1, updated_at = now()
    FROM jsonb_to_recordset(${JSON.stringify(xs.map((x) => ({ id: x.id, ...quoteColumns(x.q.result), tier: x.q.tier, pack: x.q.cp.pack.id, quote: storedQuote(x.q), paid_fen: x.paid_fen, paid_on: x.paid_on, guardian: x.guardian })))}::jsonb)
      AS x(id bigint, standard_fen bigint, assistance_fen bigint, due_fen bigint, borne_fen bigint, subsidy_fen bigint, benefit_start date, benefit_end date,
        waiting_days int, refusal_code text, tier text, pack text, quote jsonb, paid_fen bigint, paid_on date, guardian bigint)
    WHERE e.id = x.id`.execute(tx);
}

/** (c) the held-out payers' file through importPaymentFile, beside psql's COPY of the same file into a bare table. */
async function partC(b: BenchDatabase, quotes: QuoteService, dir: string, bulk: Awaited<ReturnType<typeof payInBulk>>): Promise<{ inserted: number; newbornsFollowing: number }> {
  const db = b.database.db;
  const file = join(dir, 'payments.csv');
  const w = await openSheetWriter(file, '缴费明细');
  await w.write(['流水号', '身份证号', '缴费金额', '缴费日期', '缴费渠道', '年度']);
  let rows = 0;
  for (const r of bulk.file) {
    rows++;
    await w.write([`BENCH${String(rows).padStart(8, '0')}`, r.idNumber, (r.amountFen / 100).toFixed(2), r.paidOn, r.channel === 'medical_assistance' ? '医疗救助' : r.channel === 'online' ? '线上' : '线下', YEAR]);
  }
  await w.close();
  log(`setup (untimed): the payment file of (c) ${file}: the campaign's last ${fmtInt(rows)} payers (BENCH_MONITORING_IMPORT_ROWS), ${(statSync(file).size / 2 ** 20).toFixed(1)} MiB, each amount quoted on its date`);
  await b.owner('ANALYZE');
  await b.owner('CHECKPOINT');
  const imp = await timed(() => importPaymentFile(db, quotes, SYSTEM, { path: file, batchSize: 2000 }), b.name);
  const s2 = imp.value;
  // a newborn whose guardian's payment came earlier (in the file or set-based) already follows the guardian: its own payment
  // is refused as a second payment (and flagged), as it would be from the tax bureau; anything else refused is a failure
  const unexpected = s2.problems.filter((p) => !p.reason.startsWith('DUPLICATE_ENROLLMENT'));
  if (s2.inserted + s2.bad !== rows || unexpected.length || s2.newbornsFollowing + bulk.following < s2.bad)
    throw new Error(`the payment file should record all ${rows} payments (recorded ${s2.inserted}, bad ${s2.bad}: ${JSON.stringify(unexpected.slice(0, 3))})`);
  log(`  ${fmtInt(s2.newbornsFollowing)} newborns followed a paying guardian of the file; ${fmtInt(s2.bad)} newborns following a guardian also had a payment of their own in the file, refused as a second payment and flagged`);
  await b.owner('CREATE TABLE payment_floor (reference text, id_number text, amount numeric, paid_on date, channel text, coverage_year int)');
  await b.owner('CHECKPOINT');
  const copy = await timed(() => psql(b.url, `\\copy payment_floor FROM '${file}' WITH (FORMAT csv, HEADER true)`), b.name);
  const ratio = imp.seconds / copy.seconds;
  log(`\n=== (c) the payment file: ${fmtInt(rows)} rows through importPaymentFile, beside COPY of the same rows into a bare table ===`);
  log(table(['step', 'rows', 'wall s', 'rows/s', 'node CPU s', 'backends CPU s'], [
    ['importPaymentFile (batches of 2 000: re-quote, payment, enrollment, ledger, audit, progress triggers)', fmtInt(s2.inserted), fmt(imp.seconds), fmtInt(s2.inserted / imp.seconds), fmt(imp.nodeCpu, 1), imp.dbCpu === null ? '—' : fmt(imp.dbCpu, 1)],
    ['floor: \\copy of the file into payment_floor (6 columns, no index)', fmtInt(rows), fmt(copy.seconds), fmtInt(rows / copy.seconds), '(psql)', copy.dbCpu === null ? '—' : fmt(copy.dbCpu, 1)],
  ]));
  log(`import ÷ COPY = ${fmt(ratio, 2)}× (target ≤ 3×: ${ratio <= 3 ? 'met' : 'NOT met'})`);
  const written = (await sql<{ t: string; n: string }>`
    SELECT t, (xpath('/row/n/text()', query_to_xml('SELECT count(*) AS n FROM ' || t, false, true, '')))[1]::text AS n
    FROM unnest(ARRAY['payment', 'journal_entry', 'posting', 'audit_log']) AS t`.execute(db)).rows;
  log(`  rows in the ledger and audit tables after (c) (the set-based payments wrote payment rows only): ${written.map((r) => `${r.t} ${fmtInt(Number(r.n))}`).join(', ')}`);
  return { inserted: s2.inserted, newbornsFollowing: s2.newbornsFollowing };
}

async function setup(b: BenchDatabase, n: number, dir: string, importRows: number, skipC: boolean): Promise<{ assessSeconds: number; paid: number }> {
  const db = b.database.db;
  const { town, assessSeconds } = await loadAssessedTown(b, n, YEAR);
  // the paid state of the year, set-based (untimed): all payers but the last `importRows` of the campaign (by payment date)
  // paid in pages of PAGE enrollments, each page one payment insert and one enrollment update through the progress triggers;
  // the held-out payers go into the payment file of (c), imported through importPaymentFile
  const quotes = QuoteService.load();
  const payers = town.persons.filter((p) => p.payment && p.payment.paidOn <= `${YEAR}-09-30`)
    .sort((x, y) => (x.payment!.paidOn < y.payment!.paidOn ? -1 : x.payment!.paidOn > y.payment!.paidOn ? 1 : x.idNumber < y.idNumber ? -1 : 1));
  const held = skipC ? 0 : Math.min(importRows, payers.length);
  const inFile = new Set(payers.slice(payers.length - held).map((p) => p.idNumber));
  const payOn = new Map(payers.map((p) => [p.idNumber, p.payment!]));
  const p0 = performance.now();
  const bulk = await payInBulk(db, quotes, payOn, inFile);
  log(`setup (untimed): ${fmtInt(bulk.paid)} payments set-based in ${fmt((performance.now() - p0) / 1000, 1)} s (pages of ${fmtInt(PAGE)}: payment rows, the enrollments paid as importPaymentFile pays them, `
    + `through the progress triggers; no ledger entries or audit rows), ${fmtInt(bulk.following)} newborns following a paid guardian; ${fmtInt(bulk.skipped)} payers not payable (blocked, refused by the rules)`);
  const c = skipC ? { inserted: 0, newbornsFollowing: 0 } : await partC(b, quotes, dir, bulk);
  if (skipC) log('setup: part (c) skipped (BENCH_MONITORING_SKIP_C=on): every payer paid set-based');
  const paid = bulk.paid + bulk.following + c.inserted + c.newbornsFollowing;
  const v0 = performance.now();
  await b.owner('VACUUM ANALYZE');
  log(`setup: VACUUM ANALYZE in ${fmt((performance.now() - v0) / 1000, 1)} s (what autovacuum would have done; this server runs without it)`);
  const sizes = (await sql<{ t: string; size: string; rows: string }>`
    SELECT t, pg_size_pretty(pg_total_relation_size(t::regclass)) AS size, (SELECT reltuples::bigint FROM pg_class WHERE oid = t::regclass)::text AS rows
    FROM unnest(ARRAY['person', 'enrollment', 'enrollment_progress', 'progress_rollup']) AS t`.execute(db)).rows;
  log(`sizes: ${sizes.map((r) => `${r.t} ${r.size} (${fmtInt(Number(r.rows))} rows)`).join(', ')}`);
  return { assessSeconds, paid };
}

async function time<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = process.hrtime.bigint();
  const v = await fn();
  return [Number(process.hrtime.bigint() - t0) / 1e6, v];
}

/**
 * Wall ms, and CPU ms of this process and of the database's backends (their /proc readings
 * before and after; the backends are those connected when it starts: the pool's, kept open
 * between calls), of one call. The CPU figures do not grow with the machine's load as wall
 * time does.
 */
async function timeCpu<T>(db: Kysely<DB>, fn: () => Promise<T>): Promise<{ ms: number; nodeMs: number; dbMs: number | null; value: T }> {
  const { rows } = await sql<{ pid: number }>`SELECT pid FROM pg_stat_activity WHERE datname = current_database()`.execute(db);
  const read = (): number | null => {
    let s = 0;
    for (const { pid } of rows) {
      const c = processCpuSeconds(pid);
      if (c === null) return null;
      s += c;
    }
    return s;
  };
  const d0 = read();
  const c0 = process.cpuUsage();
  const [ms, value] = await time(fn);
  const c = process.cpuUsage(c0);
  const d1 = read();
  return { ms, nodeMs: (c.user + c.system) / 1000, dbMs: d0 === null || d1 === null ? null : (d1 - d0) * 1000, value };
}

async function main(): Promise<void> {
  const n = envInt('BENCH_MONITORING_PERSONS', 1_000_000);
  const rounds = envInt('BENCH_MONITORING_ROUNDS', 5);
  const importRows = envInt('BENCH_MONITORING_IMPORT_ROWS', 20_000);
  const dir = mkdtempSync(join(tmpdir(), 'yibao-bench-monitoring-'));
  dropOnSignals(async () => rmSync(dir, { recursive: true, force: true }));
  log('yibao bench — campaign monitoring on PostgreSQL (issue #14)');
  const kept = process.env.BENCH_MONITORING_REUSE;
  const keep = process.env.BENCH_MONITORING_KEEP === 'on';
  const b = kept ? await keptServerDatabase(kept, 10) : await freshServerDatabase('monitoring', 10);
  try {
    for (const l of await machineLine(b.database)) log(l);
    if (kept) {
      const { rows } = await sql<{ n: string; paid: string }>`SELECT count(*) AS n, count(*) FILTER (WHERE state = 'paid') AS paid FROM enrollment WHERE coverage_year = ${YEAR}`.execute(b.database.db);
      log(`\n=== the database ${kept} a previous run kept: ${fmtInt(Number(rows[0].n))} enrollments of ${YEAR}, ${fmtInt(Number(rows[0].paid))} paid (no setup, no part (c)) ===`);
    } else {
      log(`\n=== setup: ${fmtInt(n)} persons, coverage year ${YEAR} ===`);
      await setup(b, n, dir, importRows, process.env.BENCH_MONITORING_SKIP_C === 'on');
    }
    const db = b.database.db;
    const quotes = QuoteService.load();
    const county = '500230';

    log(`\n=== (a) the county's progress as of ${DATES.length} dates, ${rounds} rounds each, beside a plain GROUP BY over the same rows ===`);
    const rollups = (await sql<{ t: string; n: string; pages: string }>`
      SELECT t, (xpath('/row/n/text()', query_to_xml('SELECT count(*) AS n FROM ' || t || ' WHERE coverage_year = ${sql.raw(String(YEAR))}', false, true, '')))[1]::text AS n,
        (pg_relation_size(t::regclass) / current_setting('block_size')::int)::text AS pages
      FROM unnest(ARRAY['progress_rollup', 'progress_half_month', 'progress_half_month_statuses']) AS t`.execute(b.database.db)).rows;
    log(`rows of ${YEAR} (the table's pages, all years, live and dead): ${rollups.map((r) => `${r.t} ${fmtInt(Number(r.n))} (${fmtInt(Number(r.pages))} pages)`).join(', ')}; load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
    const ours: number[] = [];
    const cpuNode: number[] = [];
    const cpuDb: number[] = [];
    const plain: number[] = [];
    const narrow: number[] = [];
    const rows: (string | number)[][] = [];
    // one warm-up of each, not counted
    await progress(db, quotes, SYSTEM, { area: county, year: YEAR, asOf: DATES[0] });
    const plainSql = (d: string) => sql<{ village_code: string; n: string; paid: string }>`
      SELECT p.village_code, count(*) AS n, count(*) FILTER (WHERE e.state = 'paid' AND e.paid_on <= ${d}::date) AS paid
      FROM enrollment e JOIN person p ON p.id = e.person_id WHERE e.coverage_year = ${YEAR} GROUP BY p.village_code`;
    const narrowSql = (d: string) => sql<{ village_code: string; n: string; paid: string }>`
      SELECT village_code, count(*) AS n, count(*) FILTER (WHERE state = 'paid' AND enrolled_on <= ${d}::date) AS paid
      FROM enrollment_progress WHERE coverage_year = ${YEAR} GROUP BY village_code`;
    await plainSql(DATES[0]).execute(db);
    for (const d of DATES) {
      const o: number[] = [];
      const p: number[] = [];
      const q: number[] = [];
      let agree = true;
      for (let r = 0; r < rounds; r++) {
        const { ms: t1, nodeMs, dbMs, value: pr } = await timeCpu(db, () => progress(db, quotes, SYSTEM, { area: county, year: YEAR, asOf: d }));
        cpuNode.push(nodeMs);
        if (dbMs !== null) cpuDb.push(dbMs);
        const [t2, pl] = await time(() => plainSql(d).execute(db));
        const [t3] = await time(() => narrowSql(d).execute(db));
        o.push(t1);
        p.push(t2);
        q.push(t3);
        void pl;
        if (r === 0) {
          // the agreement check (untimed): paid by the payment date, newborns following a guardian from the guardian's date or their birth
          const { rows: c } = await sql<{ n: string }>`
            SELECT count(*) AS n FROM enrollment e JOIN person p ON p.id = e.person_id
            WHERE e.coverage_year = ${YEAR} AND e.state = 'paid'
              AND COALESCE(e.paid_on, (SELECT GREATEST(g.paid_on, p.birth_date) FROM enrollment g WHERE g.person_id = e.guardian_person_id AND g.coverage_year = e.coverage_year)) <= ${d}::date`.execute(db);
          if (Number(c[0].n) !== pr.totals.paid) agree = false;
        }
        if (r === 0) rows.push([d, fmtInt(pr.totals.paid), pr.totals.rate?.text ?? '—']);
      }
      if (!agree) throw new Error(`as of ${d} the progress and the plain GROUP BY disagree on the paid count`);
      o.sort((a, c) => a - c);
      p.sort((a, c) => a - c);
      q.sort((a, c) => a - c);
      rows[rows.length - 1].push(fmt(quantile(o, 0.5), 1), fmt(o[o.length - 1], 1), fmt(quantile(p, 0.5), 1), fmt(quantile(q, 0.5), 1), fmt(quantile(o, 0.5) / quantile(p, 0.5), 3));
      ours.push(...o);
      plain.push(...p);
      narrow.push(...q);
    }
    log(table(['as of', 'paid', 'rate', 'progress p50 ms', 'progress max ms', 'GROUP BY enrollment⋈person p50 ms', 'GROUP BY enrollment_progress p50 ms', 'progress ÷ GROUP BY'], rows));
    ours.sort((a, c) => a - c);
    plain.sort((a, c) => a - c);
    narrow.sort((a, c) => a - c);
    const ratio = quantile(ours, 0.5) / quantile(plain, 0.5);
    log(`\nall dates: progress p50 ${fmt(quantile(ours, 0.5), 1)} ms, p95 ${fmt(quantile(ours, 0.95), 1)} ms, p99 ${fmt(quantile(ours, 0.99), 1)} ms, max ${fmt(ours[ours.length - 1], 1)} ms (target < 200 ms: p50 ${quantile(ours, 0.5) < 200 ? 'met' : 'NOT met'}, p99 ${quantile(ours, 0.99) < 200 ? 'met' : 'NOT met'}); load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
    cpuNode.sort((a, c) => a - c);
    cpuDb.sort((a, c) => a - c);
    log(`  progress CPU per call: this process p50 ${fmt(quantile(cpuNode, 0.5), 1)} ms (max ${fmt(cpuNode[cpuNode.length - 1], 1)}), the database's backends p50 ${cpuDb.length ? fmt(quantile(cpuDb, 0.5), 1) : '—'} ms (max ${cpuDb.length ? fmt(cpuDb[cpuDb.length - 1], 1) : '—'}; /proc ticks of 10 ms)`);
    log(`  plain GROUP BY over enrollment ⋈ person p50 ${fmt(quantile(plain, 0.5), 1)} ms; over the narrow enrollment_progress p50 ${fmt(quantile(narrow, 0.5), 1)} ms`);
    log(`  progress ÷ plain GROUP BY = ${fmt(ratio, 3)}× (target ≤ 3×: ${ratio <= 3 ? 'met' : 'NOT met'}); progress ÷ GROUP BY of the narrow rows = ${fmt(quantile(ours, 0.5) / quantile(narrow, 0.5), 3)}×`);

    log(`\n=== (b) a town's half-monthly report: JSON, XLSX and PDF ===`);
    const town = (await sql<{ code: string; name: string; n: string }>`
      SELECT t.code, t.name, count(*) AS n FROM admin_area t JOIN person p ON p.village_code LIKE t.code || '%' WHERE t.level = 'township' GROUP BY 1, 2 ORDER BY 1 LIMIT 1`.execute(db)).rows[0];
    // warm-up, not counted: the figures, and a PDF (the process's first PDF reads and parses the CJK font, ~1 s)
    await reportPdf(await halfMonthlyReport(db, quotes, SYSTEM, { town: town.code, asOf: '2022-01-31' }));
    const rep: (string | number)[][] = [];
    const totals: number[] = [];
    for (const d of ['2022-01-15', '2022-01-31', '2022-02-28', '2022-06-30']) {
      const { ms: tj, nodeMs: cj, dbMs: dj, value: r } = await timeCpu(db, () => halfMonthlyReport(db, quotes, SYSTEM, { town: town.code, asOf: d }));
      const { ms: tx, nodeMs: cx, value: x } = await timeCpu(db, () => reportXlsx(r));
      const { ms: tp, nodeMs: cp, value: p } = await timeCpu(db, () => reportPdf(r));
      totals.push(tj + tx + tp);
      rep.push([d, r.villages.length, fmtInt(r.totals.enrolled), r.totals.rate?.text ?? '—', fmt(tj, 1), fmt(tx, 1), fmt(tp, 1), fmt(tj + tx + tp, 1),
        `${fmt(cj, 0)} + ${dj === null ? '—' : fmt(dj, 0)} / ${fmt(cx, 0)} / ${fmt(cp, 0)}`, `${fmtInt(x.length)} / ${fmtInt(p.length)}`]);
    }
    log(`town ${town.name} (${town.code}), ${fmtInt(Number(town.n))} persons`);
    log(table(['as of', 'villages', 'enrolled', 'rate', 'figures ms', 'XLSX ms', 'PDF ms', 'all three ms', 'CPU ms: figures node + db / XLSX / PDF', 'bytes XLSX / PDF'], rep));
    const worst = Math.max(...totals);
    log(`\nworst report (figures + XLSX + PDF) ${fmt(worst, 1)} ms (target < 2 s: ${worst < 2000 ? 'met' : 'NOT met'})`);
  } finally {
    if (keep) {
      log(`\nkept the database ${b.name} (BENCH_MONITORING_KEEP=on): measure again with BENCH_MONITORING_REUSE=${b.name}; drop it with dropdb ${b.name}`);
      process.exit(0);
    }
    await b.drop();
    await dropAllCreated();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch(async (e: Error) => {
  console.error(e.stack ?? e.message);
  await dropAllCreated();
  process.exit(1);
});
