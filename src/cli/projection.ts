/** `yibao sim project`: the fund years ahead from a base year, with the first year a bottom line is crossed. */
import { readFileSync, writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import type { Command } from 'commander';
import ExcelJS from 'exceljs';
import { InputError } from '../errors.js';
import { PolicyLibrary } from '../policy/loader.js';
import { bottomLinesCarriedOn } from '../fund/projection.js';
import { projectFund } from '../rules/fund-projection.js';
import { projectionReport } from '../sim/microsim/projection-report.js';
import { DEFAULT_PROJECTION_FILE, loadProjectionAssumptions } from '../sim/microsim/projection-assumptions.js';
import { parseProjectionBase } from '../sim/microsim/projection-base.js';

async function workbook(r: ReturnType<typeof projectionReport>): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('基金测算');
  ws.addRow(['年度', '参保人数', '人均个人缴费（元）', '人均财政补助（元）', '收入（元）', '支出（元）', '当期结余（元）', '累计结余（元）', '可支付月数', '底线预警']);
  for (const y of r.years) ws.addRow([y.year, y.persons, y.contributionPerPerson, y.subsidyPerPerson, y.income, y.spending, y.surplus, y.balance, y.reserveMonths, y.alerts.map((a) => a.message).join('；')]);
  ws.addRow([]);
  for (const c of r.firstCrossings) ws.addRow([`${c.year} 年首次触及底线`, c.message, c.cite, c.quote]);
  for (const e of r.examplesUsed) ws.addRow(['示例假设', e.assumption, e.example]);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

export function projectionCommands(sim: Command, policiesDir: () => string | undefined): void {
  sim
    .command('project')
    .description('project the fund years ahead from a base year (JSON file, yuan) and find the first year a bottom line is crossed')
    .requiredOption('--base <file>', 'base year JSON: {year, account?, balance, bands: [{persons, spendingPerPerson}], contributionPerPerson, subsidyPerPerson}')
    .requiredOption('--region <code>', 'coordinating area whose packs set the bottom lines (e.g. 370000)')
    .option('--years <n>', 'years ahead', '10')
    .option('--assumptions <file>', 'assumptions pack (ageing, cost growth, rises, enrollment change)', DEFAULT_PROJECTION_FILE)
    .option('-o, --output <file>', 'write .xlsx or .json instead of JSON to stdout')
    .action(async (o: { base: string; region: string; years: string; assumptions: string; output?: string }) => {
      if (!/^\d+$/.test(o.years) || Number(o.years) < 1 || Number(o.years) > 100) throw new InputError('--years', `"${o.years}" is not a whole number of years 1..100`);
      if (!/^\d{6}$/.test(o.region)) throw new InputError('--region', `"${o.region}" is not a region code of six digits`);
      const read = (file: string, option: string): string => {
        try {
          return readFileSync(file, 'utf8');
        } catch {
          throw new InputError(option, `cannot read ${file}`);
        }
      };
      let data: unknown;
      try {
        data = JSON.parse(read(o.base, '--base'));
      } catch (e) {
        if (e instanceof InputError) throw e;
        throw new InputError('--base', `${o.base} is not JSON`);
      }
      const base = parseProjectionBase(data);
      read(o.assumptions, '--assumptions');
      const assumptions = loadProjectionAssumptions(o.assumptions);
      if (assumptions.ageBands.length !== base.bands.length) throw new InputError('--base', `bands: one per age band of the assumptions (${assumptions.ageBands.length}: ${assumptions.ageBands.join(', ')})`);
      const lib = PolicyLibrary.load(policiesDir());
      const report = projectionReport(projectFund(base, assumptions, Number(o.years), bottomLinesCarriedOn(lib, o.region, base.year)));
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
