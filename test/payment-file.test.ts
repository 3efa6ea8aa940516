/**
 * The payment file's guarantees at the level of the whole file (src/monitoring/payment-file.ts),
 * on PGlite and on the PostgreSQL server, over a seeded small town:
 *  - a file that fails part-way (a line past the first batches cannot be read) leaves nothing
 *    written: no payment, enrollment change, journal entry, posting, audit row or import_batch
 *    row, although earlier batches had been written in its transaction (batches of one row);
 *    batch by batch (atomic: false, the demo's way) the same file keeps its first batches;
 *  - a re-import of the same file pays once: every row replayed, the enrollments, the ledger and
 *    the payments as they were; the same payment sent again under another reference is refused
 *    as a second payment and posts nothing; every entry balances.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { importPaymentFile } from '../src/monitoring/payment-file.ts';
import { unbalancedEntries } from '../src/ledger/ledger.ts';
import { QuoteService } from '../src/quotes/quote-service.ts';
import { seedDemo } from '../src/sim/seed-demo.ts';
import { SYSTEM } from '../src/access/roles.ts';
import { InputError } from '../src/errors.ts';
import { BACKENDS, freshDatabase, type TestDatabase } from './support/databases.ts';

const quotes = QuoteService.load();

for (const backend of BACKENDS)
  describe(`a payment file as a whole on ${backend}`, () => {
    let d: TestDatabase;
    let dir: string;
    let open: { id: string; due: string; idNumber: string }[];
    before(async () => {
      d = await freshDatabase(backend);
      dir = mkdtempSync(join(tmpdir(), 'yibao-payment-file-'));
      await seedDemo(d, quotes, { people: 150, maxEncounters: 0 });
      const rows = await d.db.selectFrom('enrollment as e').innerJoin('person as p', 'p.id', 'e.person_id').select(['e.id', 'e.due_fen', 'p.id_number'])
        .where('e.state', '=', 'assessed').where('e.due_fen', '>', '0').where('e.coverage_year', '=', 2022).orderBy('e.id').limit(3).execute();
      // the amount due on the payment date of the files below (the stored quote's date may differ)
      open = rows.map((r) => ({ id: String(r.id), idNumber: r.id_number, due: '' }));
      for (const o of open) {
        const e = await d.db.selectFrom('enrollment').select('quote').where('id', '=', o.id).executeTakeFirstOrThrow();
        const q = quotes.contribution({ ...(e.quote as { request: Record<string, unknown> }).request, paidOn: '2022-02-10', trace: false });
        assert.ok(q.accepted && q.individualDue! > 0, 'payable on 2022-02-10');
        o.due = q.individualDue!.toFixed(2);
      }
      assert.equal(open.length, 3, 'three unpaid enrollments');
    });
    after(async () => {
      await d?.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    const state = async () => {
      const n = async (t: string) => Number((await sql<{ n: string }>`SELECT count(*)::text AS n FROM ${sql.table(t)}`.execute(d.db)).rows[0].n);
      const enrollments = await d.db.selectFrom('enrollment').select(['id', 'state', 'version', 'paid_on']).where('id', 'in', open.map((o) => o.id)).orderBy('id').execute();
      return {
        payment: await n('payment'), journal_entry: await n('journal_entry'), posting: await n('posting'), audit_log: await n('audit_log'), import_batch: await n('import_batch'),
        enrollments: enrollments.map((e) => [String(e.id), e.state, Number(e.version), e.paid_on]),
      };
    };
    const file = (name: string, lines: string[]): string => {
      const p = join(dir, name);
      writeFileSync(p, ['流水号,身份证号,缴费金额,缴费日期,缴费渠道,年度', ...lines].join('\n'));
      return p;
    };
    const good = (i: number, ref = `WHOLE-${i}`) => `${ref},${open[i].idNumber},${open[i].due},2022-02-10,线下,2022`;

    test('a file unreadable past its first batches writes nothing; batch by batch it keeps them', async () => {
      const before = await state();
      // the broken line well past the reader's first chunks (rows with a bad amount in between: problems by line, not writes)
      const padding = Array.from({ length: 4000 }, (_, i) => `PAD-${i},${open[2].idNumber},abc,2022-02-10,线下,2022`);
      const broken = file('broken.csv', [good(0), good(1), ...padding, `WHOLE-X,${open[2].idNumber},12"3.00,2022-02-10,线下,2022`, good(2)]);
      await assert.rejects(importPaymentFile(d.db, quotes, SYSTEM, { path: broken, batchSize: 1 }), (e: Error) => e instanceof InputError && /not a readable CSV/.test(e.message));
      assert.deepEqual(await state(), before, 'nothing written: no payment, enrollment change, entry, posting, audit row nor import batch');
      // the contrast (the demo's way): batches of one row, each its own transaction, the first two kept
      await assert.rejects(importPaymentFile(d.db, quotes, SYSTEM, { path: broken, batchSize: 1, atomic: false }), InputError);
      const after = await state();
      assert.equal(after.payment, before.payment + 2);
      assert.deepEqual(after.enrollments.map((e) => e[1]), ['paid', 'paid', 'assessed']);
      assert.deepEqual(await unbalancedEntries(d.db), []);
    });

    test('the same file again pays once; the same payment under another reference is refused and posts nothing', async () => {
      const whole = file('whole.csv', [good(0), good(1), good(2)]);
      const first = await importPaymentFile(d.db, quotes, SYSTEM, { path: whole, batchSize: 2 });
      // rows 1 and 2 were kept by the batch-by-batch import above: replayed; row 3 recorded now
      assert.deepEqual({ inserted: first.inserted, replayed: first.replayed, bad: first.bad }, { inserted: 1, replayed: 2, bad: 0 }, JSON.stringify(first.problems));
      const paid = await state();
      assert.deepEqual(paid.enrollments.map((e) => e[1]), ['paid', 'paid', 'paid']);
      const again = await importPaymentFile(d.db, quotes, SYSTEM, { path: whole, batchSize: 2 });
      assert.deepEqual({ inserted: again.inserted, replayed: again.replayed, bad: again.bad }, { inserted: 0, replayed: 3, bad: 0 });
      const replayed = await state();
      assert.deepEqual({ ...replayed, audit_log: 0, import_batch: 0 }, { ...paid, audit_log: 0, import_batch: 0 }, 'payments, enrollments and the ledger as they were');
      assert.equal(replayed.import_batch, paid.import_batch + 1, 'the re-import is itself recorded');
      const twice = await importPaymentFile(d.db, quotes, SYSTEM, { path: file('twice.csv', [good(2, 'WHOLE-2-AGAIN')]) });
      assert.equal(twice.inserted, 0);
      assert.match(twice.problems[0].reason, /DUPLICATE_ENROLLMENT/);
      const after = await state();
      assert.deepEqual([after.payment, after.journal_entry, after.posting, after.enrollments], [paid.payment, paid.journal_entry, paid.posting, paid.enrollments], 'paid once');
      assert.deepEqual(await unbalancedEntries(d.db), []);
    });
  });
