/** The workbooks (XLSX) of a simulated year (baseline, reform, differences) and of a projection, for the CLI and the API alike. */
import ExcelJS from 'exceljs';
import { fenToYuan } from '../../money.js';
import type { baseFromReport, projectionReport } from './projection-report.js';
import type { Simulation } from './simulate.js';
import type { SimSummary } from './summary.js';

const FUNDS = [
  ['basicFund', '基本医保基金'],
  ['criticalIllnessFund', '大病保险'],
  ['medicalAssistanceFund', '医疗救助'],
] as const;

function summarySheet(wb: ExcelJS.Workbook, title: string, s: SimSummary): void {
  const ws = wb.addWorksheet(title);
  ws.addRow(['项目', '数值']);
  ws.addRow(['人数', s.persons]);
  ws.addRow(['参保人数', s.enrolled]);
  ws.addRow(['未参保人数', s.refused]);
  ws.addRow(['就诊人次', s.encounters]);
  ws.addRow(['按政策结算人次', s.settled]);
  for (const [k, label] of FUNDS) {
    ws.addRow([`${label}收入（元）`, s.funds[k].income]);
    ws.addRow([`${label}支出（元）`, s.funds[k].spending]);
  }
  ws.addRow(['个人缴费（元）', fenToYuan(s.income.contributionsFen)]);
  ws.addRow(['医疗救助资助参保（元）', fenToYuan(s.income.assistanceFen)]);
  ws.addRow(['财政补助（元）', fenToYuan(s.income.subsidyFen)]);
  for (const [level, fen] of Object.entries(s.income.subsidyByLevel)) ws.addRow([`财政补助 ${level}（元）`, fenToYuan(fen)]);
  ws.addRow(['医疗总费用（元）', fenToYuan(s.tiers.totalCostFen)]);
  ws.addRow(['基本医保支付（元）', fenToYuan(s.tiers.basicFundFen)]);
  ws.addRow(['大病保险支付（元）', fenToYuan(s.tiers.criticalIllnessFen)]);
  ws.addRow(['医疗救助支付（元）', fenToYuan(s.tiers.medicalAssistanceFen)]);
  ws.addRow(['个人负担（元）', fenToYuan(s.tiers.outOfPocketFen)]);
  ws.addRow([`高额负担人数（个人负担 > ${fenToYuan(s.highBurden.thresholdFen)} 元）`, s.highBurden.count]);
  ws.addRow([]);
  ws.addRow(['月份', ...FUNDS.flatMap(([, l]) => [`${l}收入（元）`, `${l}支出（元）`])]);
  for (const m of s.months) ws.addRow([m.month, ...FUNDS.flatMap(([k]) => [m[k].income, m[k].spending])]);
  ws.addRow([]);
  ws.addRow(['人群', '人数', '有就诊人数', '个人负担（元）', '人均个人负担（元，有就诊者）', '高额负担人数']);
  for (const g of s.outOfPocketByGroup) ws.addRow([g.group, g.persons, g.withEncounters, fenToYuan(g.outOfPocketFen), fenToYuan(g.meanFen), g.highBurden]);
  ws.addRow([]);
  ws.addRow(['十分位', '人数', '下限（元）', '上限（元）', '均值（元）', '占个人负担比例']);
  for (const d of s.deciles) ws.addRow([d.decile, d.persons, fenToYuan(d.fromFen), fenToYuan(d.toFen), fenToYuan(d.meanFen), d.share]);
  ws.addRow([]);
  for (const e of s.examplesUsed) ws.addRow(['示例参数', e]);
}

export async function simulationWorkbook(sim: Simulation): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  summarySheet(wb, '基线', sim.baseline);
  if (sim.reform) {
    summarySheet(wb, '改革', sim.reform.summary);
    const ws = wb.addWorksheet('改革差异');
    ws.addRow([`${sim.reform.name}${sim.reform.hypothetical ? '（假设方案）' : ''}`]);
    ws.addRow(['项目', '基线（元）', '改革（元）', '差异（元）']);
    for (const d of sim.reform.differences) {
      const count = d.what === 'highBurden.count';
      ws.addRow([d.what, count ? d.baselineFen : fenToYuan(d.baselineFen), count ? d.reformFen : fenToYuan(d.reformFen), count ? d.differenceFen : d.difference]);
    }
  }
  return Buffer.from(await wb.xlsx.writeBuffer());
}


export async function projectionWorkbook(r: ReturnType<typeof projectionReport> & { baseFrom: ReturnType<typeof baseFromReport> | null }): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('基金测算');
  ws.addRow(['年度', '参保人数', '人均个人缴费（元）', '人均财政补助（元）', '收入（元）', '支出（元）', '当期结余（元）', '累计结余（元）', '可支付月数', '底线预警']);
  for (const y of r.years) ws.addRow([y.year, y.persons, y.contributionPerPerson, y.subsidyPerPerson, y.income, y.spending, y.surplus, y.balance, y.reserveMonths, y.alerts.map((a) => a.message).join('；')]);
  ws.addRow([]);
  for (const c of r.firstCrossings) ws.addRow([`${c.year} 年首次触及底线`, c.message, c.cite, c.quote]);
  for (const e of r.examplesUsed) ws.addRow(['示例假设', e.assumption, e.example]);
  if (r.baseFrom) {
    ws.addRow([]);
    ws.addRow(['基准年', r.baseFrom.rule]);
    ws.addRow(['模拟', r.baseFrom.packId, r.baseFrom.run, r.baseFrom.reform ?? '']);
    for (const e of r.baseFrom.examplesUsed) ws.addRow(['模拟示例参数', e]);
  }
  return Buffer.from(await wb.xlsx.writeBuffer());
}

