/**
 * The columns of an `assess` spreadsheet: each request field by its identifier or its
 * Chinese heading, and a row turned into a quote request. Pure.
 */
import { InputError } from '../errors.js';
import { KIND_LABELS, NEEDY_STATUSES, PERSON_KINDS, STATUS_LABELS } from '../policy/vocabulary.js';

/** Request field → accepted headings (first is the canonical one). */
export const INPUT_COLUMNS = {
  region: ['region', '区划代码', '统筹区代码', '行政区划代码'],
  coverageYear: ['coverageYear', '待遇年度', '参保年度', '年度'],
  tier: ['tier', '档次', '缴费档次'],
  birthDate: ['birthDate', '出生日期'],
  kind: ['kind', '人员类别', '参保人员类别'],
  statuses: ['statuses', '资助身份', '困难身份', '特殊身份'],
  paidOn: ['paidOn', '缴费日期'],
  enrolledOn: ['enrolledOn', '参保日期', '参保登记日期'],
  guardianEnrolled: ['guardianEnrolled', '监护人已参保'],
  previousScheme: ['previousScheme', '原参保险种'],
  previousEndedOn: ['previousEndedOn', '原参保终止日期'],
  graduationYear: ['graduationYear', '毕业年份'],
  subsidyClass: ['subsidyClass', '补助类别'],
  residence: ['residence', '户籍类型', '户口性质', '户籍性质'],
} as const;
export type InputColumn = keyof typeof INPUT_COLUMNS;

export const OUTPUT_COLUMNS = [
  ['accepted', '是否受理'],
  ['reasonCode', '不予受理代码'],
  ['reason', '不予受理原因'],
  ['pack', '适用政策包'],
  ['standardContribution', '个人缴费标准(元)'],
  ['contributionAssistance', '分类资助(元)'],
  ['individualDue', '个人应缴(元)'],
  ['fiscalSubsidyBorneByPerson', '个人承担财政补助(元)'],
  ['fiscalSubsidy', '财政补助(元)'],
  ['fiscalSubsidyShares', '财政补助分担'],
  ['benefitStart', '待遇开始'],
  ['benefitEnd', '待遇结束'],
  ['waitingDays', '等待期(天)'],
  ['assistanceRule', '资助依据'],
  ['examplesUsed', '所用示例值(非政策)'],
  ['standardArrears', '其中补征往年个人缴费(年度:元)'],
  ['warnings', '提示'],
] as const;

const norm = (s: string): string => s.trim().replace(/\s+/g, '').toLowerCase();
const headingIndex = new Map<string, InputColumn>();
for (const [field, names] of Object.entries(INPUT_COLUMNS) as [InputColumn, readonly string[]][])
  for (const n of names) headingIndex.set(norm(n), field);

/** Map the header row: which column holds which field; other columns pass through. */
export function mapHeader(header: string[]): { fields: Map<number, InputColumn>; passthrough: number[] } {
  const fields = new Map<number, InputColumn>();
  const seen = new Map<InputColumn, string>();
  const passthrough: number[] = [];
  header.forEach((h, i) => {
    const f = headingIndex.get(norm(h));
    if (!f) {
      if (h.trim()) passthrough.push(i);
      return;
    }
    if (seen.has(f)) throw new InputError(`header "${h}"`, `column ${f} appears twice (also as "${seen.get(f)}")`);
    seen.set(f, h);
    fields.set(i, f);
  });
  for (const required of ['region', 'coverageYear', 'birthDate', 'kind'] as const)
    if (!seen.has(required))
      throw new InputError('header', `no ${required} column (accepted headings: ${INPUT_COLUMNS[required].join(', ')})`);
  return { fields, passthrough };
}

const kindByLabel = new Map<string, string>([
  ...PERSON_KINDS.map((k) => [k, k] as [string, string]),
  ...Object.entries(KIND_LABELS).map(([k, l]) => [l, k] as [string, string]),
  ['成年居民', 'adult'],
  ['学生儿童', 'student_child'],
  ['大学生', 'college_student'],
]);
const statusByLabel = new Map<string, string>([
  ...NEEDY_STATUSES.map((s) => [s, s] as [string, string]),
  ...Object.entries(STATUS_LABELS).map(([s, l]) => [l, s] as [string, string]),
  ['低保', 'dibao'],
  ['特困', 'destitute'],
  ['低保边缘', 'dibao_edge'],
]);

function bool(field: string, v: string): boolean {
  const t = norm(v);
  if (['true', '1', 'yes', 'y', '是'].includes(t)) return true;
  if (['false', '0', 'no', 'n', '否', ''].includes(t)) return false;
  throw new InputError(field, `"${v}" is not yes/no (是/否, true/false)`);
}

function int(field: string, v: string): number {
  if (!/^\d{4}$/.test(v.trim())) throw new InputError(field, `"${v}" is not a year such as 2022`);
  return Number(v.trim());
}

/** One spreadsheet row (cells as text) → a contribution-quote request. */
export function rowToRequest(cells: Map<InputColumn, string>): Record<string, unknown> {
  const get = (f: InputColumn): string => (cells.get(f) ?? '').trim();
  const req: Record<string, unknown> = {};
  req.region = get('region');
  req.coverageYear = int('coverageYear', get('coverageYear'));
  if (get('tier')) req.tier = get('tier'); // 一档 / 二档 / 1 / 2 / tier1 / tier2: the request schema reads them all
  const kindText = get('kind');
  const statuses = get('statuses')
    .split(/[;；,，|、\s]+/)
    .filter(Boolean)
    .map((s) => statusByLabel.get(s) ?? statusByLabel.get(s.toLowerCase()) ?? s);
  req.person = { birthDate: get('birthDate'), kind: kindByLabel.get(kindText) ?? kindText, statuses, ...(get('residence') ? { residence: get('residence') } : {}) };
  if (get('paidOn')) req.paidOn = get('paidOn');
  if (get('enrolledOn')) req.enrolledOn = get('enrolledOn');
  if (get('guardianEnrolled')) req.guardianEnrolled = bool('guardianEnrolled', get('guardianEnrolled'));
  if (get('previousScheme') || get('previousEndedOn')) {
    const scheme = ({ 职工医保: 'employee', 职工: 'employee', 居民医保: 'resident', 居民: 'resident' } as Record<string, string>)[get('previousScheme')] ?? get('previousScheme');
    req.previousCoverage = { scheme, endedOn: get('previousEndedOn') };
  }
  if (get('graduationYear')) req.graduationYear = int('graduationYear', get('graduationYear'));
  if (get('subsidyClass')) req.subsidyClass = get('subsidyClass');
  req.trace = true;
  return req;
}

/** Map request-field paths back to the sheet's column names for error messages. */
export function columnOfField(field: string): string {
  if (field.startsWith('person.')) return field.slice(7).replace(/\.\d+$/, '');
  if (field === 'previousCoverage.scheme') return 'previousScheme';
  if (field === 'previousCoverage.endedOn') return 'previousEndedOn';
  return field;
}

/** Headings of columns that hold ID numbers: masked in the output list. */
export const isIdColumn = (heading: string): boolean => /身份证|证件号|公民身份号码|id.?(number|no|card)/i.test(heading);

/** 500230198005011234 → 500***********1234 */
export function maskId(v: string): string {
  const t = v.trim();
  if (t.length <= 7) return '*'.repeat(t.length);
  return `${t.slice(0, 3)}${'*'.repeat(t.length - 7)}${t.slice(-4)}`;
}
