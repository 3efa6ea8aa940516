/** `yibao generate` (a town as the clerks' import files) and `yibao demo load` (a town into the database). */
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { InputError } from '../errors.js';
import { QuoteService } from '../quotes/quote-service.js';
import { generateTown } from '../sim/population.js';
import { seedDemo } from '../sim/seed-demo.js';
import { loadAreas } from '../sim/load-town.js';
import { writePersonsFile, writeStatusesFile } from '../sim/town-files.js';
import { openDatabase } from '../store/db.js';

const count = (v: string, field: string): number => {
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 20_000_000) throw new InputError(field, `"${v}" is not a number of people between 1 and 20 000 000`);
  return Number(v);
};

export function simCommands(program: Command): void {
  program
    .command('generate')
    .description('generate a town of 丰都县 (valid ID numbers, households, needy statuses) as the clerks’ import files')
    .requiredOption('--people <n>', 'how many people')
    .option('-o, --output <path>', 'persons file (.csv or .xlsx)', 'persons.csv')
    .option('--statuses <path>', 'needy-statuses file (.csv or .xlsx)', 'statuses.csv')
    .option('--seed <n>', 'random seed (the same seed gives the same town)', '20220113')
    .option('--register-areas', 'also put the town’s county, townships and villages (and hospitals) into the database, so the files can be imported')
    .action(async (o: { people: string; output: string; statuses: string; seed: string; registerAreas?: boolean }) => {
      const people = count(o.people, '--people');
      const town = generateTown({ people, seed: Number(o.seed), encounters: false });
      const bar = process.stderr.isTTY ? new cliProgress.SingleBar({ format: 'writing |{bar}| {value}/{total} persons', stream: process.stderr }, cliProgress.Presets.shades_classic) : null;
      bar?.start(people, 0);
      const n = await writePersonsFile(o.output, town, (k) => bar?.update(k));
      bar?.update(n);
      bar?.stop();
      const s = await writeStatusesFile(o.statuses, town);
      if (o.registerAreas) {
        const d = await openDatabase();
        try {
          await loadAreas(d.db, town);
        } finally {
          await d.close();
        }
      }
      console.error(`${n} persons in ${town.households.length} households of ${town.areas.filter((a) => a.level === 'village').length} villages → ${o.output}; ${s} needy statuses → ${o.statuses}`);
    });
  program
    .command('demo')
    .description('load a generated town into the database (DATABASE_URL, or ./data/pglite): registers, 2022 campaign, payments, settlements')
    .requiredOption('--people <n>', 'how many people')
    .action(async (o: { people: string }) => {
      const people = count(o.people, '--people');
      const d = await openDatabase();
      const bar = process.stderr.isTTY ? new cliProgress.SingleBar({ format: '{stage} |{bar}| {value}/{total}', stream: process.stderr }, cliProgress.Presets.shades_classic) : null;
      let stage = '';
      try {
        const s = await seedDemo(d, QuoteService.load(), {
          people,
          onProgress: (st, done, total) => {
            if (st !== stage) {
              bar?.stop();
              bar?.start(total, done, { stage: st });
              stage = st;
            } else bar?.update(done);
          },
        });
        bar?.stop();
        console.error(`${s.persons} persons, ${s.payments} payments, ${s.settlements} settlements in ${s.seconds.toFixed(0)} s (${d.kind}: ${d.where})`);
        for (const t of s.transfers) console.error(`  ${t.reference} ${t.kind} ${t.amountYuan.toFixed(2)} yuan — ${t.memo}`);
      } finally {
        await d.close();
      }
    });
}
