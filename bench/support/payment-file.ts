/**
 * The payment file bench/payment-import.ts and bench/profile-payment-import.ts import (untimed
 * setup): the generated town and its assessment (bench/support/town.ts), then one row per payer
 * paying by 30 September, each amount quoted by the engine on its date.
 */
import { join } from 'node:path';
import { statSync } from 'node:fs';
import { sql } from 'kysely';
import { openSheetWriter } from '../../src/sheets.js';
import { QuoteService } from '../../src/quotes/quote-service.js';
import { loadAssessedTown } from './town.js';
import { fmt, fmtInt, log, type BenchDatabase } from '../record/support.js';

export const YEAR = 2022;

/** The town, its assessment and the payment file (untimed); returns the file and its rows. */
export async function writePaymentFile(b: BenchDatabase, n: number, dir: string): Promise<{ file: string; rows: number }> {
  const db = b.database.db;
  const { town } = await loadAssessedTown(b, n, YEAR);
  const quotes = QuoteService.load();
  const f0 = performance.now();
  const file = join(dir, 'payments.csv');
  const w = await openSheetWriter(file, '缴费明细');
  await w.write(['流水号', '身份证号', '缴费金额', '缴费日期', '缴费渠道', '年度']);
  const payOn = new Map(town.persons.filter((p) => p.payment && p.payment.paidOn <= `${YEAR}-09-30`).map((p) => [p.idNumber, p.payment!]));
  let rows = 0;
  let after = '0';
  for (;;) {
    const { rows: page } = await sql<{ id: string; id_number: string; request: Record<string, unknown> }>`
      SELECT e.id, p.id_number, e.quote->'request' AS request FROM enrollment e JOIN person p ON p.id = e.person_id
      WHERE e.coverage_year = ${YEAR} AND e.state = 'assessed' AND e.id > ${after}::bigint ORDER BY e.id LIMIT 50000`.execute(db);
    if (!page.length) break;
    after = String(page[page.length - 1].id);
    for (const r of page) {
      const pay = payOn.get(r.id_number);
      if (!pay) continue;
      const q = quotes.contribution({ ...r.request, paidOn: pay.paidOn, trace: false });
      if (!q.accepted || q.individualDue === null) continue;
      const amount = q.individualDue === 0 ? (q.contributionAssistance ?? 0) : q.individualDue;
      await w.write([`BENCH${String(++rows).padStart(8, '0')}`, r.id_number, amount.toFixed(2), pay.paidOn, q.individualDue === 0 ? '医疗救助' : pay.channel === 'online' ? '线上' : '线下', YEAR]);
    }
  }
  await w.close();
  log(`setup (untimed): the payment file, ${fmtInt(rows)} rows (${(statSync(file).size / 2 ** 20).toFixed(1)} MiB), each amount quoted on its date, in ${fmt((performance.now() - f0) / 1000, 1)} s`);
  return { file, rows };
}

