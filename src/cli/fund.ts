/** `yibao fund position`: each fund's position by month from the ledger, with the bottom-line alerts of the area's packs. */
import { writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import type { Command } from 'commander';
import { InputError } from '../errors.js';
import { PolicyLibrary } from '../policy/loader.js';
import { fundPosition, positionQuerySchema } from '../fund/position.js';
import { positionWorkbook } from '../fund/workbooks.js';
import { openDatabase } from '../store/db.js';

export function fundCommands(program: Command, policiesDir: () => string | undefined): void {
  const fund = program.command('fund').description('the funds: position and bottom lines');
  fund
    .command('position')
    .description('each fund’s position by month (income, spending, 当期结余, 累计结余, 可支付月数) and the bottom-line alerts (DATABASE_URL, or ./data/pglite)')
    .requiredOption('--region <code>', 'the coordinating area whose packs set the bottom lines')
    .option('--account <account>', 'one fund account')
    .option('--from <YYYY-MM>', 'first month shown')
    .option('--to <YYYY-MM>', 'last month shown')
    .option('-o, --output <file>', 'write .xlsx or .json instead of JSON to stdout')
    .action(async (o: { region: string; account?: string; from?: string; to?: string; output?: string }) => {
      const query = { region: o.region, ...(o.account ? { account: o.account } : {}), ...(o.from ? { from: o.from } : {}), ...(o.to ? { to: o.to } : {}) };
      const r = positionQuerySchema.safeParse(query);
      if (!r.success) throw new InputError(`--${String(r.error.issues[0].path[0])}`, r.error.issues[0].message);
      const ext = o.output ? extname(o.output).toLowerCase() : null;
      if (ext !== null && ext !== '.json' && ext !== '.xlsx') throw new InputError('--output', 'must end in .xlsx or .json');
      const lib = PolicyLibrary.load(policiesDir());
      if (!lib.regions.has(o.region)) throw new InputError('--region', `unknown region ${o.region}`);
      const d = await openDatabase();
      try {
        const out = await fundPosition(d.db, lib, query);
        const text = `${JSON.stringify(out, null, 2)}\n`;
        if (o.output) writeFileSync(o.output, ext === '.xlsx' ? await positionWorkbook(out) : text);
        else process.stdout.write(text);
      } finally {
        await d.close();
      }
    });
}
