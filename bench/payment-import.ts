/**
 * `npm run bench` (after bench/monitoring.ts), or alone: `npx tsx bench/payment-import.ts`.
 * Issue #14 (c): the year's payment file, one row per payer, through importPaymentFile (the
 * re-quote on the date, payment rows, enrollments paid with the progress triggers, the ledger's
 * entries and postings with the balance check, duplicate checks, newborns following a guardian,
 * one audit row per payment), beside psql's `\copy` of the same file into a bare 6-column table
 * in the same run. Target: within 3× of COPY.
 *
 * Untimed setup, in a database of its own on the PostgreSQL server (dropped at the end, also on
 * failure or Ctrl-C): a generated town of N persons written in SQL, the assessment of the year
 * through assessYear, the payment file written with each person's due on the payment date (the
 * engine, in-process), a CHECKPOINT before each timed step.
 *
 * Environment: BENCH_PAYMENTS_PERSONS (1 000 000), BENCH_PAYMENTS_BATCH (importPaymentFile's
 * default when unset), BENCH_DATABASE_URL (default TEST_DATABASE_URL or postgres://127.0.0.1:5432/test).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importPaymentFile } from '../src/monitoring/payment-file.js';
import { QuoteService } from '../src/quotes/quote-service.js';
import { YEAR, writePaymentFile } from './support/payment-file.js';
import { SYSTEM } from '../src/access/roles.js';
import { dropAllCreated, dropOnSignals, envInt, fmt, fmtInt, freshServerDatabase, loadavg, log, machineLine, psql, table, timed } from './record/support.js';


async function main(): Promise<void> {
  const n = envInt('BENCH_PAYMENTS_PERSONS', 1_000_000);
  const batch = process.env.BENCH_PAYMENTS_BATCH ? envInt('BENCH_PAYMENTS_BATCH', 10_000) : undefined;
  const dir = mkdtempSync(join(tmpdir(), 'yibao-bench-payments-'));
  dropOnSignals(async () => rmSync(dir, { recursive: true, force: true }));
  log('yibao bench — a payment file through importPaymentFile beside COPY, on PostgreSQL (issue #14 (c))');
  const b = await freshServerDatabase('payments', 4);
  try {
    for (const l of await machineLine(b.database)) log(l);
    log(`\n=== setup: ${fmtInt(n)} persons, coverage year ${YEAR} ===`);
    const { file, rows } = await writePaymentFile(b, n, dir);
    const db = b.database.db;
    const quotes = QuoteService.load();
    await b.owner('CHECKPOINT');
    const load0 = loadavg();
    const imp = await timed(() => importPaymentFile(db, quotes, SYSTEM, { path: file, batchSize: batch }), b.name);
    const s = imp.value;
    // a newborn whose guardian's payment came earlier in the file already follows the guardian: its own payment is
    // refused as a second payment (and flagged), as it would be from the tax bureau; anything else refused is a failure
    const unexpected = s.problems.filter((p) => !p.reason.startsWith('DUPLICATE_ENROLLMENT'));
    if (s.inserted + s.bad !== rows || unexpected.length || s.newbornsFollowing < s.bad)
      throw new Error(`the payment file should record all ${rows} payments (recorded ${s.inserted}, bad ${s.bad}: ${JSON.stringify(unexpected.slice(0, 3))})`);
    const written = await b.owner(`SELECT (SELECT count(*) FROM payment) AS payment, (SELECT count(*) FROM journal_entry) AS journal_entry,
      (SELECT count(*) FROM posting) AS posting, (SELECT count(*) FROM audit_log) AS audit_log, (SELECT count(*) FROM enrollment WHERE state = 'paid') AS paid`);
    const unbalanced = await b.owner('SELECT count(*) AS n FROM (SELECT entry_id FROM posting GROUP BY entry_id HAVING sum(amount_fen) <> 0) x');
    if (Number(unbalanced.rows[0].n) !== 0) throw new Error(`${unbalanced.rows[0].n} journal entries do not balance`);
    await b.owner('CREATE TABLE payment_floor (reference text, id_number text, amount numeric, paid_on date, channel text, coverage_year int)');
    await b.owner('CHECKPOINT');
    const copy = await timed(() => psql(b.url, `\\copy payment_floor FROM '${file}' WITH (FORMAT csv, HEADER true)`), b.name);
    if (copy.value.code !== 0) throw new Error(`psql \\copy failed: ${copy.value.stderr}`);
    const ratio = imp.seconds / copy.seconds;
    log(`\n=== (c) the payment file: ${fmtInt(rows)} rows through importPaymentFile (batches of ${batch === undefined ? 'the default size' : fmtInt(batch)}), beside COPY of the same rows into a bare table ===`);
    log(`load average before the import ${load0}, after the COPY ${loadavg()}`);
    log(table(['step', 'rows', 'wall s', 'rows/s', 'node CPU s', 'backends CPU s'], [
      ['importPaymentFile (re-quote, payment, enrollment + progress triggers, ledger + balance check, duplicates, newborns, audit)', fmtInt(s.inserted), fmt(imp.seconds), fmtInt(s.inserted / imp.seconds), fmt(imp.nodeCpu, 1), imp.dbCpu === null ? '—' : fmt(imp.dbCpu, 1)],
      ['floor: psql \\copy of the file into payment_floor (6 columns, no index)', fmtInt(rows), fmt(copy.seconds), fmtInt(rows / copy.seconds), '(psql)', copy.dbCpu === null ? '—' : fmt(copy.dbCpu, 1)],
    ]));
    log(`import ÷ COPY = ${fmt(ratio, 2)}× (target ≤ 3×: ${ratio <= 3 ? 'met' : 'NOT met'})`);
    const w = written.rows[0];
    log(`  written: ${fmtInt(Number(w.paid))} enrollments paid (${fmtInt(s.newbornsFollowing)} newborns following a guardian; ${fmtInt(s.bad)} of them refused as second payments), payment ${fmtInt(Number(w.payment))}, journal_entry ${fmtInt(Number(w.journal_entry))}, posting ${fmtInt(Number(w.posting))}, audit_log ${fmtInt(Number(w.audit_log))}; every entry balances`);
  } finally {
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
