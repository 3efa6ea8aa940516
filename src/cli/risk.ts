/**
 * `yibao risk screen`: the fraud-screening rules FR01–FR10 over a coverage year's settlements,
 * against DATABASE_URL or the embedded database, with a progress bar per rule; prints what each
 * rule found (or --json), and writes the hits to -o (.json or .xlsx).
 *   yibao risk screen --region 500230 --year 2022 [--rules FR01,FR04] [-o hits.xlsx] [--as user]
 * (the warnings, the burden scan, the gaps and the cases: src/cli/risk-lists.ts)
 * Exit codes: 0 done; 2 bad arguments.
 */
import { writeFileSync, renameSync } from 'node:fs';
import { extname } from 'node:path';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { ForbiddenError, InputError } from '../errors.js';
import { PolicyLibrary } from '../policy/loader.js';
import { CaseService } from '../risk/cases.js';
import { screenFor } from '../risk/screening.js';
import { openSheetWriter } from '../sheets.js';
import { openDatabase } from '../store/db.js';
import { actorFor } from './actor.js';
import type { Actor } from '../access/roles.js';
import { riskListCommands } from './risk-lists.js';

export function riskCommands(program: Command): void {
  const risk = program.command('risk').description('风险监测：高额费用负担预警、应保尽保、欺诈骗保筛查与疑点审核');
  riskListCommands(risk, program);
  risk
    .command('screen')
    .description('run the screening rules FR01–FR10 over a coverage year; the hits become cases (screening again adds only new ones)')
    .requiredOption('--region <code>', '6-digit region code whose pack gives the rules, e.g. 500230')
    .requiredOption('--year <year>', 'coverage year')
    .option('--rules <codes>', 'only these rules, comma-separated (e.g. FR01,FR04)')
    .option('--all-regions', "screen every area's insured persons with this pack's rules")
    .option('-o, --output <path>', "write the year's hits: .json or .xlsx")
    .option('--as <username>', 'run as this user (permission risk.screen)')
    .option('--json', 'print the run as JSON')
    .option('--no-progress', 'no progress bar')
    .action(async (o: { region: string; year: string; rules?: string; allRegions?: boolean; output?: string; as?: string; json?: boolean; progress: boolean }) => {
      if (!/^\d{6}$/.test(o.region)) throw new InputError('--region', 'must be a 6-digit region code');
      if (!/^\d{4}$/.test(o.year)) throw new InputError('--year', 'must be a year, e.g. 2022');
      const ext = o.output ? extname(o.output).toLowerCase() : null;
      if (ext !== null && ext !== '.json' && ext !== '.xlsx') throw new InputError('--output', 'use a .json or .xlsx file');
      const lib = PolicyLibrary.load(program.opts<{ policies?: string }>().policies);
      const year = Number(o.year);
      const codes = o.rules ? o.rules.split(',').map((c) => c.trim().toUpperCase()).filter(Boolean) : undefined;
      const d = await openDatabase();
      const bar = o.progress ? new cliProgress.SingleBar({ format: '筛查 |{bar}| {value}/{total} 条规则 · {rule}', stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic) : null;
      try {
        const actor = await actorFor(d.db, o.as);
        bar?.start(codes?.length ?? 10, 0, { rule: '' });
        const run = await screenFor(d.db, lib, actor, { year, region: o.region, codes, allRegions: o.allRegions, onRule: (done, total, code) => { bar?.setTotal(total); bar?.update(done, { rule: code }); } });
        bar?.stop();
        if (o.json) process.stdout.write(`${JSON.stringify(run, null, 2)}\n`);
        else {
          console.log(`${run.pack}: ${run.year} 年筛查`);
          for (const r of run.rules) console.log(`  ${r.code} ${r.name}: 新增 ${r.found} 条疑点 (${r.ms} ms)`);
        }
        if (o.output) {
          const svc = new CaseService(d.db, lib, o.region);
          const all: Awaited<ReturnType<CaseService['list']>>['cases'] = [];
          for (let after: string | undefined; ; ) {
            const page = await svc.list(actor, { year, after, limit: 500 });
            all.push(...page.cases);
            if (!page.next) break;
            after = page.next;
          }
          if (ext === '.json') {
            writeFileSync(`${o.output}.part`, `${JSON.stringify(all, null, 2)}\n`);
            renameSync(`${o.output}.part`, o.output);
          } else {
            const w = await openSheetWriter(o.output, '疑点', 'xlsx');
            await w.write(['编号', '规则', '规则名称', '说明', '政策依据', '年度', '医院', '村(居)代码', '涉及结算', '涉及金额(元)', '状态', '详情']);
            for (const c of all)
              await w.write([c.id, c.rule, c.ruleName, c.explain ?? '', (c.citation as { cite?: string } | null)?.cite ?? '', c.coverageYear, c.hospitalCode ?? '', c.villageCode ?? '', c.settlementIds.join(' '), c.amount, c.state, JSON.stringify(c.detail)]);
            await w.close(true);
          }
          console.error(`${all.length} 条疑点写入 ${o.output}`);
        }
      } catch (e) {
        bar?.stop();
        if (e instanceof ForbiddenError) throw new InputError('--as', e.message);
        throw e;
      } finally {
        await d.close();
      }
    });
}
