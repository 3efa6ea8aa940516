/**
 * The risk room's lists and cases on the command line (issue #18 item 6), against DATABASE_URL or
 * the embedded database, as the API gives them:
 *   yibao risk warnings [--area <code>] [--year 2022] [--basis coverage_year|rolling_12_months] [--json] [-o f.xlsx|f.json] [--masked] [--as user]
 *   yibao risk burden-scan --area <code> --year 2022 [--as user] [--json] [--no-progress]
 *   yibao risk gaps --year 2022 [--area <code>] [--json] [-o f.xlsx|f.json] [--masked] [--as user]
 *   yibao risk cases --region 500230 [--year --rule --state --hospital --area] [--json] [-o f.xlsx|f.json] [--as user]
 *   yibao risk case <id> --region 500230 [--json]                       (the rule, explanation, cited sentence, fee lines)
 *   yibao risk case <id> review|confirm|dismiss --region 500230 [--note …] [--recover 100.00] [--as user]
 * Persons are shown in full only to the roles that may see them (admin, policy officer; as the
 * monitoring lists), masked for the others and with --masked; every list of persons is audited.
 * Exit codes: 0 done; 1 refused by the records (no such case, a move the case cannot make); 2 bad
 * options (the option named) or outside the user's role or area.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { InputError } from '../errors.js';
import { maskingFor, auditRead } from '../monitoring/people.js';
import { listXlsx } from '../monitoring/low-income-ledger.js';
import { PolicyLibrary } from '../policy/loader.js';
import { scanBurden } from '../risk/burden-scan.js';
import { CaseService, type CaseState } from '../risk/cases.js';
import { coverageGaps } from '../risk/coverage-gaps.js';
import { requireArea } from '../risk/scope.js';
import { listWarnings, type WarningQuery, type WarningView } from '../risk/warnings.js';
import { SCREEN_CODES } from '../rules/risk/screen-rules.js';
import { openDatabase, type Database } from '../store/db.js';
import { actorFor } from './actor.js';

const AREA = /^\d{6}(\d{3}(\d{3})?)?$/;
const areaOpt = (v: string | undefined, name = '--area'): string | undefined => {
  if (v !== undefined && !AREA.test(v)) throw new InputError(name, 'must be a county (6 digits), township (9) or village (12) code');
  return v;
};
const yearOpt = (v: string | undefined): number | undefined => {
  if (v === undefined) return undefined;
  if (!/^\d{4}$/.test(v) || Number(v) < 2000 || Number(v) > 2100) throw new InputError('--year', 'must be a coverage year, e.g. 2022');
  return Number(v);
};
const regionOpt = (v: string): string => {
  if (!/^\d{6}$/.test(v)) throw new InputError('--region', 'must be a 6-digit region code');
  return v;
};
const outputOpt = (v: string | undefined): '.json' | '.xlsx' | null => {
  if (v === undefined) return null;
  const ext = extname(v).toLowerCase();
  if (ext !== '.json' && ext !== '.xlsx') throw new InputError('--output', `${v}: use a .json or .xlsx file`);
  return ext;
};

/** A file written whole or not at all. */
function writeWhole(path: string, body: string | Buffer): void {
  writeFileSync(`${path}.part`, body);
  renameSync(`${path}.part`, path);
}

async function withDb<T>(fn: (d: Database) => Promise<T>): Promise<T> {
  const d = await openDatabase();
  try {
    return await fn(d);
  } finally {
    await d.close();
  }
}

const yuan = (n: number): string => n.toFixed(2);

export function riskListCommands(risk: Command, program: Command): void {
  const lib = (): PolicyLibrary => PolicyLibrary.load(program.opts<{ policies?: string }>().policies);

  risk
    .command('warnings')
    .description('high-burden warnings per village: person, burden after the three tiers, threshold, statuses, encounters (a clerk: their villages only)')
    .option('--area <code>', 'county, township or village code (default: everything the user may see)')
    .option('--year <year>', 'coverage year')
    .option('--basis <basis>', 'coverage_year or rolling_12_months')
    .option('-o, --output <path>', 'write the list: .xlsx or .json')
    .option('--masked', 'mask ID numbers and names (always masked for roles other than admin and policy officer)')
    .option('--json', 'print the list as JSON')
    .option('--as <username>', 'act as this registered user (permission risk.read)')
    .action(async (o: { area?: string; year?: string; basis?: string; output?: string; masked?: boolean; json?: boolean; as?: string }) => {
      const area = areaOpt(o.area);
      const year = yearOpt(o.year);
      if (o.basis !== undefined && o.basis !== 'coverage_year' && o.basis !== 'rolling_12_months') throw new InputError('--basis', 'must be coverage_year or rolling_12_months');
      const ext = outputOpt(o.output);
      await withDb(async (d) => {
        const actor = await actorFor(d.db, o.as);
        requireArea(actor, area);
        const mask = maskingFor(actor, o.masked);
        const villages = new Map<string, { villageCode: string; villageName: string; warnings: WarningView[] }>();
        let total = 0;
        for (let offset = 0; ; offset += 1000) {
          const page = await listWarnings(d.db, actor, { year, village: area, basis: o.basis as WarningQuery['basis'], limit: 1000, offset }, mask);
          total = page.total;
          for (const v of page.villages) {
            const known = villages.get(v.villageCode);
            if (known) known.warnings.push(...v.warnings);
            else villages.set(v.villageCode, v);
          }
          if (offset + 1000 >= page.total) break;
        }
        const list = { area: area ?? null, year: year ?? null, total, fullIdNumbers: mask.full, villages: [...villages.values()] };
        await auditRead(d.db, actor, 'risk_warnings', { area: area ?? null, coverageYear: year ?? null, rows: total, fullIdNumbers: mask.full, ...(o.output ? { file: extname(o.output) } : {}) });
        if (o.json) process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
        else {
          for (const v of list.villages) {
            console.log(`${v.villageCode} ${v.villageName}: ${v.warnings.length} 条预警`);
            for (const w of v.warnings)
              console.log(`  #${w.id} ${w.name} ${w.idNumber} ${w.basisLabel} ${w.periodFrom}～${w.periodTo} 负担 ${yuan(w.burden)} 元 / 预警线 ${yuan(w.threshold)} 元 · ${w.encounters} 次就诊 · ${w.statuses.map((s) => s.label).join('、') || '无困难身份'}`);
          }
          console.log(`共 ${total} 条预警`);
        }
        if (o.output) {
          const rows = list.villages.flatMap((v) => v.warnings.map((w) => [w.id, w.villageCode, w.villageName, w.name, w.idNumber, w.coverageYear, w.basisLabel, w.periodFrom, w.periodTo, yuan(w.burden), yuan(w.threshold), w.needy ? '是' : '否', w.statuses.map((s) => s.label).join('、'), w.encounters, w.settlementId ?? '', w.foundBy === 'scan' ? '批量扫描' : '结算时']));
          writeWhole(o.output, ext === '.json' ? `${JSON.stringify(list, null, 2)}\n` : await listXlsx('高额费用负担预警', `高额费用负担预警${area ? `（${area}）` : ''}${year ? `${year}年度` : ''}`, ['编号', '村(居)代码', '村(居)', '姓名', '身份证号', '年度', '口径', '起', '止', '负担(元)', '预警线(元)', '困难群众', '困难身份', '就诊次数', '触发结算', '发现方式'], rows));
          console.error(`${total} 条预警写入 ${o.output}`);
        }
      });
    });

  risk
    .command('burden-scan')
    .description("the high-burden batch scan of an area and year: catches up the warnings a settlement's follow-up missed; running it again adds nothing (permission risk.screen)")
    .requiredOption('--area <code>', 'county, township or village code')
    .requiredOption('--year <year>', 'coverage year')
    .option('--json', 'print the run as JSON')
    .option('--no-progress', 'no progress bar')
    .option('--as <username>', 'act as this registered user')
    .action(async (o: { area: string; year: string; json?: boolean; progress: boolean; as?: string }) => {
      const area = areaOpt(o.area)!;
      const year = yearOpt(o.year)!;
      await withDb(async (d) => {
        const actor = await actorFor(d.db, o.as);
        const bar = o.progress ? new cliProgress.SingleBar({ format: '扫描 |{bar}| {value}/{total} 人', stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic) : null;
        let started = false;
        try {
          const run = await scanBurden(d.db, lib(), actor, {
            area,
            year,
            onProgress: (done, total) => {
              if (!bar) return;
              if (!started) {
                bar.start(total, done);
                started = true;
              } else bar.update(done);
            },
          });
          bar?.stop();
          if (o.json) process.stdout.write(`${JSON.stringify(run, null, 2)}\n`);
          else console.log(`${run.area} ${run.areaName} ${run.year} 年度：扫描 ${run.persons} 人，新增预警 ${run.added} 条${run.added ? `（${Object.entries(run.byBasis).map(([b, n]) => `${b} ${n}`).join('，')}）` : ''}`);
        } catch (e) {
          bar?.stop();
          throw e;
        }
      });
    });

  risk
    .command('gaps')
    .description('needy but not covered (应保尽保、应资尽资): persons with a needy status not enrolled, or enrolled without the assistance their status gives, with the reason')
    .requiredOption('--year <year>', 'coverage year')
    .option('--area <code>', 'county, township or village code')
    .option('-o, --output <path>', 'write the list: .xlsx or .json')
    .option('--masked', 'mask ID numbers and names (always masked for roles other than admin and policy officer)')
    .option('--json', 'print the list as JSON')
    .option('--as <username>', 'act as this registered user (permission risk.read)')
    .action(async (o: { year: string; area?: string; output?: string; masked?: boolean; json?: boolean; as?: string }) => {
      const year = yearOpt(o.year)!;
      const area = areaOpt(o.area);
      const ext = outputOpt(o.output);
      await withDb(async (d) => {
        const actor = await actorFor(d.db, o.as);
        requireArea(actor, area);
        const mask = maskingFor(actor, o.masked);
        const r = await coverageGaps(d.db, lib(), actor, year, area, mask);
        await auditRead(d.db, actor, 'risk_coverage_gaps', { area: area ?? null, coverageYear: year, rows: r.gaps.length, fullIdNumbers: mask.full, ...(o.output ? { file: extname(o.output) } : {}) });
        const out = { ...r, total: r.gaps.length, fullIdNumbers: mask.full };
        if (o.json) process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
        else {
          for (const g of r.gaps) console.log(`${g.villageCode} ${g.villageName} ${g.name} ${g.idNumber} ${g.statuses.join(',')} ${g.reason}: ${g.text}（${g.cite}）`);
          console.log(`共 ${r.gaps.length} 人：${Object.entries(r.byReason).map(([k, n]) => `${k} ${n}`).join('，') || '无'}`);
        }
        if (o.output) {
          const rows = r.gaps.map((g) => [g.villageCode, g.villageName, g.name, g.idNumber, g.statuses.join('、'), g.enrollmentState ?? '未参保', g.reason, g.text, g.cite]);
          writeWhole(o.output, ext === '.json' ? `${JSON.stringify(out, null, 2)}\n` : await listXlsx('应保尽保应资尽资', `有困难身份而未参保或未获资助人员（${year}年度${area ? `，${area}` : ''}）`, ['村(居)代码', '村(居)', '姓名', '身份证号', '困难身份', '参保状态', '原因代码', '原因', '政策依据'], rows));
          console.error(`${r.gaps.length} 人写入 ${o.output}`);
        }
      });
    });

  risk
    .command('cases')
    .description('screening cases (疑点), filtered; a clerk sees only the cases about their villages')
    .requiredOption('--region <code>', 'the area whose pack names the rules, e.g. 500230')
    .option('--year <year>', 'coverage year')
    .option('--rule <code>', `one rule (${SCREEN_CODES.join(', ')})`)
    .option('--state <state>', 'open, reviewed, confirmed or dismissed')
    .option('--hospital <code>', 'the hospital')
    .option('--area <code>', 'the cases about residents of this county, township or village')
    .option('-o, --output <path>', 'write the cases: .xlsx or .json')
    .option('--json', 'print the cases as JSON')
    .option('--as <username>', 'act as this registered user (permission risk.hits.read)')
    .action(async (o: { region: string; year?: string; rule?: string; state?: string; hospital?: string; area?: string; output?: string; json?: boolean; as?: string }) => {
      const region = regionOpt(o.region);
      const year = yearOpt(o.year);
      const rule = o.rule?.trim().toUpperCase();
      if (rule !== undefined && !(SCREEN_CODES as readonly string[]).includes(rule)) throw new InputError('--rule', `must be one of ${SCREEN_CODES.join(', ')}`);
      if (o.state !== undefined && !['open', 'reviewed', 'confirmed', 'dismissed'].includes(o.state)) throw new InputError('--state', 'must be open, reviewed, confirmed or dismissed');
      if (o.hospital !== undefined && (o.hospital.trim() === '' || o.hospital.length > 40)) throw new InputError('--hospital', 'must be a hospital code');
      const area = areaOpt(o.area);
      const ext = outputOpt(o.output);
      await withDb(async (d) => {
        const actor = await actorFor(d.db, o.as);
        requireArea(actor, area);
        const svc = new CaseService(d.db, lib(), region);
        const q = { year, rule, state: o.state as CaseState | undefined, hospital: o.hospital, village: area };
        const all: Awaited<ReturnType<CaseService['list']>>['cases'] = [];
        let summary: Awaited<ReturnType<CaseService['list']>>['summary'] = [];
        for (let after: string | undefined; ; ) {
          const page = await svc.list(actor, { ...q, after, limit: 500 });
          all.push(...page.cases);
          summary = page.summary;
          if (!page.next) break;
          after = page.next;
        }
        if (o.json) process.stdout.write(`${JSON.stringify({ cases: all, summary }, null, 2)}\n`);
        else {
          for (const c of all) console.log(`#${c.id} ${c.rule} ${c.ruleName} [${c.state}] ${c.coverageYear} ${c.hospitalCode ?? '—'} ${c.villageCode ?? '—'} 涉及 ${yuan(c.amount)} 元 · 结算 ${c.settlementIds.join(' ')}`);
          console.log(`共 ${all.length} 条疑点`);
        }
        if (o.output) {
          const rows = all.map((c) => [c.id, c.rule, c.ruleName, c.explain ?? '', (c.citation as { cite?: string } | null)?.cite ?? '', c.coverageYear, c.hospitalCode ?? '', c.villageCode ?? '', c.settlementIds.join(' '), yuan(c.amount), c.state, yuan(c.recovered)]);
          writeWhole(o.output, ext === '.json' ? `${JSON.stringify({ cases: all, summary }, null, 2)}\n` : await listXlsx('疑点', `欺诈骗保筛查疑点（${region}${year ? `，${year}年度` : ''}）`, ['编号', '规则', '规则名称', '说明', '政策依据', '年度', '医院', '村(居)代码', '涉及结算', '涉及金额(元)', '状态', '已追回(元)'], rows));
          console.error(`${all.length} 条疑点写入 ${o.output}`);
        }
      });
    });

  const MOVE_TO: Record<string, CaseState> = { review: 'reviewed', confirm: 'confirmed', dismiss: 'dismissed' };
  risk
    .command('case <id> [action]')
    .description('one case down to its settlements and fee lines (the rule, its explanation and the cited sentence); with review|confirm|dismiss, move it on (audited; confirming recovers through the ledger; permission risk.cases.review)')
    .requiredOption('--region <code>', 'the area whose pack names the rules, e.g. 500230')
    .option('--note <text>', 'the reviewer’s note')
    .option('--recover <yuan>', 'confirming: the yuan to recover (default the amount at issue; 0 recovers nothing)')
    .option('--json', 'print the case as JSON')
    .option('--as <username>', 'act as this registered user')
    .action(async (id: string, action: string | undefined, o: { region: string; note?: string; recover?: string; json?: boolean; as?: string }) => {
      if (!/^\d{1,18}$/.test(id)) throw new InputError('<id>', 'must be a case id');
      const region = regionOpt(o.region);
      if (action !== undefined && !(action in MOVE_TO)) throw new InputError('<action>', 'must be review, confirm or dismiss');
      if (o.recover !== undefined && (action !== 'confirm' || !/^\d{1,12}(\.\d{1,2})?$/.test(o.recover))) throw new InputError('--recover', action !== 'confirm' ? 'only when confirming' : 'must be yuan with at most 2 decimals');
      if (o.note !== undefined && (o.note.trim() === '' || o.note.length > 500)) throw new InputError('--note', 'must be a text of 1 to 500 characters');
      await withDb(async (d) => {
        const actor = await actorFor(d.db, o.as);
        const svc = new CaseService(d.db, lib(), region);
        if (action) {
          const moved = await svc.move(actor, id, MOVE_TO[action]!, { note: o.note, recoverYuan: o.recover });
          if (o.json) process.stdout.write(`${JSON.stringify(moved, null, 2)}\n`);
          else console.log(`疑点 #${moved.id} ${moved.rule} ${moved.ruleName}: ${moved.state}${moved.state === 'confirmed' ? `，追回 ${yuan(moved.recovered)} 元${moved.recoveryEntry ? `（记账凭证 ${moved.recoveryEntry}）` : ''}` : ''}`);
          return;
        }
        const c = await svc.get(actor, id);
        if (o.json) {
          process.stdout.write(`${JSON.stringify(c, null, 2)}\n`);
          return;
        }
        const cit = c.citation as { cite?: string | null; quote?: string | null; example?: string | null } | null;
        console.log(`疑点 #${c.id} ${c.rule} ${c.ruleName} [${c.state}] ${c.coverageYear} 年度`);
        console.log(`  说明：${c.explain ?? '—'}`);
        console.log(`  政策依据：${cit?.cite ?? '—'}${cit?.quote ? `「${cit.quote}」` : ''}`);
        if (cit?.example) console.log(`  参数为示例值：${cit.example}`);
        console.log(`  医院 ${c.hospitalCode ?? '—'} · 村(居) ${c.villageCode ?? '—'} · 涉及 ${yuan(c.amount)} 元 · 已追回 ${yuan(c.recovered)} 元`);
        console.log(`  发现：${JSON.stringify(c.detail)}`);
        for (const s of c.settlements) console.log(`  结算 ${s.settlementId} ${String(s.date).slice(0, 10)} ${s.type} ${s.hospitalCode} ${s.person.name} ${s.person.idNumber} 总额 ${yuan(s.total)} 基本 ${yuan(s.basicFund)} 大病 ${yuan(s.criticalIllness)} 救助 ${yuan(s.medicalAssistance)} 个人 ${yuan(s.cash)}${s.reversed ? '（已冲正）' : ''}`);
        for (const f of c.feeLines) {
          const l = (f.line ?? {}) as Record<string, unknown>;
          console.log(`  费用明细 ${f.mdtrtId}/${f.feedetlSn} ${String(l.fee_ocur_time ?? '')} ${String(l.med_list_codg ?? '')} ${String(l.medins_list_name ?? l.medins_list_codg ?? '')} 数量 ${String(l.cnt ?? '')} 单价 ${String(l.pric ?? '')} 金额 ${yuan(f.amount)} 元${f.named ? ' ← 规则所指' : ''}${f.cancelled ? '（已撤销）' : ''}`);
        }
        for (const e of c.events) console.log(`  ${e.at} ${e.actor}: ${e.from} → ${e.to}${e.note ? ` ${e.note}` : ''}${e.amount !== null ? ` 追回 ${yuan(e.amount)} 元` : ''}`);
      });
    });
}
