/**
 * `yibao fund budget set | show`: the area's budget per fund and year (以收定支), entered by the
 * finance role (a new version each time, the latest counts; audited by src/fund/position.ts) and
 * tracked month by month against the ledger's income and spending.
 */
import type { Command } from 'commander';
import { InputError } from '../errors.js';
import { PolicyLibrary } from '../policy/loader.js';
import { budgetReport, recordBudget } from '../fund/position.js';
import { budgetWorkbook } from '../fund/workbooks.js';
import { checkOutput, cliActor, emit, withDb } from './fund-clearing.js';

const year = (v: string): number => {
  if (!/^\d{4}$/.test(v)) throw new InputError('--year', `"${v}" is not a year`);
  return Number(v);
};

export function fundBudgetCommands(fund: Command, policiesDir: () => string | undefined): void {
  const budget = fund.command('budget').description('the area’s budget per fund and year (以收定支), tracked against the ledger');
  budget
    .command('set')
    .description('enter a fund’s budget for a year (finance; a new version, the latest counts; audited)')
    .requiredOption('--year <YYYY>', 'the year')
    .requiredOption('--account <account>', 'the fund: basic_fund, critical_illness_fund or medical_assistance_fund')
    .requiredOption('--income <yuan>', 'budgeted income, yuan with at most two decimals')
    .requiredOption('--spending <yuan>', 'budgeted spending, yuan with at most two decimals')
    .option('--memo <text>', 'a note')
    .action(async (o: { year: string; account: string; income: string; spending: string; memo?: string }) => {
      const input = { year: year(o.year), account: o.account, incomeYuan: o.income, spendingYuan: o.spending, ...(o.memo ? { memo: o.memo } : {}) };
      try {
        await withDb(async (d) => emit(await recordBudget(d.db, cliActor(), input), undefined));
      } catch (e) {
        // the service names incomeYuan / spendingYuan: the CLI's options are --income / --spending
        if (e instanceof InputError && /^--(income|spending)-yuan$/.test(e.field)) throw new InputError(e.field.replace('-yuan', ''), e.message.slice(e.field.length + 2));
        throw e;
      }
    });
  budget
    .command('show', { isDefault: true })
    .description('the year’s budget of each fund against the ledger’s income and spending, month by month, with the warnings')
    .requiredOption('--region <code>', 'the coordinating area whose pack states the principle')
    .requiredOption('--year <YYYY>', 'the year')
    .option('-o, --output <file>', 'write .xlsx or .json instead of JSON to stdout')
    .action(async (o: { region: string; year: string; output?: string }) => {
      checkOutput(o.output, true);
      const y = year(o.year);
      if (!/^\d{6}$/.test(o.region)) throw new InputError('--region', `"${o.region}" is not a region code of six digits`);
      const lib = PolicyLibrary.load(policiesDir());
      if (!lib.regions.has(o.region)) throw new InputError('--region', `unknown region ${o.region}`);
      await withDb(async (d) => {
        const b = await budgetReport(d.db, lib, { region: o.region, year: y });
        await emit(b, o.output, () => budgetWorkbook(b));
      });
    });
}
