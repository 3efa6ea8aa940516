/**
 * Campaign monitoring on the command line, against DATABASE_URL or the embedded database:
 *   yibao progress --area <code> --as-of <date> [--year <y>] [--json]
 *   yibao report half-monthly --town <code> --as-of <date> -o report.xlsx|report.pdf|report.json
 *   yibao import targets <file> [--year <y>] [--town <code>]      (the town's breakdown sheet)
 *   yibao import evouchers <file>                                (医保电子凭证 activation list)
 *   yibao payments import-file <file> [--channel <c>] [--year <y>] (a tax bureau's or bank's payment file, in batches)
 *   yibao monitoring missing|not-activated|ledger|lapsed|never-enrolled --area <code> --as-of <date> -o f.xlsx
 * --as <user> acts as a registered user (their role and villages apply); default an
 * administrator named cli:<OS user>. Exit codes: 0 done; 1 done, but some rows were bad; 2 bad
 * input or outside the user's area.
 */
import { writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import type { Command } from 'commander';
import { ForbiddenError, InputError } from '../errors.js';
import { QuoteService } from '../quotes/quote-service.js';
import { openDatabase, type Database } from '../store/db.js';
import { actorFor } from './actor.js';
import type { ProgressAnswer } from '../monitoring/progress.js';
import type { TargetsAnswer } from '../monitoring/targets.js';
import { SUBSIDY_LEVELS } from '../policy/vocabulary.js';

async function withDb<T>(fn: (d: Database) => Promise<T>): Promise<T> {
  const d = await openDatabase();
  try {
    return await fn(d);
  } catch (e) {
    if (e instanceof ForbiddenError) throw new InputError('--as', e.message);
    throw e;
  } finally {
    await d.close();
  }
}

function yearOpt(v: string | undefined, fallbackDate?: string): number {
  if (v === undefined) {
    if (!fallbackDate) throw new InputError('--year', 'give the coverage year');
    return Number(fallbackDate.slice(0, 4)) + (fallbackDate.slice(5, 7) === '12' ? 1 : 0);
  }
  if (!/^\d{4}$/.test(v)) throw new InputError('--year', `${v} is not a coverage year`);
  return Number(v);
}

/** The width of text in a terminal: CJK characters take two columns. */
const widthOf = (t: string): number => [...t].reduce((x, c) => x + (c.charCodeAt(0) > 0x2e80 ? 2 : 1), 0);

/** A plain text table: a heading, a rule, the rows; columns `right` aligned right (numbers). */
export function textTable(head: string[], rows: (string | number)[][], right: readonly boolean[]): string[] {
  const w = head.map((h, i) => Math.max(widthOf(h), ...rows.map((r) => widthOf(String(r[i] ?? '')))));
  const line = (r: (string | number)[]) =>
    r.map((c, i) => {
      const t = String(c ?? '');
      const gap = ' '.repeat(w[i] - widthOf(t));
      return right[i] ? gap + t : t + gap;
    }).join('  ').trimEnd();
  return [line(head), w.map((x) => '-'.repeat(x)).join('  '), ...rows.map(line)];
}

const SOURCE_TEXT: Record<string, string> = { imported: 'imported', derived: 'derived', mixed: 'mixed' };
const signed = (n: number): string => (n > 0 ? `+${n}` : String(n));
const yuan2 = (y: number): string => y.toFixed(2);

/**
 * `yibao progress` as text: what progress() answers (and, beside each village's target, the
 * imported and the derived one from villageTargets()), as readable tables — targets and
 * progress by village, against last year, money with the subsidy by level, assistance by group,
 * the half-month series.
 */
export function progressText(p: ProgressAnswer, t: TargetsAnswer): string {
  const out: string[] = [];
  const byCode = new Map(t.villages.map((v) => [v.villageCode, v]));
  const rows = [...p.villages, { villageCode: '', villageName: '合计', townshipName: null, ...p.totals }];
  const label = (v: { villageCode: string; villageName: string }) => (v.villageCode ? `${v.villageName} ${v.villageCode}` : v.villageName);
  const sumOf = (f: (v: TargetsAnswer['villages'][number]) => number | null) => {
    const xs = p.villages.map((v) => byCode.get(v.villageCode)).map((v) => (v ? f(v) : null)).filter((x): x is number => x !== null);
    return xs.length ? String(xs.reduce((a, b) => a + b, 0)) : '—';
  };
  out.push(`${p.area.name} (${p.area.code}) — coverage year ${p.coverageYear} as of ${p.asOf} (pack ${p.pack}; window ${p.window.from}..${p.window.to}${p.window.cite ? `, ${p.window.cite}` : ''})`, '');
  out.push(`Targets (应参保人数) and progress: "imported" is the town's breakdown sheet, "derived" the register (${t.basis.derived}${t.basis.cite ? `; ${t.basis.cite}` : ''}); the rate is paid ÷ the target used`);
  out.push(
    ...textTable(
      ['village', 'imported', 'derived', 'target', 'used', 'paid', 'rate', 'unpaid', 'refused', 'blocked'],
      rows.map((v) => {
        const x = v.villageCode ? byCode.get(v.villageCode) : undefined;
        return [
          label(v),
          v.villageCode ? (x?.imported ? x.imported.enrollment : '—') : sumOf((y) => y.imported?.enrollment ?? null),
          v.villageCode ? (x ? x.derived.enrollment : '—') : sumOf((y) => y.derived.enrollment),
          v.target,
          SOURCE_TEXT[v.targetSource] ?? v.targetSource,
          v.paid,
          v.rate?.text ?? '—',
          v.unpaid,
          v.refused,
          v.blocked,
        ];
      }),
      [false, true, true, true, false, true, true, true, true, true],
    ),
    '',
  );
  out.push(`Against last year (${p.coverageYear - 1}: enrolled in all, and as of ${p.totals.lastYear.asOf}); the rate is paid ÷ last year's enrolled`);
  out.push(
    ...textTable(
      ['village', 'paid', 'last year', 'vs last year', `as of ${p.totals.lastYear.asOf}`, 'change'],
      rows.map((v) => [label(v), v.paid, v.lastYear.enrolled, v.lastYear.rate?.text ?? '—', v.lastYear.enrolledSameDay, signed(v.lastYear.change)]),
      [false, true, true, true, true, true],
    ),
    '',
  );
  out.push('Money (yuan): individual contributions collected, classified assistance granted, fiscal subsidy due');
  out.push(
    ...textTable(
      ['village', 'contributions', 'assistance', 'subsidy', ...SUBSIDY_LEVELS],
      rows.map((v) => [label(v), yuan2(v.contributionsYuan), yuan2(v.assistanceYuan), yuan2(v.subsidyYuan), ...SUBSIDY_LEVELS.map((l) => yuan2(v.subsidyByLevelYuan[l]))]),
      [false, ...Array<boolean>(3 + SUBSIDY_LEVELS.length).fill(true)],
    ),
    '',
  );
  out.push('Assistance by group (分类资助: each person under the first group of the pack whose statuses they hold)');
  out.push(
    ...textTable(
      ['group', 'statuses', 'persons', 'yuan'],
      [
        ...p.assistanceByGroup.map((g) => [`${g.label} (${g.group})`, g.statuses.join(', '), g.persons, yuan2(g.yuan)]),
        ['合计', '', p.assistanceByGroup.reduce((s, g) => s + g.persons, 0), yuan2(p.totals.assistanceYuan)],
      ],
      [false, false, true, true],
    ),
    '',
  );
  out.push(`Half-month series (enrolled at each half-month end from the window's start; rate against the target ${p.totals.target})`);
  out.push(...textTable(['as of', 'paid', 'rate'], p.series.map((x) => [x.asOf, x.paid, x.rate?.text ?? '—']), [false, true, true]));
  return `${out.join('\n')}\n`;
}

export function monitoringCommands(program: Command): void {
  const quotes = (): QuoteService => QuoteService.load(program.opts<{ policies?: string }>().policies);

  program
    .command('progress')
    .description('campaign progress of an area as of a date, recomputed from payment dates (target, paid, unpaid, refused, blocked, rate)')
    .requiredOption('--area <code>', 'county (6 digits), township (9) or village (12)')
    .requiredOption('--as-of <date>', 'YYYY-MM-DD')
    .option('--year <year>', 'coverage year (default: the year the date collects for)')
    .option('--json', 'the full answer as JSON (as GET /api/v1/monitoring/progress)')
    .option('--as <username>', 'act as this registered user')
    .action(async (o: { area: string; asOf: string; year?: string; json?: boolean; as?: string }) => {
      const { progress } = await import('../monitoring/progress.js');
      const { villageTargets } = await import('../monitoring/targets.js');
      await withDb(async (d) => {
        const actor = await actorFor(d.db, o.as);
        const q = quotes();
        const p = await progress(d.db, q, actor, { area: o.area, year: yearOpt(o.year, o.asOf), asOf: o.asOf });
        if (o.json) {
          process.stdout.write(`${JSON.stringify(p, null, 2)}\n`);
          return;
        }
        // the imported and the derived target side by side (GET /api/v1/monitoring/targets)
        const targets = await villageTargets(d.db, q, actor, { area: p.area.code, year: p.coverageYear });
        process.stdout.write(progressText(p, targets));
      });
    });

  const report = program.commands.find((c) => c.name() === 'report') ?? program.command('report').description('reports of the campaign');
  report
    .command('half-monthly')
    .description('the half-monthly report (每半月通报) of a town as of a date, as XLSX, PDF or JSON by the output’s extension (audited)')
    .requiredOption('--town <code>', 'the township (9 digits) or the county')
    .requiredOption('--as-of <date>', 'YYYY-MM-DD')
    .requiredOption('-o, --output <path>', '.xlsx, .pdf or .json')
    .option('--year <year>', 'coverage year (default: the year the date collects for)')
    .option('--as <username>', 'act as this registered user')
    .action(async (o: { town: string; asOf: string; output: string; year?: string; as?: string }) => {
      const ext = extname(o.output).toLowerCase();
      if (!['.xlsx', '.pdf', '.json'].includes(ext)) throw new InputError('--output', `${o.output}: use .xlsx, .pdf or .json`);
      const { halfMonthlyReport } = await import('../monitoring/half-monthly.js');
      const { reportPdf, reportXlsx } = await import('../monitoring/report-files.js');
      const { auditRead } = await import('../monitoring/people.js');
      await withDb(async (d) => {
        const actor = await actorFor(d.db, o.as);
        const t0 = performance.now();
        const r = await halfMonthlyReport(d.db, quotes(), actor, { town: o.town, asOf: o.asOf, year: o.year === undefined ? undefined : yearOpt(o.year) });
        const body = ext === '.json' ? Buffer.from(`${JSON.stringify(r, null, 2)}\n`) : ext === '.xlsx' ? await reportXlsx(r) : await reportPdf(r);
        writeFileSync(o.output, body);
        await auditRead(d.db, actor, 'half_monthly_report', { town: r.town.code, coverageYear: r.coverageYear, asOf: r.asOf, format: ext.slice(1), villages: r.villages.length });
        console.error(`${r.title}: ${r.villages.length} villages, ${r.totals.enrolled} of ${r.totals.target} enrolled (${r.totals.rate?.text ?? '—'}), +${r.totals.change} since ${r.previousAsOf}; ${o.output} (${(performance.now() - t0).toFixed(0)} ms)`);
      });
    });

  const imp = program.commands.find((c) => c.name() === 'import') ?? program.command('import').description('import registers and lists from CSV or XLSX');
  imp
    .command('targets')
    .description('import a town’s breakdown sheet (村(社区) or 区划代码, 应参保人数, 电子凭证激活目标; 年度 or --year); bad rows by line')
    .argument('<file>', '.csv or .xlsx')
    .option('--year <year>', 'the coverage year of every row, when the sheet has no 年度 column')
    .option('--town <code>', 'the township the village names are looked up in')
    .option('--as <username>', 'act as this registered user')
    .action(async (file: string, o: { year?: string; town?: string; as?: string }) => {
      const { importTargets } = await import('../monitoring/targets.js');
      await withDb(async (d) => {
        const s = await importTargets(d.db, await actorFor(d.db, o.as), { path: file, coverageYear: o.year === undefined ? undefined : yearOpt(o.year), town: o.town });
        report_(s);
      });
    });
  imp
    .command('evouchers')
    .description('import a 医保电子凭证 activation list (身份证号, 激活日期, 激活渠道); a person’s earliest activation is kept; bad rows by line')
    .argument('<file>', '.csv or .xlsx')
    .option('--as <username>', 'act as this registered user')
    .action(async (file: string, o: { as?: string }) => {
      const { importEvouchers } = await import('../monitoring/evouchers.js');
      await withDb(async (d) => report_(await importEvouchers(d.db, await actorFor(d.db, o.as), { path: file })));
    });

  const payments = program.commands.find((c) => c.name() === 'payments') ?? program.command('payments').description('payments of the campaign');
  payments
    .command('import-file')
    .description('import a tax bureau’s or bank’s payment file in batches (流水号, 身份证号, 缴费金额, 缴费日期, 缴费渠道, 年度): each payment re-quoted on its date, idempotent by reference, bad rows by line (<file>.errors.csv)')
    .argument('<file>', '.csv or .xlsx')
    .option('--channel <channel>', 'the channel of rows without one (online, offline, tax_bureau, medical_assistance)')
    .option('--year <year>', 'the coverage year of rows without one (default: the year the payment date collects for)')
    .option('--batch-size <n>', 'rows per transaction', '1000')
    .option('--as <username>', 'act as this registered user')
    .action(async (file: string, o: { channel?: string; year?: string; batchSize: string; as?: string }) => {
      const { importPaymentFile } = await import('../monitoring/payment-file.js');
      if (o.channel !== undefined && !['online', 'offline', 'tax_bureau', 'medical_assistance'].includes(o.channel)) throw new InputError('--channel', 'is online, offline, tax_bureau or medical_assistance');
      const batchSize = Number(o.batchSize);
      if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 20000) throw new InputError('--batch-size', 'is 1–20000');
      await withDb(async (d) => {
        const t0 = performance.now();
        const s = await importPaymentFile(d.db, quotes(), await actorFor(d.db, o.as), {
          path: file,
          channel: o.channel as 'online' | undefined,
          coverageYear: o.year === undefined ? undefined : yearOpt(o.year),
          batchSize,
          onBatch: (n) => process.stderr.isTTY && process.stderr.write(`  ${n} rows\r`),
        });
        const secs = (performance.now() - t0) / 1000;
        console.error(`${s.rows} payments in ${secs.toFixed(1)} s: ${s.inserted} recorded, ${s.replayed} already recorded (same reference), ${s.refused} refused, ${s.bad - s.refused} bad; ${s.newbornsFollowing} newborns following a guardian (import ${s.batchId}).`);
        if (s.problems.length) {
          const errors = `${file}.errors.csv`;
          const { csvText } = await import('../sheets.js');
          writeFileSync(errors, `\uFEFF${csvText([['line', 'field', 'reason', 'idNumber'], ...s.problems.map((p) => [p.line, p.field, p.reason, p.idNumber])])}`);
          for (const p of s.problems.slice(0, 20)) console.error(`  line ${p.line}: ${p.field}: ${p.reason}`);
          if (s.bad > 20) console.error(`  … ${s.bad - 20} more`);
          console.error(`Bad and refused rows are listed in ${errors}`);
          process.exitCode = 1;
        }
      });
    });

  const mon = program.command('monitoring').description('lists of persons for follow-up, as XLSX (audited)');
  for (const [name, what] of [
    ['missing', 'persons of the seven groups not enrolled within the window, with what blocks them'],
    ['not-activated', 'residents whose 医保电子凭证 is not activated'],
    ['ledger', '农村低收入人口参保台账'],
    ['lapsed', '断保: enrolled last year, not this year'],
    ['never-enrolled', '漏保: registered and never enrolled'],
  ] as const)
    mon
      .command(name)
      .description(what)
      .requiredOption('--area <code>', 'county, township or village code')
      .requiredOption('--as-of <date>', 'YYYY-MM-DD')
      .requiredOption('-o, --output <path>', '.xlsx or .json')
      .option('--year <year>', 'coverage year (default: the year the date collects for)')
      .option('--masked', 'mask ID numbers and names')
      .option('--as <username>', 'act as this registered user')
      .action(async (o: { area: string; asOf: string; output: string; year?: string; masked?: boolean; as?: string }) => {
        const ext = extname(o.output).toLowerCase();
        if (ext !== '.xlsx' && ext !== '.json') throw new InputError('--output', `${o.output}: use .xlsx or .json`);
        const { listXlsx, ledgerXlsx, lowIncomeLedger } = await import('../monitoring/low-income-ledger.js');
        await withDb(async (d) => {
          const actor = await actorFor(d.db, o.as);
          const q = { area: o.area, year: yearOpt(o.year, o.asOf), asOf: o.asOf, masked: o.masked };
          let data: unknown;
          let xlsx: () => Promise<Buffer>;
          let n: number;
          if (name === 'missing') {
            const m = await (await import('../monitoring/priority-groups.js')).missingPersons(d.db, quotes(), actor, q);
            data = m;
            n = m.persons.length;
            xlsx = () => listXlsx('七类对象未参保', `${m.area.name}七类对象未参保人员（截至${m.asOf}）`, ['村（社区）', '户号', '姓名', '身份证号', '类别', '困难身份及认定部门', '核定状态', '未参保原因'], m.persons.map((p) => [p.villageName, p.houseNo, p.name, p.idNumber, p.groups.map((g) => g.label).join('、'), p.statuses.map((s) => `${s.label}（${s.sourceLabel}）`).join('、'), p.state, p.blocker.message]));
          } else if (name === 'not-activated') {
            const m = await (await import('../monitoring/evouchers.js')).notActivated(d.db, quotes(), actor, q);
            data = m;
            n = m.persons.length;
            xlsx = () => listXlsx('未激活', `${m.area.name}医保电子凭证未激活人员（截至${m.asOf}）`, ['村（社区）', '户号', '姓名', '身份证号', '参保核定状态'], m.persons.map((p) => [p.villageName, p.houseNo, p.name, p.idNumber, p.enrollmentState]));
          } else if (name === 'ledger') {
            const l = await lowIncomeLedger(d.db, actor, q);
            data = l;
            n = l.entries.length;
            xlsx = () => ledgerXlsx(l);
          } else {
            const r = await (await import('../monitoring/drop-outs.js')).dropOuts(d.db, actor, { ...q, kind: name === 'lapsed' ? 'lapsed' : 'never_enrolled' });
            data = r;
            n = r.persons.length;
            xlsx = () => listXlsx(name === 'lapsed' ? '断保' : '漏保', `${r.area.name}${name === 'lapsed' ? '断保' : '漏保'}人员（截至${r.asOf}）`, ['村（社区）', '户号', '姓名', '身份证号', '出生日期', '上次参保年度', '原因'], r.persons.map((p) => [p.villageName, p.houseNo, p.name, p.idNumber, p.birthDate, p.lastEnrolledYear, p.reason.message]));
          }
          writeFileSync(o.output, ext === '.json' ? `${JSON.stringify(data, null, 2)}\n` : await xlsx());
          console.error(`${n} persons: ${o.output}`);
        });
      });
}

function report_(s: { rows: number; inserted: number; updated: number; unchanged: number; bad: number; batchId: string; problems: { line: number; field: string; reason: string }[] }): void {
  console.error(`${s.rows} rows: ${s.inserted} new, ${s.updated} changed, ${s.unchanged} unchanged, ${s.bad} bad (import ${s.batchId}).`);
  for (const p of s.problems.slice(0, 20)) console.error(`  line ${p.line}: ${p.field}: ${p.reason}`);
  if (s.bad > 20) console.error(`  … ${s.bad - 20} more`);
  if (s.bad) process.exitCode = 1;
}
