/**
 * The enrollment campaign on the command line, against the system of record (DATABASE_URL,
 * or the embedded database in YIBAO_DATA / ./data/pglite):
 *   yibao campaign assess <year> [--village <code>…]
 *   yibao campaign collection-list <year> -o list.xlsx [--village <code>…] [--masked]
 *   yibao campaign employee-list <file> [--source <text>] [--year <year>]
 *   yibao payments import <file>
 * Changes are audited under the name cli:<OS user>, as an admin.
 * Exit codes: 0 done; 1 done, but some rows were bad or refused; 2 bad input.
 */
import { userInfo } from 'node:os';
import { basename } from 'node:path';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { ConflictError, ForbiddenError, InputError, NotFoundError } from '../errors.js';
import type { Actor } from '../access/roles.js';
import { planCollectionList, writeCollectionList } from '../campaign/collection-list.js';
import { importEmployeeList } from '../campaign/duplicates.js';
import { recordPayment } from '../campaign/payments.js';
import { QuoteService } from '../quotes/quote-service.js';
import { formatOf, readSheetRows } from '../sheets.js';
import { openDatabase, type Database } from '../store/db.js';
import { assessYear } from '../campaign/assessment.js';
import { type PaymentInput } from '../campaign/payments.js';

const cliActor = (): Actor => ({ userId: '0', username: `cli:${userInfo().username}`, role: 'admin', villages: [], hospitalCode: null });

function yearArg(v: string): number {
  if (!/^\d{4}$/.test(v) || Number(v) < 2000 || Number(v) > 2100) throw new InputError('year', `${v} is not a coverage year (2000–2100)`);
  return Number(v);
}

async function withDb<T>(fn: (d: Database) => Promise<T>): Promise<T> {
  const d = await openDatabase();
  try {
    return await fn(d);
  } finally {
    await d.close();
  }
}

/** Headings of a payments sheet: field → accepted headings. */
const PAYMENT_COLUMNS: Record<string, string[]> = {
  reference: ['reference', '流水号', '缴费流水号', '交易流水号'],
  channel: ['channel', '渠道', '缴费渠道'],
  enrollmentId: ['enrollmentid', '参保登记号'],
  idNumber: ['idnumber', '身份证号', '身份证号码', '公民身份号码'],
  coverageYear: ['coverageyear', '年度', '参保年度', '待遇年度'],
  amountYuan: ['amountyuan', 'amount', '金额', '缴费金额', '缴费金额(元)'],
  paidOn: ['paidon', '缴费日期'],
};
const CHANNEL_NAMES: Record<string, string> = { 线上: 'online', 线下: 'offline', 税务: 'tax_bureau', 医疗救助: 'medical_assistance' };

export function campaignCommands(program: Command): void {
  const service = (): QuoteService => QuoteService.load(program.opts<{ policies?: string }>().policies);
  const campaign = program.command('campaign').description('the enrollment campaign: assessment, collection list, employee-insurance list');

  campaign
    .command('assess')
    .description('assess every person of the register for a coverage year (paid enrollments are kept)')
    .argument('<year>', 'coverage year, e.g. 2022')
    .option('--village <codes...>', 'only these villages or townships')
    .option('--no-progress', 'no progress bar')
    .action(async (y: string, o: { village?: string[]; progress: boolean }) => {
      const year = yearArg(y);
      const quotes = service();
      await withDb(async (d) => {
        const bar = o.progress
          ? new cliProgress.SingleBar({ format: 'assessing |{bar}| {percentage}% · {value}/{total} persons · {eta_formatted} left', stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic)
          : null;
        bar?.start(1, 0);
        const s = await assessYear(d.db, quotes, {
          coverageYear: year,
          villages: o.village,
          actor: cliActor(),
          onProgress: (done, total) => {
            bar?.setTotal(Math.max(total, 1));
            bar?.update(done);
          },
        }).finally(() => bar?.stop());
        console.error(
          `${s.persons} persons in ${(s.ms / 1000).toFixed(1)} s: ${s.assessed} assessed, ${s.refused} refused, ${s.blocked} blocked as duplicates, ${s.followingGuardian} newborns following a guardian, ${s.paidKept} already paid (kept); ${s.inserted} new, ${s.updated} changed, ${s.unchanged} unchanged; ${s.bad} could not be quoted.`,
        );
        for (const p of s.problems.slice(0, 20)) console.error(`  person ${p.personId}: ${p.field}: ${p.message}`);
        if (s.bad) process.exitCode = 1;
      });
    });

  campaign
    .command('collection-list')
    .description('write the collection list for the tax bureau (full ID numbers; audited)')
    .argument('<year>', 'coverage year')
    .requiredOption('-o, --output <path>', '.csv or .xlsx')
    .option('--village <codes...>', 'only these villages or townships')
    .option('--masked', 'mask ID numbers and names')
    .action(async (y: string, o: { output: string; village?: string[]; masked?: boolean }) => {
      const year = yearArg(y);
      const format = formatOf(o.output, 'output');
      const quotes = service();
      await withDb(async (d) => {
        const plan = await planCollectionList(d.db, cliActor(), { coverageYear: year, format, villages: o.village, masked: o.masked });
        const n = await writeCollectionList(d.db, quotes, plan, o.output);
        console.error(`${n} enrollments to collect for ${year}${plan.full ? ' (full ID numbers: an official handover)' : ' (masked)'}: ${o.output}`);
      });
    });

  campaign
    .command('employee-list')
    .description('import an employee-insurance list (身份证号, 年度): persons on it are flagged and their unpaid enrollments blocked')
    .argument('<file>', '.csv or .xlsx')
    .option('--source <text>', 'where the list comes from (default: the file name)')
    .option('--year <year>', 'the coverage year of every row, when the sheet has no 年度 column')
    .action(async (file: string, o: { source?: string; year?: string }) => {
      const format = formatOf(file, 'file');
      await withDb(async (d) => {
        const s = await importEmployeeList(d.db, cliActor(), file, { fileName: basename(file), format, source: o.source, coverageYear: o.year ? yearArg(o.year) : undefined });
        console.error(`${s.rows} rows: ${s.added} added to the list, ${s.unchanged} already on it, ${s.bad} bad; ${s.flagged} persons flagged, ${s.blocked} enrollments blocked, ${s.paidFlagged} already paid (flagged for review).`);
        for (const p of s.problems.slice(0, 20)) console.error(`  line ${p.line}: ${p.field}: ${p.message}`);
        if (s.bad) process.exitCode = 1;
      });
    });

  const payments = program.command('payments').description('payments of the campaign');
  payments
    .command('import')
    .description('record the payments of a sheet (流水号, 渠道, 身份证号, 年度, 金额, 缴费日期 — or参保登记号): idempotent by reference, so a file may be imported again')
    .argument('<file>', '.csv or .xlsx')
    .action(async (file: string) => {
      const format = formatOf(file, 'file');
      const quotes = service();
      const actor = cliActor();
      await withDb(async (d) => {
        let cols: Map<string, number> | null = null;
        const n = { rows: 0, recorded: 0, replayed: 0, refused: 0, bad: 0 };
        const problems: string[] = [];
        for await (const row of readSheetRows(file, { format })) {
          if (!cols) {
            cols = new Map();
            row.cells.forEach((h, i) => {
              const k = h.trim().replace(/\s+/g, '').toLowerCase();
              for (const [field, names] of Object.entries(PAYMENT_COLUMNS)) if (names.includes(k)) cols!.set(field, i);
            });
            for (const need of ['reference', 'channel', 'amountYuan', 'paidOn'])
              if (!cols.has(need)) throw new InputError('header', `the first row must name the column ${need} (${PAYMENT_COLUMNS[need].slice(1).join(' / ')})`);
            if (!cols.has('enrollmentId') && !(cols.has('idNumber') && cols.has('coverageYear'))) throw new InputError('header', 'name 参保登记号, or 身份证号 and 年度');
            continue;
          }
          n.rows++;
          const get = (f: string): string | undefined => (cols!.has(f) ? (row.cells[cols!.get(f)!] ?? '').trim() || undefined : undefined);
          const channel = get('channel');
          const year = get('coverageYear');
          const body = {
            reference: get('reference'),
            channel: channel ? (CHANNEL_NAMES[channel] ?? channel) : undefined,
            enrollmentId: get('enrollmentId'),
            idNumber: get('idNumber'),
            coverageYear: year && /^\d+$/.test(year) ? Number(year) : year,
            amountYuan: get('amountYuan'),
            paidOn: get('paidOn'),
          };
          try {
            // the sheet's text as sent: recordPayment checks every field and names the one that is wrong
            const r = await recordPayment(d.db, quotes, actor, Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined)) as PaymentInput);
            if (r.replayed) n.replayed++;
            else n.recorded++;
          } catch (e) {
            if (e instanceof InputError) n.bad++;
            else if (e instanceof ConflictError || e instanceof NotFoundError || e instanceof ForbiddenError) n.refused++;
            else throw e;
            const msg = e instanceof ConflictError ? `${e.code}: ${e.message}` : (e as Error).message;
            if (problems.length < 1000) problems.push(`line ${row.line}: ${msg}`);
          }
        }
        console.error(`${n.rows} payments: ${n.recorded} recorded, ${n.replayed} already recorded (same reference), ${n.refused} refused, ${n.bad} bad.`);
        for (const p of problems.slice(0, 20)) console.error(`  ${p}`);
        if (problems.length > 20) console.error(`  … ${problems.length - 20} more`);
        if (n.refused || n.bad) process.exitCode = 1;
      });
    });
}
