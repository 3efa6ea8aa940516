/**
 * `yibao fund statement | approve | pay | receipts`: clearing with hospitals and money received
 * over src/fund/clearing.ts and receipts.ts (DATABASE_URL, or ./data/pglite). The CLI acts as
 * `cli:<login>` with the finance role (approval is the finance role's); every write is audited by
 * the service functions. Bad input exits 2 naming the option; a refused change (already approved,
 * a reference reused, no such hospital) exits 1 with the reason.
 */
import { writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import ExcelJS from 'exceljs';
import { InputError } from '../errors.js';
import { fenToYuan } from '../money.js';
import type { Actor } from '../access/roles.js';
import { approveStatement, listStatements, payStatement, statement, type Statement } from '../fund/clearing.js';
import { listReceipts, outstanding, recordReceipt } from '../fund/receipts.js';
import { clearingReconciliation, type ClearingReconciliation } from '../fund/clearing-reconciliation.js';
import { receiptsWorkbook } from '../fund/workbooks.js';
import { openDatabase, type Database } from '../store/db.js';

export const cliActor = (): Actor => ({ userId: '0', username: `cli:${userInfo().username}`, role: 'finance', villages: [], hospitalCode: null });

/** Options named as the CLI names them in an InputError from the service (`month` → `--month`). */
function asOption(e: InputError): InputError {
  const opt = e.field.split('.')[0];
  return new InputError(`--${opt.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`, e.message.slice(e.field.length + 2));
}

export async function withDb<T>(run: (d: Database) => Promise<T>): Promise<T> {
  const d = await openDatabase();
  try {
    return await run(d);
  } catch (e) {
    throw e instanceof InputError ? asOption(e) : e;
  } finally {
    await d.close();
  }
}

async function statementBook(list: Statement[]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('结算清算');
  ws.addRow(['医疗机构编码', '医疗机构', '月份', '状态', '类别', '就诊类型', '清算类别', '结算笔数', '医疗总费用（元）', '基本医保（元）', '大病保险（元）', '医疗救助（元）', '个人现金（元）', '基金支付（元）']);
  for (const s of list)
    for (const l of s.lines)
      ws.addRow([s.hospitalCode, s.hospitalName, s.month, s.state, l.kind === 'settled' ? '本期结算' : l.kind === 'reversed' ? '清算后冲销' : '追回违规基金', l.encounterType, l.clrType, l.settlements, fenToYuan(l.totalFen), fenToYuan(l.basicFundFen), fenToYuan(l.criticalIllnessFen), fenToYuan(l.medicalAssistanceFen), fenToYuan(l.cashFen), fenToYuan(l.fundFen)]);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

export async function emit(value: unknown, output: string | undefined, book?: () => Promise<Buffer>): Promise<void> {
  if (!output) {
    process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    return;
  }
  const ext = extname(output).toLowerCase();
  if (ext === '.xlsx' && book) writeFileSync(output, await book());
  else writeFileSync(output, `${JSON.stringify(value, null, 2)}\n`);
  console.error(`→ ${output}`);
}

export function checkOutput(output: string | undefined, xlsx: boolean): void {
  if (!output) return;
  const ext = extname(output).toLowerCase();
  if (ext !== '.json' && !(xlsx && ext === '.xlsx')) throw new InputError('--output', xlsx ? 'must end in .xlsx or .json' : 'must end in .json');
}

async function reconciliationBook(r: ClearingReconciliation): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('对账');
  ws.addRow([`${r.hospitalName}（${r.hospitalCode}）${r.month} 对账`]);
  ws.addRow([r.rule]);
  ws.addRow(['项目', '机构上报（3201）', '清算单', '有效结算（按结算时间）']);
  ws.addRow(['医疗费总额（元）', r.reported.medfee, r.statement.total, r.live.medfee]);
  ws.addRow(['基金支付（元）', r.reported.fund, r.statement.fundTotal, r.live.fund]);
  ws.addRow(['个人账户支付（元）', r.reported.acct, 0, 0]);
  ws.addRow(['结算笔数', r.reported.count, r.statement.settlements - r.statement.reversals, r.live.count]);
  ws.addRow([]);
  ws.addRow(['差异：字段', '比较对象', '机构上报', '中心', '差额']);
  for (const d of r.differences) ws.addRow([d.field, d.against === 'statement' ? '清算单' : '有效结算', d.reported, d.ours, d.difference]);
  ws.addRow([]);
  ws.addRow(['3201 报文', '开始日期', '结束日期', '清算类别', '医疗费总额（元）', '基金支付（元）', '笔数']);
  for (const x of r.reported.reports) ws.addRow([x.msgid, x.begin, x.end, x.clrType ?? '', fenToYuan(x.medfeeFen), fenToYuan(x.fundFen), x.count]);
  for (const x of r.reported.superseded) ws.addRow([x.msgid, x.begin, x.end, x.clrType ?? '', `被 ${x.supersededBy} 取代`]);
  if (r.reported.spanning.length) {
    ws.addRow([]);
    ws.addRow(['跨月 3201 报文', '开始日期', '结束日期', '清算类别', '医疗费总额（元）', '基金支付（元）', '笔数', '有效结算医疗费（元）', '有效结算基金（元）', '有效结算笔数', '说明']);
    for (const x of r.reported.spanning) ws.addRow([x.msgid, x.begin, x.end, x.clrType ?? '', fenToYuan(x.medfeeFen), fenToYuan(x.fundFen), x.count, x.live.medfee, x.live.fund, x.live.count, [x.note, ...x.differences.map((d) => `${d.field} 差额 ${d.difference}`)].join('；')]);
  }
  if (r.reported.uncoveredDays.length) ws.addRow(['未对账日期', r.reported.uncoveredDays.join(', ')]);
  if (r.details) {
    const wd = wb.addWorksheet('明细差异');
    wd.addRow(['结算ID (setl_id)', '中心结算号', '问题', '说明', '机构医疗费总额', '机构基金支付', '清算单医疗费总额', '清算单基金支付']);
    for (const d of r.details.differences) wd.addRow([d.setlId, d.settlementId ?? '', d.problem, d.message, d.reported?.medfee ?? '', d.reported?.fund ?? '', d.statement?.medfee ?? '', d.statement?.fund ?? '']);
  }
  return Buffer.from(await wb.xlsx.writeBuffer());
}

export function fundClearingCommands(fund: Command): void {
  fund
    .command('reconcile')
    .description('a hospital’s month: its clearing statement beside the totals and rows it reported by 3201/3202, with the differences')
    .requiredOption('--hospital <code>', 'the hospital’s code')
    .requiredOption('--month <YYYY-MM>', 'the month')
    .option('-o, --output <file>', 'write .xlsx or .json instead of JSON to stdout')
    .action(async (o: { hospital: string; month: string; output?: string }) => {
      checkOutput(o.output, true);
      await withDb(async (d) => {
        const r = await clearingReconciliation(d.db, cliActor(), { hospital: o.hospital, month: o.month });
        await emit(r, o.output, () => reconciliationBook(r));
      });
    });
  fund
    .command('statement')
    .description('a hospital’s clearing statement of a month (as approved, or drawn now from its live settlements); without --hospital and --month, the approved statements')
    .option('--hospital <code>', 'the hospital’s code')
    .option('--month <YYYY-MM>', 'the month')
    .option('-o, --output <file>', 'write .xlsx or .json instead of JSON to stdout')
    .action(async (o: { hospital?: string; month?: string; output?: string }) => {
      checkOutput(o.output, true);
      const q = { ...(o.hospital ? { hospital: o.hospital } : {}), ...(o.month ? { month: o.month } : {}) };
      await withDb(async (d) => {
        const list = o.hospital && o.month ? [await statement(d.db, cliActor(), q)] : (await listStatements(d.db, cliActor(), q)).statements;
        await emit(o.hospital && o.month ? list[0] : { statements: list }, o.output, () => statementBook(list));
      });
    });
  fund
    .command('approve')
    .description('approve a hospital’s statement of a month (finance): written once with the settlements it clears, audited')
    .requiredOption('--hospital <code>', 'the hospital’s code')
    .requiredOption('--month <YYYY-MM>', 'the month')
    .action(async (o: { hospital: string; month: string }) => {
      await withDb(async (d) => emit(await approveStatement(d.db, cliActor(), { hospital: o.hospital, month: o.month }), undefined));
    });
  fund
    .command('pay')
    .description('pay an approved statement (Dr 应付定点医疗机构款 / Cr 基金专户银行存款), once per reference: the same payment again writes nothing (replayed: true)')
    .requiredOption('--hospital <code>', 'the hospital’s code')
    .requiredOption('--month <YYYY-MM>', 'the month')
    .requiredOption('--reference <ref>', 'the bank reference of the payment')
    .requiredOption('--paid-on <YYYY-MM-DD>', 'the day paid')
    .action(async (o: { hospital: string; month: string; reference: string; paidOn: string }) => {
      await withDb(async (d) => emit(await payStatement(d.db, cliActor(), { hospital: o.hospital, month: o.month, reference: o.reference, paidOn: o.paidOn }), undefined));
    });
  const receipts = fund.command('receipts').description('money received: fiscal subsidies by level and year, the medical-assistance fund’s appropriations');
  receipts
    .command('list', { isDefault: true })
    .description('the receipts and what is outstanding per level and coverage year, with its age')
    .option('--year <YYYY>', 'one coverage year')
    .option('--as-of <YYYY-MM-DD>', 'the day the age is counted to (default today)')
    .option('-o, --output <file>', 'write .xlsx or .json instead of JSON to stdout')
    .action(async (o: { year?: string; asOf?: string; output?: string }) => {
      checkOutput(o.output, true);
      if (o.year !== undefined && !/^\d{4}$/.test(o.year)) throw new InputError('--year', `"${o.year}" is not a year`);
      if (o.asOf !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(o.asOf)) throw new InputError('--as-of', 'must be a date written YYYY-MM-DD');
      const year = o.year === undefined ? undefined : Number(o.year);
      await withDb(async (d) => {
        const r = { receipts: await listReceipts(d.db, year), outstanding: await outstanding(d.db, { year, asOf: o.asOf }) };
        await emit(r, o.output, () => receiptsWorkbook(r));
      });
    });
  receipts
    .command('record')
    .description('record money received, idempotent by reference (the same receipt again: replayed: true)')
    .option('--kind <kind>', 'fiscal_subsidy or assistance_appropriation', 'fiscal_subsidy')
    .option('--level <level>', 'the paying level of a fiscal subsidy: central, provincial, prefecture, county, local, unallocated')
    .requiredOption('--reference <ref>', 'the document or bank reference')
    .requiredOption('--coverage-year <YYYY>', 'the coverage year the money is for')
    .requiredOption('--amount <yuan>', 'yuan, at most two decimals')
    .requiredOption('--received-on <YYYY-MM-DD>', 'the day received')
    .option('--memo <text>', 'a note')
    .action(async (o: { kind: string; level?: string; reference: string; coverageYear: string; amount: string; receivedOn: string; memo?: string }) => {
      if (!/^\d{4}$/.test(o.coverageYear)) throw new InputError('--coverage-year', `"${o.coverageYear}" is not a year`);
      const input = { kind: o.kind, ...(o.level ? { level: o.level } : {}), reference: o.reference, coverageYear: Number(o.coverageYear), amountYuan: o.amount, receivedOn: o.receivedOn, ...(o.memo ? { memo: o.memo } : {}) };
      try {
        await withDb(async (d) => emit(await recordReceipt(d.db, cliActor(), input), undefined));
      } catch (e) {
        // the service names amountYuan: the CLI's option is --amount
        if (e instanceof InputError && e.field === '--amount-yuan') throw new InputError('--amount', e.message.slice(e.field.length + 2));
        throw e;
      }
    });
}
