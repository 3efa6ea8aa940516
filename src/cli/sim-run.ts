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
import ExcelJS from 'exceljs';
import { InputError } from '../errors.js';
import { fenToYuan } from '../money.js';
import type { Reform } from '../policy/reform.js';
import { QuoteService } from '../quotes/quote-service.js';
import { loadRegisters } from '../sim/microsim/registers.js';
import { loadReform } from '../sim/microsim/reforms.js';
import { simulate, type Simulation } from '../sim/microsim/simulate.js';
import type { SimSummary } from '../sim/microsim/summary.js';
import { openDatabase } from '../store/db.js';

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

async function workbook(sim: Simulation): Promise<Buffer> {
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
    .option('--reform <file>', 'a reform: a shipped id (policies/reforms) or a YAML/JSON file')
    .option('-o, --output <file>', 'write .xlsx or .json instead of JSON to stdout')
    .action(async (o: { pack?: string; persons: string; seed: string; registers?: boolean; reform?: string; output?: string }) => {
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
