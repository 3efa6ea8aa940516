/**
 * `yibao sim run`: a simulated coverage year (src/sim/microsim/simulate.ts) of a generated
 * population (--persons, --seed) or of the registers (--registers: DATABASE_URL, or ./data/pglite),
 * under a pack (--pack), and with --reform (a shipped reform's id or a YAML/JSON file) the reform
 * on the same draws and the differences. A progress bar on standard error; JSON to stdout, or
 * -o file.xlsx / file.json.
 */
import { writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { InputError } from '../errors.js';
import type { Reform } from '../policy/reform.js';
import { QuoteService } from '../quotes/quote-service.js';
import { loadRegisters } from '../sim/microsim/registers.js';
import { loadReform } from '../sim/microsim/reforms.js';
import { fitRates, type RatesFit } from '../sim/microsim/fit-rates.js';
import { loadRates, type SimRates } from '../sim/microsim/rates.js';
import { simulate } from '../sim/microsim/simulate.js';
import { simulationWorkbook as workbook } from '../sim/microsim/workbooks.js';
import { openDatabase } from '../store/db.js';

const whole = (v: string, field: string, min: number, max: number): number => {
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new InputError(field, `"${v}" is not a whole number ${min}..${max}`);
  return Number(v);
};

export function simRunCommands(sim: Command, policiesDir: () => string | undefined): void {
  sim
    .command('run')
    .description('simulate a coverage year by the production engine: a generated population (--persons, --seed) or the registers (--registers); with --reform, the reform on the same draws and the differences')
    .option('--pack <id>', 'the policy pack (region/year), e.g. 500230/2022 (default: the reform’s baseline, else 500230/2022)')
    .option('--persons <n>', 'persons of the generated population', '10000')
    .option('--seed <n>', 'random seed (the same seed, the same population and draws)', '20220101')
    .option('--registers', 'the registers’ persons and encounters of the year instead (DATABASE_URL, or ./data/pglite)')
    .option('--rates-from <YYYY>', 'a generated population drawing from rates fitted from the registers’ settlements of this past year (DATABASE_URL, or ./data/pglite), instead of the example rates')
    .option('--reform <file>', 'a reform: a shipped id (policies/reforms) or a YAML/JSON file')
    .option('-o, --output <file>', 'write .xlsx or .json instead of JSON to stdout')
    .action(async (o: { pack?: string; persons: string; seed: string; registers?: boolean; ratesFrom?: string; reform?: string; output?: string }) => {
      const persons = whole(o.persons, '--persons', 1, 20_000_000);
      const seed = whole(o.seed, '--seed', 0, 2 ** 31 - 1);
      const ext = o.output ? extname(o.output).toLowerCase() : null;
      if (ext !== null && ext !== '.xlsx' && ext !== '.json') throw new InputError('--output', 'must end in .xlsx or .json');
      let reform: Reform | undefined;
      if (o.reform) {
        try {
          reform = loadReform(o.reform);
        } catch (e) {
          if (e instanceof InputError) throw new InputError(`--reform ${e.field}`, e.message.replace(/^[^:]*: /, ''));
          throw new InputError('--reform', `${o.reform}: neither a shipped reform nor a readable file`);
        }
      }
      const packId = o.pack ?? reform?.baseline ?? '500230/2022';
      const m = /^(\d{6})\/(\d{4})$/.exec(packId);
      if (!m) throw new InputError('--pack', `"${packId}" is not a pack id such as 500230/2022`);
      const [region, year] = [m[1], Number(m[2])];
      const quotes = QuoteService.load(policiesDir());
      if (quotes.lib.packIdFor(region, year) !== packId) throw new InputError('--pack', `no policy pack ${packId} (the pack of ${region} in ${year} is ${quotes.lib.packIdFor(region, year) ?? 'none'})`);
      if (reform && reform.baseline !== packId) throw new InputError('--reform', `the reform changes ${reform.baseline}, not ${packId}`);
      if (o.ratesFrom !== undefined && o.registers) throw new InputError('--rates-from', 'fits rates for a generated population: not with --registers');
      if (o.ratesFrom !== undefined && (!/^\d{4}$/.test(o.ratesFrom) || Number(o.ratesFrom) > year)) throw new InputError('--rates-from', `"${o.ratesFrom}" is not a year up to ${year}`);
      let fitted: { rates: SimRates; fit: RatesFit } | undefined;
      if (o.ratesFrom !== undefined) {
        const past = Number(o.ratesFrom);
        const d = await openDatabase();
        try {
          const r = await loadRegisters(d.db, quotes, region, past);
          fitted = fitRates(r.population, r.encounters, r.settled, loadRates());
        } finally {
          await d.close();
        }
        if (fitted.fit.settlements === 0) throw new InputError('--rates-from', `the registers hold no live settlement of ${past}`);
      }
      let registers: Awaited<ReturnType<typeof loadRegisters>> | undefined;
      if (o.registers) {
        const d = await openDatabase();
        try {
          registers = await loadRegisters(d.db, quotes, region, year);
        } finally {
          await d.close();
        }
      }
      const bar = process.stderr.isTTY ? new cliProgress.SingleBar({ format: '{stage} |{bar}| {value}/{total} persons', stream: process.stderr }, cliProgress.Presets.shades_classic) : null;
      let stage = '';
      const result = simulate(quotes, {
        region,
        year,
        persons,
        seed,
        reform,
        registers,
        ...(fitted ? { rates: fitted.rates, ratesFit: fitted.fit } : {}),
        onProgress: (s, done, total) => {
          if (!bar) return;
          if (s !== stage) {
            if (stage) bar.stop();
            stage = s;
            bar.start(total, done, { stage: s === 'baseline' ? '基线' : '改革' });
          } else bar.update(done);
        },
      });
      bar?.stop();
      if (!o.output) {
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return;
      }
      writeFileSync(o.output, ext === '.json' ? `${JSON.stringify(result, null, 2)}\n` : await workbook(result));
      console.error(`${result.baseline.persons} persons, ${result.baseline.encounters} encounters${result.reform ? ` (and the reform ${result.reform.name})` : ''} → ${o.output}`);
    });
}
