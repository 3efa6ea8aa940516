/**
 * The fund's reports as workbooks (issue #17: results as JSON and XLSX): each fund's position by
 * month with the bottom-line alerts and the sentence they cite, money received with what is
 * outstanding per level and its age, and the year's budget against the ledger. Each workbook holds
 * what the JSON holds, in yuan with two decimals; the alerts and warnings keep their citation.
 */
import ExcelJS from 'exceljs';
import { fenToYuan } from '../money.js';
import type { budgetReport, fundPosition } from './position.js';
import { LEVEL_LABELS, type listReceipts, type outstanding } from './receipts.js';

const ACCOUNT_LABELS: Record<string, string> = { basic_fund: '基本医疗保险基金', critical_illness_fund: '大病保险资金', medical_assistance_fund: '医疗救助基金' };
const label = (account: string) => ACCOUNT_LABELS[account] ?? account;

type Position = Awaited<ReturnType<typeof fundPosition>>;
type Budget = Awaited<ReturnType<typeof budgetReport>>;
type Receipts = { receipts: Awaited<ReturnType<typeof listReceipts>>; outstanding: Awaited<ReturnType<typeof outstanding>> };

const book = async (wb: ExcelJS.Workbook): Promise<Buffer> => Buffer.from(await wb.xlsx.writeBuffer());

/** 基金运行: a row per fund and month, then the alerts with the sentence each cites, then the bottom lines. */
export async function positionWorkbook(p: Position): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('基金运行');
  ws.addRow(['基金', '月份', '本月收入（元）', '本月支出（元）', '本年收入（元）', '本年支出（元）', '当期结余（元）', '累计结余（元）', '可支付月数', '预警']);
  for (const x of p.positions)
    ws.addRow([label(x.account), x.month, x.income, x.spending, fenToYuan(x.yearIncomeFen), fenToYuan(x.yearSpendingFen), x.currentSurplus, x.balance, x.reserveMonths ?? '', x.alerts.map((a) => a.message).join('；')]);
  const wa = wb.addWorksheet('底线预警');
  wa.addRow(['基金', '月份', '预警代码', '说明', '依据', '原文', '参数', '政策包']);
  for (const a of p.alerts) wa.addRow([label(a.account), a.month, a.code, a.message, a.citation?.cite ?? a.citation?.example ?? '', a.citation?.quote ?? '', a.citation?.param ?? '', a.citation?.pack ?? '']);
  const wl = wb.addWorksheet('底线');
  wl.addRow(['年度', '累计结余可支付月数不低于', '当期不收不抵支', '参数', '依据', '原文', '政策包']);
  for (const b of p.bottomLines)
    for (const q of b.params) if (q) wl.addRow([b.year, b.minimumReserveMonths ?? '', b.noCurrentDeficit ? '是' : '否', q.key, q.cite ?? '', q.quote ?? '', q.from]);
  return book(wb);
}

/** 资金到位: the receipts, then what is outstanding per level and coverage year with its age, then the total per level. */
export async function receiptsWorkbook(r: Receipts): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const wr = wb.addWorksheet('到账');
  wr.addRow(['参考号', '类别', '级次', '参保年度', '金额（元）', '到账日期', '备注', '记账凭证', '录入人']);
  for (const x of r.receipts)
    wr.addRow([x.reference, x.kind === 'fiscal_subsidy' ? '财政补助' : '医疗救助资金拨付', x.level ? (LEVEL_LABELS[x.level] ?? x.level) : '', x.coverageYear, x.amountYuan, x.receivedOn, x.memo ?? '', x.entryId, x.recordedBy]);
  const wo = wb.addWorksheet('未到位');
  wo.addRow([`截至 ${r.outstanding.asOf}`]);
  wo.addRow(['级次', '参保年度', '应到（元）', '已到（元）', '未到位（元）', '到位比例', '0–90天（元）', '91–180天（元）', '181–365天（元）', '365天以上（元）', '最早未到位天数']);
  for (const l of r.outstanding.lines)
    wo.addRow([l.label, l.coverageYear, fenToYuan(l.accruedFen), fenToYuan(l.receivedFen), l.outstanding, l.receivedShare ?? '', fenToYuan(l.aging.days0to90), fenToYuan(l.aging.days91to180), fenToYuan(l.aging.days181to365), fenToYuan(l.aging.over365), l.oldestDays ?? '']);
  const wl = wb.addWorksheet('按级次');
  wl.addRow(['级次', '未到位（元）']);
  for (const l of r.outstanding.byLevel) wl.addRow([l.label, l.outstanding]);
  return book(wb);
}

/** 预算执行 (以收定支): each fund's budget against the year's actual figures, the warnings with their citation, then month by month. */
export async function budgetWorkbook(b: Budget): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('预算执行');
  ws.addRow([`${b.year} 年预算执行（${b.region}）`]);
  if (b.principle) ws.addRow(['原则', b.principle.value, b.principle.cite ?? '', b.principle.quote ?? '']);
  ws.addRow(['基金', '预算收入（元）', '预算支出（元）', '实际收入（元）', '实际支出（元）', '收入执行率', '支出执行率', '已过月数', '录入人', '录入时间', '备注']);
  for (const l of b.lines) ws.addRow([label(l.account), l.income, l.spending, l.actualIncome, l.actualSpending, l.incomeExecuted ?? '', l.spendingExecuted ?? '', l.monthsElapsed, l.recordedBy, l.recordedAt, l.memo ?? '']);
  const ww = wb.addWorksheet('预警');
  ww.addRow(['基金', '预警代码', '说明', '依据', '原文']);
  for (const l of b.lines) for (const w of l.warnings) ww.addRow([label(l.account), w.code, w.message, w.citation?.cite ?? w.citation?.example ?? '', w.citation?.quote ?? '']);
  const wm = wb.addWorksheet('按月');
  wm.addRow(['基金', '月份', '本月收入（元）', '本月支出（元）', '本年收入（元）', '本年支出（元）', '收入执行率', '支出执行率']);
  for (const l of b.lines) for (const m of l.months) wm.addRow([label(l.account), m.month, m.income, m.spending, m.yearIncome, m.yearSpending, m.incomeExecuted ?? '', m.spendingExecuted ?? '']);
  return book(wb);
}
