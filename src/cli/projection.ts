/** `yibao sim project`: the fund years ahead from a base year, with the first year a bottom line is crossed. */
import { readFileSync, writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import type { Command } from 'commander';
import { InputError } from '../errors.js';
import { PolicyLibrary } from '../policy/loader.js';
import { bottomLinesCarriedOn } from '../fund/projection.js';
import { projectFund } from '../rules/fund-projection.js';
import { baseFromReport, projectionReport } from '../sim/microsim/projection-report.js';
import { projectionWorkbook as workbook } from '../sim/microsim/workbooks.js';
import { DEFAULT_PROJECTION_FILE, loadProjectionAssumptions } from '../sim/microsim/projection-assumptions.js';
import { parseProjectionBase } from '../sim/microsim/projection-base.js';
import { baseFromSimulation, type BaseFromSimulation } from '../sim/microsim/projection-from-sim.js';

export function projectionCommands(sim: Command, policiesDir: () => string | undefined): void {
  sim
    .command('project')
    .description('project the fund years ahead from a base year (JSON file, yuan) and find the first year a bottom line is crossed')
    .option('--base <file>', 'base year JSON: {year, account?, balance, bands: [{persons, spendingPerPerson}], contributionPerPerson, subsidyPerPerson}')
    .option('--from-sim <file>', 'instead of --base: a simulated year, the JSON `yibao sim run -o file.json` writes')
    .option('--use <run>', 'with --from-sim: the baseline or the reform run', 'baseline')
    .option('--opening-balance <yuan>', 'with --from-sim: the balance before the simulated year (default 0)')
    .requiredOption('--region <code>', 'coordinating area whose packs set the bottom lines (e.g. 370000)')
    .option('--years <n>', 'years ahead', '10')
    .option('--assumptions <file>', 'assumptions pack (ageing, cost growth, rises, enrollment change)', DEFAULT_PROJECTION_FILE)
    .option('-o, --output <file>', 'write .xlsx or .json instead of JSON to stdout')
    .action(async (o: { base?: string; fromSim?: string; use: string; openingBalance?: string; region: string; years: string; assumptions: string; output?: string }) => {
      if ((o.base === undefined) === (o.fromSim === undefined)) throw new InputError('--base', 'give either --base or --from-sim');
      if (o.use !== 'baseline' && o.use !== 'reform') throw new InputError('--use', 'baseline or reform');
      if (!/^\d+$/.test(o.years) || Number(o.years) < 1 || Number(o.years) > 100) throw new InputError('--years', `"${o.years}" is not a whole number of years 1..100`);
      if (!/^\d{6}$/.test(o.region)) throw new InputError('--region', `"${o.region}" is not a region code of six digits`);
      const read = (file: string, option: string): string => {
        try {
          return readFileSync(file, 'utf8');
        } catch {
          throw new InputError(option, `cannot read ${file}`);
        }
      };
      const file = (o.base ?? o.fromSim)!;
      const option = o.base !== undefined ? '--base' : '--from-sim';
      let data: unknown;
      try {
        data = JSON.parse(read(file, option));
      } catch (e) {
        if (e instanceof InputError) throw e;
        throw new InputError(option, `${file} is not JSON`);
      }
      read(o.assumptions, '--assumptions');
      const assumptions = loadProjectionAssumptions(o.assumptions);
      let from: BaseFromSimulation | null = null;
      if (o.fromSim !== undefined) {
        try {
          from = baseFromSimulation(data, { use: o.use as 'baseline' | 'reform', openingBalanceYuan: o.openingBalance, ageBands: assumptions.ageBands }, '--from-sim');
        } catch (e) {
          if (e instanceof InputError && e.field === 'use') throw new InputError('--use', e.message.slice(e.field.length + 2));
          if (e instanceof InputError && e.field === 'openingBalance') throw new InputError('--opening-balance', e.message.slice(e.field.length + 2));
          throw e;
        }
      }
      const base = from ? from.base : parseProjectionBase(data);
      if (assumptions.ageBands.length !== base.bands.length) throw new InputError('--base', `bands: one per age band of the assumptions (${assumptions.ageBands.length}: ${assumptions.ageBands.join(', ')})`);
      const lib = PolicyLibrary.load(policiesDir());
      const report = { ...projectionReport(projectFund(base, assumptions, Number(o.years), bottomLinesCarriedOn(lib, o.region, base.year))), baseFrom: from ? baseFromReport(from) : null };
      if (!o.output) {
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        return;
      }
      const ext = extname(o.output).toLowerCase();
      if (ext !== '.xlsx' && ext !== '.json') throw new InputError('--output', 'must end in .xlsx or .json');
      writeFileSync(o.output, ext === '.json' ? `${JSON.stringify(report, null, 2)}\n` : await workbook(report));
      console.error(`${report.years.length} years → ${o.output}`);
    });
}
