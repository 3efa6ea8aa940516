/**
 * `yibao fund transfers [list] | record`: the transfer to 大病保险 (critical_illness_allocation,
 * Dr basic_fund / Cr critical_illness_fund) and the medical-assistance fund's appropriation
 * (medical_assistance_appropriation) over src/ledger/fund-transfers.ts — the same service as
 * POST /api/v1/ledger/transfers: idempotent by reference (the same transfer again: replayed, writes
 * nothing; another under a used reference exits 1), audited as the CLI's user (`cli:<login>`, with the
 * admin role the route requires: whoever runs the CLI holds the database). Bad input exits 2
 * naming the option.
 */
import type { Command } from 'commander';
import { InputError } from '../errors.js';
import { TRANSFER_KINDS, listTransfers, recordTransfer } from '../ledger/fund-transfers.js';
import { checkOutput, cliActor, emit, withDb } from './fund-clearing.js';

const yearOf = (v: string, option: string): number => {
  if (!/^\d{4}$/.test(v)) throw new InputError(option, `"${v}" is not a year`);
  return Number(v);
};

export function fundTransferCommands(fund: Command): void {
  const transfers = fund.command('transfers').description('transfers into the funds: the allocation to 大病保险 and the medical-assistance fund’s appropriation');
  transfers
    .command('list', { isDefault: true })
    .description('the transfers with their journal entries, oldest first')
    .option('--year <YYYY>', 'one coverage year')
    .option('--kind <kind>', TRANSFER_KINDS.join(' or '))
    .option('-o, --output <file>', 'write .json instead of stdout')
    .action(async (o: { year?: string; kind?: string; output?: string }) => {
      checkOutput(o.output, false);
      const query = { ...(o.year !== undefined ? { year: yearOf(o.year, '--year') } : {}), ...(o.kind ? { kind: o.kind } : {}), limit: 1000 };
      await withDb(async (d) => {
        const all = [];
        let after: string | null = null;
        do {
          const page: Awaited<ReturnType<typeof listTransfers>> = await listTransfers(d.db, { ...query, ...(after ? { after } : {}) });
          all.push(...page.transfers);
          after = page.next;
        } while (after);
        await emit({ transfers: all }, o.output);
      });
    });
  transfers
    .command('record')
    .description('record a transfer, idempotent by reference (the same transfer again: replayed: true, nothing written)')
    .requiredOption('--kind <kind>', TRANSFER_KINDS.join(' or '))
    .requiredOption('--reference <ref>', 'the document number of the transfer')
    .requiredOption('--coverage-year <YYYY>', 'the coverage year the money is for')
    .requiredOption('--amount <yuan>', 'yuan, more than 0, at most two decimals')
    .option('--memo <text>', 'what the amount rests on (the decision or notice)')
    .action(async (o: { kind: string; reference: string; coverageYear: string; amount: string; memo?: string }) => {
      const input = { kind: o.kind, reference: o.reference, coverageYear: yearOf(o.coverageYear, '--coverage-year'), amountYuan: o.amount, ...(o.memo ? { memo: o.memo } : {}) };
      try {
        await withDb(async (d) => emit(await recordTransfer(d.db, { ...cliActor(), role: 'admin' }, input), undefined));
      } catch (e) {
        // the service names amountYuan: the CLI's option is --amount
        if (e instanceof InputError && e.field === '--amount-yuan') throw new InputError('--amount', e.message.slice(e.field.length + 2));
        throw e;
      }
    });
}
