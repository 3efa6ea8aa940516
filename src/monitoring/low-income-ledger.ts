/**
 * 农村低收入人口参保台账 (兴义府发〔2022〕3号 五: 建立健全农村低收入人口参保台账，确保农村低收入人口应保尽保):
 * every person holding a status of the glossary's rural low-income group on the date, per
 * village: status, source department, enrollment, assistance and benefit start; as JSON and
 * as an XLSX ledger (a summary sheet per village, then the ledger itself).
 */
import ExcelJS from 'exceljs';
import { sql, type Kysely } from 'kysely';
import { STATUS_GROUPS, STATUS_LABELS, type NeedyStatus } from '../policy/vocabulary.js';
import type { DB } from '../store/schema.js';
import { areaInScope, checkYear, villagesOf, type AreaRef, inArea } from './area.js';
import { rateOf, type RateFigure } from './figures.js';
import { auditRead, maskingFor } from './people.js';
import { checkDate } from './progress.js';
import { SOURCE_LABELS } from '../registers/terms.js';
import { type Actor } from '../access/roles.js';

const STATE_LABELS: Record<string, string> = { paid: '已参保', assessed: '已核定未缴费', refused: '不予参保', blocked: '重复参保（已冻结）' };
const TIER_LABELS: Record<string, string> = { tier1: '一档', tier2: '二档' };

export interface LedgerEntry {
  personId: string;
  idNumber: string;
  name: string;
  townshipName: string | null;
  villageCode: string;
  villageName: string;
  houseNo: string | null;
  statuses: { status: string; label: string; source: string; sourceLabel: string; validFrom: string; reference: string | null }[];
  enrollmentState: string | null;
  enrolled: boolean;
  paidOn: string | null;
  tier: string | null;
  paidYuan: number;
  assistanceYuan: number | null;
  benefitStart: string | null;
  benefitEnd: string | null;
}

export interface LedgerAnswer {
  area: AreaRef;
  coverageYear: number;
  asOf: string;
  statuses: string[];
  fullIdNumbers: boolean;
  villages: { villageCode: string; villageName: string; persons: number; enrolled: number; rate: RateFigure | null }[];
  entries: LedgerEntry[];
}

interface Row {
  person_id: string;
  id_number: string;
  name: string;
  township_name: string | null;
  village_code: string;
  village_name: string;
  house_no: string | null;
  statuses: { status: string; source: string; valid_from: string; reference: string | null }[];
  state: string | null;
  enrolled_on: string | null;
  tier: string | null;
  paid_fen: string | null;
  assistance_fen: string | null;
  benefit_start: string | null;
  benefit_end: string | null;
}

export async function lowIncomeLedger(db: Kysely<DB>, actor: Actor, q: { area?: string; year: number; asOf: string; masked?: boolean }): Promise<LedgerAnswer> {
  const year = checkYear(q.year);
  const asOf = checkDate(q.asOf);
  const area = await areaInScope(db, actor, q.area);
  const mask = maskingFor(actor, q.masked);
  const statuses = [...STATUS_GROUPS.rural_low_income];
  const { rows } = await sql<Row>`
    WITH s AS (
      SELECT n.person_id, jsonb_agg(jsonb_build_object('status', n.status, 'source', n.source, 'valid_from', to_char(n.valid_from, 'YYYY-MM-DD'), 'reference', n.reference) ORDER BY n.status) AS statuses
      FROM needy_status n JOIN person p ON p.id = n.person_id
      WHERE n.status = ANY(${statuses}::text[]) AND n.valid_from <= ${asOf}::date AND (n.valid_to IS NULL OR n.valid_to >= ${asOf}::date)
        AND ${inArea('p.village_code', area.code)}
      GROUP BY n.person_id
    )
    SELECT p.id AS person_id, p.id_number, p.name, t.name AS township_name, p.village_code, v.name AS village_name, h.house_no, s.statuses,
      e.state, f.enrolled_on, e.tier, f.paid_fen, f.assistance_fen, e.benefit_start, e.benefit_end
    FROM s JOIN person p ON p.id = s.person_id
    JOIN admin_area v ON v.code = p.village_code LEFT JOIN admin_area t ON t.code = v.parent_code
    LEFT JOIN household h ON h.id = p.household_id
    LEFT JOIN enrollment e ON e.person_id = p.id AND e.coverage_year = ${year}
    LEFT JOIN enrollment_progress f ON f.enrollment_id = e.id
    ORDER BY p.village_code, h.house_no NULLS LAST, p.id`.execute(db);
  const entries = rows.map((r): LedgerEntry => {
    const enrolled = r.state === 'paid' && r.enrolled_on !== null && r.enrolled_on <= asOf;
    return {
      personId: String(r.person_id),
      idNumber: mask.id(r.id_number),
      name: mask.name(r.name),
      townshipName: r.township_name,
      villageCode: r.village_code,
      villageName: r.village_name,
      houseNo: r.house_no,
      statuses: (typeof r.statuses === 'string' ? JSON.parse(r.statuses) : r.statuses).map((s: Row['statuses'][number]) => ({
        status: s.status,
        label: STATUS_LABELS[s.status as NeedyStatus] ?? s.status,
        source: s.source,
        sourceLabel: SOURCE_LABELS[s.source as keyof typeof SOURCE_LABELS] ?? s.source,
        validFrom: s.valid_from,
        reference: s.reference,
      })),
      enrollmentState: r.state === 'paid' && !enrolled ? 'assessed' : r.state,
      enrolled,
      paidOn: enrolled ? r.enrolled_on : null,
      tier: r.tier,
      paidYuan: enrolled ? Number(r.paid_fen ?? 0) / 100 : 0,
      assistanceYuan: enrolled && r.assistance_fen !== null ? Number(r.assistance_fen) / 100 : null,
      benefitStart: enrolled ? r.benefit_start : null,
      benefitEnd: enrolled ? r.benefit_end : null,
    };
  });
  const villages = (await villagesOf(db, area)).map((v) => {
    const mine = entries.filter((e) => e.villageCode === v.code);
    const enrolled = mine.filter((e) => e.enrolled).length;
    return { villageCode: v.code, villageName: v.name, persons: mine.length, enrolled, rate: rateOf(enrolled, mine.length) };
  });
  await auditRead(db, actor, 'low_income_ledger', { area: area.code, coverageYear: year, asOf, rows: entries.length, fullIdNumbers: mask.full });
  return { area, coverageYear: year, asOf, statuses, fullIdNumbers: mask.full, villages, entries };
}

export const LEDGER_COLUMNS = ['序号', '乡镇（街道）', '村（社区）', '户号', '姓名', '身份证号', '困难身份', '认定部门', '认定日期', '参保状态', '缴费日期', '缴费档次', '个人缴费(元)', '资助金额(元)', '待遇开始日期', '待遇终止日期'] as const;

export async function ledgerXlsx(l: LedgerAnswer): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'yibao';
  const sum = wb.addWorksheet('汇总');
  sum.addRow([`${l.area.name}农村低收入人口参保台账（${l.coverageYear}年度，截至${l.asOf}）`]).font = { bold: true, size: 13 };
  sum.addRow(['村（社区）', '区划代码', '农村低收入人口', '已参保', '参保率']).font = { bold: true };
  for (const v of l.villages) sum.addRow([v.villageName, v.villageCode, v.persons, v.enrolled, v.rate?.text ?? '—']);
  const persons = l.villages.reduce((s, v) => s + v.persons, 0);
  const enrolled = l.villages.reduce((s, v) => s + v.enrolled, 0);
  sum.addRow(['合计', l.area.code, persons, enrolled, rateOf(enrolled, persons)?.text ?? '—']).font = { bold: true };
  sum.addRow([]);
  sum.addRow(['依据：兴义府发〔2022〕3号 五 “建立健全农村低收入人口参保台账，确保农村低收入人口应保尽保”；农村低收入人口按GLOSSARY的派生群体认定。']);
  sum.columns.forEach((c, i) => (c.width = i === 0 ? 16 : 14));
  const ws = wb.addWorksheet('台账');
  ws.addRow([...LEDGER_COLUMNS]).font = { bold: true };
  l.entries.forEach((e, i) =>
    ws.addRow([
      i + 1, e.townshipName ?? '', e.villageName, e.houseNo ?? '', e.name, e.idNumber,
      e.statuses.map((s) => s.label).join('、'), [...new Set(e.statuses.map((s) => s.sourceLabel))].join('、'), e.statuses.map((s) => s.validFrom).join('、'),
      STATE_LABELS[e.enrollmentState ?? ''] ?? '未核定', e.paidOn ?? '', e.tier ? (TIER_LABELS[e.tier] ?? e.tier) : '',
      e.enrolled ? e.paidYuan.toFixed(2) : '', e.assistanceYuan === null ? '' : e.assistanceYuan.toFixed(2), e.benefitStart ?? '', e.benefitEnd ?? '',
    ]),
  );
  ws.columns.forEach((c, i) => (c.width = [6, 12, 12, 8, 10, 20, 22, 12, 12, 14, 12, 8, 12, 12, 12, 12][i] ?? 12));
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** Any list of persons as an XLSX sheet (header first). */
export async function listXlsx(sheet: string, title: string, header: string[], rows: (string | number | null)[][]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'yibao';
  const ws = wb.addWorksheet(sheet);
  ws.addRow([title]).font = { bold: true, size: 13 };
  ws.addRow(header).font = { bold: true };
  for (const r of rows) ws.addRow(r);
  ws.columns.forEach((c) => (c.width = 14));
  return Buffer.from(await wb.xlsx.writeBuffer());
}
