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
import { InputError } from '../errors.js';
import type { Actor } from '../access/roles.js';
import { planCollectionList, writeCollectionList } from '../campaign/collection-list.js';
import { importEmployeeList } from '../campaign/duplicates.js';
import { QuoteService } from '../quotes/quote-service.js';
import { formatOf } from '../sheets.js';
import { importPayments } from '../campaign/payment-import.js';
import { openDatabase, type Database } from '../store/db.js';
import { assessYear } from '../campaign/assessment.js';

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
        const n = await importPayments(d.db, quotes, actor, file, { format });
        console.error(`${n.rows} payments: ${n.recorded} recorded, ${n.replayed} already recorded (same reference), ${n.refused} refused, ${n.bad} bad.`);
        const problems = n.problems.map((p) => `line ${p.line}: ${p.kind === 'refused' ? `${p.field}: ` : ''}${p.reason}`);
        for (const p of problems.slice(0, 20)) console.error(`  ${p}`);
        if (problems.length > 20) console.error(`  … ${problems.length - 20} more`);
        if (n.refused || n.bad) process.exitCode = 1;
      });
    });
}
