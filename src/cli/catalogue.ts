/**
 * `yibao catalogue import <file>`: the catalogue (医保目录) from CSV or XLSX in the columns of the
 * spec's catalogue queries (med_list_codg / hilist_code, hilist_name, list_type, chrgitm_lv,
 * med_chrgitm_type, hilist_pric_uplmt_amt, selfpay_prop, begndate, enddate, insu_admdvs, memo;
 * or their Chinese names), against DATABASE_URL or the embedded database in ./data/pglite.
 * Exit 0: every row good; 1: some rows bad (listed by line on standard error); 2: bad input
 * (no such file, missing columns).
 */
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { InputError } from '../errors.js';
import type { Actor } from '../access/roles.js';

export function catalogueCommands(program: Command): void {
  const cat = program.command('catalogue').description('the catalogue (医保目录): drugs, consumables and service items with their class, price cap and self-pay share');
  cat
    .command('import')
    .description('import catalogue rows (CSV or XLSX; columns as the interface spec’s 1312 / 1318 / 1319 name them); the same file again changes nothing')
    .argument('<file>', '.csv or .xlsx')
    .option('--json', 'print the summary as JSON on standard output')
    .action(async (file: string, o: { json?: boolean }) => {
      if (!existsSync(file)) throw new InputError('file', `${file}: no such file`);
      const { importCatalogue } = await import('../hospitals/catalogue/import.js');
      const database = await (await import('../store/db.js')).openDatabase();
      try {
        const actor: Actor = { userId: '0', username: `cli:${userInfo().username}`, role: 'admin', villages: [], hospitalCode: null };
        const s = await importCatalogue(database.db, actor, { path: file });
        if (o.json) process.stdout.write(`${JSON.stringify({ ...s, problems: s.problems.slice(0, 100) }, null, 2)}\n`);
        console.error(`${s.rows} rows: ${s.inserted} new, ${s.updated} changed, ${s.unchanged} unchanged, ${s.bad} bad.`);
        if (s.bad) {
          for (const p of s.problems.slice(0, 20)) console.error(`  line ${p.line}: ${p.field}: ${p.reason}`);
          if (s.bad > 20) console.error(`  … ${s.bad - 20} more`);
          process.exitCode = 1;
        }
      } finally {
        await database.close();
      }
    });
  cat
    .command('import-list')
    .description('import a reference list of the catalogue downloads (1307 疾病与诊断 … 1315 中医证候; CSV or XLSX, headings the spec’s column names); the same file again changes nothing')
    .argument('<infno>', '1307, 1308, 1309, 1310, 1311, 1313, 1314 or 1315')
    .argument('<file>', '.csv or .xlsx')
    .action(async (infno: string, file: string) => {
      if (!existsSync(file)) throw new InputError('file', `${file}: no such file`);
      const { importReferenceList } = await import('../hospitals/catalogue/reference-lists.js');
      const database = await (await import('../store/db.js')).openDatabase();
      try {
        const actor: Actor = { userId: '0', username: `cli:${userInfo().username}`, role: 'admin', villages: [], hospitalCode: null };
        const s = await importReferenceList(database.db, actor, { infno, path: file });
        console.error(`${infno}: ${s.rows} rows: ${s.inserted} new, ${s.updated} changed, ${s.unchanged} unchanged, ${s.bad} bad.`);
        if (s.bad) {
          for (const p of s.problems.slice(0, 20)) console.error(`  line ${p.line}: ${p.field}: ${p.reason}`);
          process.exitCode = 1;
        }
      } finally {
        await database.close();
      }
    });
}
