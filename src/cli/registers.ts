/**
 * `yibao import persons <file>` and `yibao import statuses <file>`: the register imports on
 * the command line, against DATABASE_URL or the embedded database in ./data/pglite. Bad rows
 * are listed in `<file>.errors.csv` (or --errors). Exit 0: all rows good; 1: some rows bad;
 * 2: bad input (no such file, missing columns, unknown user).
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { InputError } from '../errors.js';
import { actorFor } from './actor.js';

interface ImportCliOptions {
  errors?: string;
  as?: string;
  progress: boolean;
  json?: boolean;
  batchSize?: string;
}

export function registersCli(program: Command): void {
  const imp = program.commands.find((c) => c.name() === 'import') ?? program.command('import').description('import registers and lists from CSV or XLSX');
  for (const kind of ['persons', 'statuses'] as const)
    imp
      .command(kind)
      .description(
        kind === 'persons'
          ? 'import persons (身份证号, 姓名, 性别, 出生日期, 村(居)代码 or 村名, 户号, 人员类别, 毕业年份) into the registers'
          : 'import needy statuses (身份证号, 身份类别, 认定部门, 起始日期, 终止日期, 文号) into the registers',
      )
      .argument('<file>', '.csv or .xlsx')
      .option('--errors <path>', 'where to list bad rows, .csv or .xlsx (default: <file>.errors.csv)')
      .option('--as <username>', 'act as this registered user (their role and villages apply); default: an administrator named cli:<os user>')
      .option('--batch-size <n>', 'rows per transaction', '1000')
      .option('--json', 'print the summary as JSON on standard output')
      .option('--no-progress', 'no progress bar')
      .action(async (file: string, o: ImportCliOptions) => {
        const batchSize = Number(o.batchSize ?? 1000);
        if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10000) throw new InputError('--batch-size', 'is 1–10000');
        if (!existsSync(file)) throw new InputError('file', `${file}: no such file`);
        const { importPersons } = await import('../registers/import-persons.js');
        const { importStatuses } = await import('../registers/import-statuses.js');
        const database = await (await import('../store/db.js')).openDatabase();
        const bar = o.progress
          ? new cliProgress.SingleBar({ format: `importing ${kind} |{bar}| {percentage}% · {rows} rows · {eta_formatted} left`, stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic)
          : null;
        try {
          const actor = await actorFor(database.db, o.as);
          bar?.start(1, 0, { rows: 0 });
          const run = kind === 'persons' ? importPersons : importStatuses;
          const s = await run(database.db, actor, {
            path: file,
            report: o.errors ?? `${file}.errors.csv`,
            batchSize,
            onProgress: (bytes, total, rows) => {
              bar?.setTotal(Math.max(total, 1));
              bar?.update(bytes, { rows });
            },
          }).finally(() => bar?.stop());
          if (o.json) process.stdout.write(`${JSON.stringify({ ...s, problems: s.problems.slice(0, 100) }, null, 2)}\n`);
          console.error(
            `${s.rows} rows: ${s.inserted} new, ${s.updated} changed, ${s.unchanged} unchanged, ${s.bad} bad (import ${s.batchId} into ${database.kind === 'server' ? database.where : `PGlite ${database.where}`}).`,
          );
          if (s.previousImports.length) console.error(`The same file was imported before: import ${s.previousImports.map((p) => `${p.batchId} (${p.at.slice(0, 10)}, ${p.by})`).join(', ')}.`);
          if (s.bad) {
            for (const p of s.problems.slice(0, 20)) console.error(`  line ${p.line}: ${p.field}: ${p.reason}`);
            if (s.bad > 20) console.error(`  … ${s.bad - 20} more`);
            console.error(`Bad rows are listed in ${s.report}`);
            process.exitCode = 1;
          }
        } finally {
          await database.close();
        }
      });
}
