/**
 * The half-monthly report as files a town office circulates: XLSX (the table, totals, a data
 * bar on the rate) and PDF (the same table, a bar chart of the villages' rates drawn with
 * pdfkit's own primitives, Chinese set in a real CJK font). Both print the figures of one
 * HalfMonthlyReport, so they agree with each other and with the API.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import ExcelJS from 'exceljs';
import PDFDocument from 'pdfkit';
import { InputError } from '../errors.js';
import type { RateFigure } from './figures.js';
import type { HalfMonthlyReport, ReportVillage } from './half-monthly.js';

export const REPORT_COLUMNS = [
  '序号', '村(社区)', '区划代码', '应参保人数', '已参保人数', '参保率', '排名', '较上期增加', '上期参保率',
  '七类对象人数', '七类对象已参保', '七类对象未参保', '七类对象参保率', '电子凭证激活目标', '已激活', '激活率', '备注',
] as const;

const pct = (r: RateFigure | null): string => r?.text ?? '—';

function villageCells(v: ReportVillage, i: number): (string | number)[] {
  const notes = [v.targetSource === 'derived' ? '目标为推算' : '', v.lagging ? '推进滞后' : ''].filter(Boolean).join('；');
  return [
    i + 1, v.villageName, v.villageCode, v.target, v.enrolled, pct(v.rate), v.rank ?? '—', v.change, pct(v.previous.rate),
    v.groups.persons, v.groups.enrolled, v.groups.missing, pct(v.groups.rate), v.evouchers.target, v.evouchers.activated, pct(v.evouchers.rate), notes,
  ];
}

function totalCells(r: HalfMonthlyReport): (string | number)[] {
  const t = r.totals;
  return [
    '', '合计', r.town.code, t.target, t.enrolled, pct(t.rate), '', t.change, pct(t.previous.rate),
    t.groups.persons, t.groups.enrolled, t.groups.missing, pct(t.groups.rate), t.evouchers.target, t.evouchers.activated, pct(t.evouchers.rate),
    t.targetSource === 'imported' ? '' : '含推算目标',
  ];
}

/** The report's table as rows (header first, totals last): what both files print. */
export function reportTable(r: HalfMonthlyReport): (string | number)[][] {
  return [[...REPORT_COLUMNS], ...r.villages.map(villageCells), totalCells(r)];
}

export async function reportXlsx(r: HalfMonthlyReport): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'yibao';
  const ws = wb.addWorksheet('通报', { pageSetup: { orientation: 'landscape', fitToPage: true, fitToWidth: 1 } });
  ws.addRow([r.title]).font = { bold: true, size: 14 };
  ws.mergeCells(1, 1, 1, REPORT_COLUMNS.length);
  ws.addRow([`统计截至 ${r.asOf}；上期 ${r.previousAsOf}；待遇年度 ${r.coverageYear}；政策包 ${r.pack}；依据 ${r.cite}`]);
  ws.mergeCells(2, 1, 2, REPORT_COLUMNS.length);
  const table = reportTable(r);
  const header = ws.addRow(table[0]);
  header.font = { bold: true };
  header.alignment = { wrapText: true, vertical: 'middle', horizontal: 'center' };
  const first = ws.rowCount + 1;
  for (const row of table.slice(1)) ws.addRow(row);
  const last = ws.rowCount;
  ws.getRow(last).font = { bold: true };
  // the rate as a number beside its text, for the data bar and for sorting in Excel
  const rateCol = REPORT_COLUMNS.length + 1;
  ws.getCell(3, rateCol).value = '参保率(数值)';
  ws.getCell(3, rateCol).font = { bold: true };
  r.villages.forEach((v, i) => {
    ws.getCell(first + i, rateCol).value = v.rate ? v.rate.percent / 100 : null;
    ws.getCell(first + i, rateCol).numFmt = '0.00%';
  });
  ws.getCell(last, rateCol).value = r.totals.rate ? r.totals.rate.percent / 100 : null;
  ws.getCell(last, rateCol).numFmt = '0.00%';
  if (r.villages.length)
    ws.addConditionalFormatting({
      ref: `${ws.getColumn(rateCol).letter}${first}:${ws.getColumn(rateCol).letter}${first + r.villages.length - 1}`,
      rules: [{ type: 'dataBar', priority: 1, cfvo: [{ type: 'num', value: 0 }, { type: 'num', value: 1 }], color: { argb: 'FF4472C4' } } as unknown as ExcelJS.ConditionalFormattingRule],
    });
  ws.columns.forEach((c, i) => (c.width = i === 1 ? 14 : i === 2 ? 15 : i === REPORT_COLUMNS.length - 1 ? 16 : 10));
  ws.addRow([]);
  for (const n of r.notes) ws.addRow([`注：${n}`]);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

// ---------------------------------------------------------------- PDF

/** Debian's fonts-noto-cjk; YIBAO_CJK_FONT names another OpenType/TrueType file (with YIBAO_CJK_FONT_NAME for a collection). */
export const CJK_FONT = process.env.YIBAO_CJK_FONT ?? '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc';
const CJK_FONT_NAME = process.env.YIBAO_CJK_FONT_NAME ?? (CJK_FONT.endsWith('.ttc') ? 'NotoSansCJKsc-Regular' : undefined);
let fontSource: Buffer | null = null;

/**
 * What pdfkit is given for the CJK font. pdfkit parses the font it is given afresh for every
 * document (fontkit's `create`): for Noto Sans CJK that is its layout tables and its 65 000-glyph
 * CFF, parsed again by every PDF (0.3–1.5 s of a report). A parsed font holds nothing of a
 * document (each document makes its own subset and layout cache), so the font is parsed once per
 * process, and pdfkit is handed a small token instead of the font's bytes: a font format
 * registered with fontkit (`registerFormat`, in the instance pdfkit requires) recognises the
 * token and answers with the parsed font.
 */
function cjkFont(): Buffer {
  if (fontSource) return fontSource;
  if (!existsSync(CJK_FONT))
    throw new InputError('format', `the PDF needs a CJK font: ${CJK_FONT} is missing (apt-get install fonts-noto-cjk, or set YIBAO_CJK_FONT); the XLSX needs none`);
  interface Fontkit {
    create(buffer: Uint8Array, postscriptName?: string): unknown;
    registerFormat(format: unknown): void;
  }
  const fontkit = createRequire(createRequire(import.meta.url).resolve('pdfkit'))('fontkit') as Fontkit;
  const parsed = fontkit.create(readFileSync(CJK_FONT), CJK_FONT_NAME);
  if (!parsed || typeof parsed !== 'object' || 'fonts' in parsed)
    throw new InputError('format', `${CJK_FONT} is a font collection: set YIBAO_CJK_FONT_NAME to the PostScript name of the face to use`);
  remembered(parsed as FontOnce);
  const token = Buffer.from(`yibao-cjk-font:${CJK_FONT}`);
  class ParsedOnce {
    static probe(buffer: Uint8Array): boolean {
      return buffer === token;
    }
    constructor() {
      return parsed as ParsedOnce;
    }
  }
  fontkit.registerFormat(ParsedOnce);
  fontSource = token;
  return fontSource;
}

interface Position { xAdvance: number; yAdvance: number; xOffset: number; yOffset: number }
interface Run { glyphs: unknown[]; positions: Position[]; script?: unknown; language?: unknown; direction?: unknown; features?: unknown }
interface FontOnce {
  layout(text: string, features?: unknown, ...rest: unknown[]): Run;
  createSubset(): { glyphs: number[]; encode(): Uint8Array };
}

/** Entries each memo keeps before it starts again (a town's reports share their strings and glyphs). */
const MEMO = 4096;

/**
 * What the parsed font does again for every document, done once per process. Shaping a string
 * (OpenType GSUB/GPOS of the CJK font: most of a report's CPU after the parse) gives the same
 * glyphs and positions every time: each layout is kept, and every caller gets its own copy of
 * the positions (pdfkit scales them in place). The subset a document embeds (its CFF: the used
 * charstrings and, whatever the glyphs, every global subroutine of the 65 000-glyph font) is the
 * same bytes for the same glyphs in the same order — a town's report, date after date — and is
 * kept by that list.
 */
function remembered(font: FontOnce): void {
  const runs = new Map<string, Run>();
  const layout = font.layout.bind(font);
  font.layout = (text, features, ...rest) => {
    if (rest.some((x) => x !== undefined)) return layout(text, features, ...rest);
    const key = features === undefined ? text : `${text}\u0000${JSON.stringify(features)}`;
    let run = runs.get(key);
    if (!run) {
      if (runs.size >= MEMO) runs.clear();
      run = layout(text, features);
      runs.set(key, run);
    }
    const r = run;
    return {
      glyphs: r.glyphs.slice(),
      positions: r.positions.map((p) => ({ xAdvance: p.xAdvance, yAdvance: p.yAdvance, xOffset: p.xOffset, yOffset: p.yOffset })),
      script: r.script, language: r.language, direction: r.direction, features: r.features,
      get advanceWidth(): number {
        return this.positions.reduce((w, p) => w + p.xAdvance, 0);
      },
    };
  };
  const subsets = new Map<string, Uint8Array>();
  const createSubset = font.createSubset.bind(font);
  font.createSubset = () => {
    const subset = createSubset();
    const encode = subset.encode.bind(subset);
    subset.encode = () => {
      const key = subset.glyphs.join(',');
      let bytes = subsets.get(key);
      if (!bytes) {
        if (subsets.size >= 64) subsets.clear();
        bytes = encode();
        subsets.set(key, bytes);
      }
      return bytes;
    };
    return subset;
  };
}

export async function reportPdf(r: HalfMonthlyReport): Promise<Buffer> {
  const font = cjkFont();
  const doc = new PDFDocument({ size: 'A4', layout: 'landscape', margin: 36, info: { Title: r.title, Author: 'yibao', Subject: r.cite } });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((resolve, reject) => {
    doc.on('end', () => resolve());
    doc.on('error', reject);
  });
  doc.registerFont('cjk', font as unknown as string);
  doc.font('cjk');
  // figures (plain ASCII) in Helvetica: laying them out in the CJK font's shaping engine is most of the PDF's time
  /** the font for a string; returns the baseline shift that lines Helvetica up with the CJK font */
  const fontFor = (t: string): number => {
    const ascii = /^[\x20-\x7e]*$/.test(t);
    doc.font(ascii ? 'Helvetica' : 'cjk');
    return ascii ? 2.5 : 0;
  };
  const left = doc.page.margins.left;
  const width = doc.page.width - doc.page.margins.left - doc.page.margins.right;
  const bottom = doc.page.height - doc.page.margins.bottom;

  doc.fontSize(15).text(r.title, { align: 'center' });
  doc.moveDown(0.3);
  doc.fontSize(8.5).fillColor('#444').text(`统计截至 ${r.asOf}；上期 ${r.previousAsOf}；待遇年度 ${r.coverageYear}；政策包 ${r.pack}；依据 ${r.cite}`, { align: 'center' });
  doc.fillColor('black').moveDown(0.6);

  // the table
  const table = reportTable(r);
  const widths = [22, 62, 66, 44, 44, 44, 28, 42, 44, 44, 44, 44, 48, 50, 40, 44, 70];
  const scale = width / widths.reduce((a, b) => a + b, 0);
  const w = widths.map((x) => x * scale);
  const rowH = 15;
  const drawRow = (cells: (string | number)[], bold: boolean, fill: string | null): void => {
    if (doc.y + rowH > bottom) doc.addPage();
    const y = doc.y;
    if (fill) doc.rect(left, y, width, rowH).fill(fill).fillColor('black');
    let x = left;
    doc.fontSize(bold ? 7.5 : 7.5);
    cells.forEach((c, i) => {
      const dy = fontFor(String(c));
      doc.text(String(c), x + 2, y + 4 + dy, { width: w[i] - 4, height: rowH - 2, align: i === 1 || i === 16 ? 'left' : 'center', lineBreak: false, ellipsis: true });
      x += w[i];
    });
    doc.moveTo(left, y + rowH).lineTo(left + width, y + rowH).lineWidth(0.3).strokeColor('#999').stroke();
    doc.x = left;
    doc.y = y + rowH;
  };
  // header: two lines where needed
  {
    const y = doc.y;
    const h = 24;
    doc.rect(left, y, width, h).fill('#dde4f0').fillColor('black');
    let x = left;
    doc.font('cjk').fontSize(7);
    table[0].forEach((c, i) => {
      doc.text(String(c), x + 1, y + 3, { width: w[i] - 2, height: h - 2, align: 'center' });
      x += w[i];
    });
    doc.x = left;
    doc.y = y + h;
  }
  table.slice(1, -1).forEach((row, i) => drawRow(row, false, r.villages[i].lagging ? '#fbe9e7' : null));
  drawRow(table[table.length - 1], true, '#eeeeee');

  // the bar chart of the villages' rates
  const barH = 11;
  const chartH = 30 + r.villages.length * (barH + 4);
  if (doc.y + Math.min(chartH, 200) > bottom) doc.addPage();
  doc.moveDown(1);
  doc.font('cjk').fontSize(10).text('各村（社区）参保率', left, doc.y);
  doc.moveDown(0.3);
  const labelW = 90;
  const chartW = width - labelW - 60;
  let y = doc.y;
  const axisTop = y;
  for (const v of r.villages) {
    if (y + barH > bottom) {
      doc.addPage();
      y = doc.page.margins.top;
    }
    const p = Math.min(100, v.rate?.percent ?? 0);
    doc.font('cjk').fontSize(7.5).fillColor('black').text(v.villageName, left, y + 1.5, { width: labelW - 6, align: 'right', lineBreak: false });
    doc.rect(left + labelW, y, chartW, barH).fill('#f2f2f2');
    if (p > 0) doc.rect(left + labelW, y, (chartW * p) / 100, barH).fill(v.lagging ? '#e57373' : '#4472c4');
    const dy = fontFor(pct(v.rate));
    doc.fillColor('black').fontSize(7.5).text(pct(v.rate), left + labelW + chartW + 4, y + 1.5 + dy, { width: 56, lineBreak: false });
    y += barH + 4;
  }
  // the town's rate as a line across the bars
  if (r.totals.rate && r.villages.length) {
    const x = left + labelW + (chartW * Math.min(100, r.totals.rate.percent)) / 100;
    doc.moveTo(x, axisTop - 2).lineTo(x, Math.min(y, bottom)).lineWidth(0.8).dash(2, { space: 2 }).strokeColor('#333').stroke().undash();
    doc.font('cjk').fontSize(7).fillColor('#333').text(`全镇 ${pct(r.totals.rate)}`, x - 30, Math.min(y, bottom - 10) + 1, { width: 60, align: 'center', lineBreak: false });
  }
  doc.x = left;
  doc.y = Math.min(y + 14, bottom - 10);
  doc.font('cjk').fillColor('black').fontSize(7.5);
  for (const n of r.notes) {
    if (doc.y + 12 > bottom) doc.addPage();
    doc.text(`注：${n}`, left, doc.y, { width });
  }
  doc.end();
  await done;
  return Buffer.concat(chunks);
}
