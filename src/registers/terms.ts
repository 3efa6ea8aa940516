/**
 * The registers' terms as clerks write them: area levels, person kinds, needy statuses and their
 * source departments, dates, names, genders — each text read into the one identifier the
 * glossary gives it, or refused naming the field.
 */
import { InputError } from '../errors.js';
import { isDateString } from '../dates.js';
import { KIND_LABELS, NEEDY_STATUSES, PERSON_KINDS, RESIDENCE_ALIASES, STATUS_LABELS, type NeedyStatus, type PersonKind, type Residence } from '../policy/vocabulary.js';
import type { NeedyStatusTable } from '../store/schema.js';

// ---------------------------------------------------------------- vocabulary

export const AREA_LEVELS = ['county', 'township', 'village'] as const;
export type AreaLevel = (typeof AREA_LEVELS)[number];
export const LEVEL_BY_LENGTH: Record<number, AreaLevel> = { 6: 'county', 9: 'township', 12: 'village' };
export const AREA_LEVEL_LABELS: Record<AreaLevel, string> = { county: '县（区）', township: '乡镇（街道）', village: '村（社区）' };

export const STATUS_SOURCES = ['civil_affairs', 'rural_revitalization', 'disability_federation', 'veterans_affairs', 'medical_security'] as const;
export type StatusSource = NeedyStatusTable['source'];

export const SOURCE_LABELS: Record<StatusSource, string> = {
  civil_affairs: '民政部门',
  rural_revitalization: '乡村振兴部门',
  disability_federation: '残疾人联合会',
  veterans_affairs: '退役军人事务部门',
  medical_security: '医疗保障部门',
};

/** The department that normally identifies each status: the default when a list does not say. */
export const DEFAULT_SOURCE: Record<NeedyStatus, StatusSource> = {
  destitute: 'civil_affairs',
  orphan: 'civil_affairs',
  unsupported_child: 'civil_affairs',
  dibao: 'civil_affairs',
  dibao_edge: 'civil_affairs',
  civil_affairs_registered: 'civil_affairs',
  illness_impoverished: 'civil_affairs',
  relapsed_poor: 'rural_revitalization',
  unstable_exited: 'rural_revitalization',
  at_risk_edge: 'rural_revitalization',
  sudden_hardship: 'rural_revitalization',
  monitored: 'rural_revitalization',
  stable_exited: 'rural_revitalization',
  severe_disability: 'disability_federation',
  entitled_veteran: 'veterans_affairs',
  old_demobilized_soldier: 'veterans_affairs',
};

export const norm = (s: string): string =>
  s
    .trim()
    .replace(/\s+/g, '')
    .replace(/（/g, '(')
    .replace(/）/g, ')')
    .toLowerCase();

const KIND_BY_TEXT = new Map<string, PersonKind>([
  ...PERSON_KINDS.map((k) => [k, k] as [string, PersonKind]),
  ...Object.entries(KIND_LABELS).map(([k, l]) => [norm(l), k as PersonKind] as [string, PersonKind]),
  ...(
    [
      ['成年居民', 'adult'],
      ['成年人', 'adult'],
      ['城乡居民', 'adult'],
      ['居民', 'adult'],
      ['学生儿童', 'student_child'],
      ['学生、儿童', 'student_child'],
      ['中小学生', 'student_child'],
      ['学生', 'student_child'],
      ['儿童', 'student_child'],
      ['大学生', 'college_student'],
      ['在校大学生', 'college_student'],
      ['新生儿', 'newborn'],
      ['持居住证人员', 'residence_permit_holder'],
      ['居住证', 'residence_permit_holder'],
      ['灵活就业人员', 'flexible_worker'],
      ['灵活就业', 'flexible_worker'],
    ] as const
  ).map(([l, k]) => [norm(l), k] as [string, PersonKind]),
]);

/** A person kind by identifier or Chinese label; an InputError naming `field` otherwise. */
export function personKindOf(text: string, field = 'kind'): PersonKind {
  const k = KIND_BY_TEXT.get(norm(text));
  if (!k) throw new InputError(field, text.trim() ? `"${text.trim()}" is not a person kind (${PERSON_KINDS.join(', ')} or 成年居民, 学生儿童, 大学生, 新生儿 …)` : 'is empty');
  return k;
}

const STATUS_BY_TEXT = new Map<string, NeedyStatus>([
  ...NEEDY_STATUSES.map((s) => [s, s] as [string, NeedyStatus]),
  ...NEEDY_STATUSES.map((s) => [norm(STATUS_LABELS[s]), s] as [string, NeedyStatus]),
  ...(
    [
      ['特困', 'destitute'],
      ['特困供养人员', 'destitute'],
      ['低保', 'dibao'],
      ['低保户', 'dibao'],
      ['低保边缘', 'dibao_edge'],
      ['低保边缘家庭', 'dibao_edge'],
      ['事实无人抚养', 'unsupported_child'],
      ['返贫致贫', 'relapsed_poor'],
      ['监测对象', 'monitored'],
      ['防止返贫监测对象', 'monitored'],
      ['纳入监测范围的易返贫致贫人口(防止返贫监测对象)', 'monitored'],
      ['脱贫人口', 'stable_exited'],
      ['稳定脱贫', 'stable_exited'],
      ['重度残疾人', 'severe_disability'],
      ['重度残疾', 'severe_disability'],
      ['优抚对象', 'entitled_veteran'],
      ['重点优抚对象', 'entitled_veteran'],
      ['老复员军人', 'old_demobilized_soldier'],
      ['因病致贫', 'illness_impoverished'],
      // the national identity codes (psn_idet_type)
      ['2304', 'destitute'],
      ['2361', 'orphan'],
      ['2370', 'unsupported_child'],
      ['2303', 'dibao'],
      ['236074', 'dibao_edge'],
      ['226104', 'relapsed_poor'],
      ['226101', 'unstable_exited'],
      ['226102', 'at_risk_edge'],
      ['226103', 'sudden_hardship'],
      ['230801', 'severe_disability'],
      ['236021', 'entitled_veteran'],
      ['236034', 'entitled_veteran'],
      ['2306', 'illness_impoverished'],
    ] as const
  ).map(([l, s]) => [norm(l), s] as [string, NeedyStatus]),
]);

/** A needy status by identifier, Chinese label (STATUS_LABELS) or national code. */
export function needyStatusOf(text: string, field = 'status'): NeedyStatus {
  const s = STATUS_BY_TEXT.get(norm(text));
  if (!s) throw new InputError(field, text.trim() ? `"${text.trim()}" is not a needy status (e.g. dibao / 低保对象, destitute / 特困人员; see the glossary)` : 'is empty');
  return s;
}

/** A source department by identifier or Chinese name (民政, 乡村振兴, 残联, 退役军人事务, 医保). */
export function statusSourceOf(text: string, field = 'source'): StatusSource {
  const t = norm(text);
  if ((STATUS_SOURCES as readonly string[]).includes(t)) return t as StatusSource;
  if (t.includes('民政')) return 'civil_affairs';
  if (t.includes('乡村振兴') || t.includes('扶贫') || t.includes('农业农村')) return 'rural_revitalization';
  if (t.includes('残联') || t.includes('残疾人联合会')) return 'disability_federation';
  if (t.includes('退役军人')) return 'veterans_affairs';
  if (t.includes('医保') || t.includes('医疗保障')) return 'medical_security';
  throw new InputError(field, `"${text.trim()}" is not a source department (民政, 乡村振兴, 残联, 退役军人事务, 医保 or ${STATUS_SOURCES.join(', ')})`);
}

/** A date as clerks write it (2022-01-05, 2022/1/5, 2022.1.5, 20220105, 2022年1月5日) → YYYY-MM-DD. */
export function parseDateText(text: string, field: string): string {
  const t = text.trim();
  let m = /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?Z?)?$/.exec(t);
  if (!m) {
    const c = /^(\d{4})(\d{2})(\d{2})$/.exec(t);
    if (c) m = c;
  }
  const iso = m ? `${m[1]}-${m[2].padStart(2, '0')}-${m[3].padStart(2, '0')}` : '';
  if (!m || !isDateString(iso)) throw new InputError(field, t ? `"${t}" is not a date (YYYY-MM-DD)` : 'is empty');
  return iso;
}

/** A person's name: trimmed, no digits or control characters, at most 50 characters. */
export function personName(text: string, field = 'name'): string {
  const t = text.trim().replace(/\s+/g, ' ').replace(/[•∙・]/g, '·');
  if (!t) throw new InputError(field, 'is empty');
  if ([...t].length > 50) throw new InputError(field, 'is longer than 50 characters');
  if (/[\d\p{Cc}]/u.test(t)) throw new InputError(field, 'contains digits or control characters; is this the right column?');
  // bidirectional overrides and isolates (U+202A–202E, U+2066–2069), zero-width and other
  // invisible format characters, line separators, private-use characters: a name shown
  // reversed or hiding text is refused (issue #11 item 11)
  if (/[\p{Cf}\p{Co}\p{Zl}\p{Zp}]/u.test(text)) throw new InputError(field, 'contains an invisible or direction-changing character (such as U+202E); type the name again');
  return t;
}

export function graduationYearOf(v: number | string | null | undefined, field = 'graduationYear'): number | null {
  if (v === null || v === undefined || v === '') return null;
  const t = String(v).trim();
  if (!/^\d{4}$/.test(t) || Number(t) < 1950 || Number(t) > 2100) throw new InputError(field, `"${t}" is not a year such as 2024`);
  return Number(t);
}

/** 户籍类型 as written (农业 / 非农业, 农村 / 城镇, rural / urban, …) → rural or urban; empty → null (not known). */
export function residenceOf(v: string | null | undefined, field = 'residence'): Residence | null {
  if (v === null || v === undefined || v.trim() === '') return null;
  const r = RESIDENCE_ALIASES[norm(v)];
  if (!r) throw new InputError(field, `"${v.trim()}" is not a residence type (户籍类型): write 农业 or 非农业, 农村 or 城镇, rural or urban`);
  return r;
}

export const GENDER_BY_TEXT: Record<string, 'male' | 'female'> = { male: 'male', female: 'female', 男: 'male', 女: 'female', m: 'male', f: 'female', '1': 'male', '2': 'female' };

// ---------------------------------------------------------------- rows

export function houseNumber(text: string, field: string): string {
  const t = text.trim();
  if (!t) throw new InputError(field, 'is empty');
  if (t.length > 30) throw new InputError(field, 'is longer than 30 characters');
  return t;
}

/** A timestamp column as ISO text (Kysely's Generated<ColumnType> types it oddly). */
export const iso = (v: unknown): string => new Date(v as string | Date).toISOString();

export function recordId(id: string, field: string): string {
  if (!/^\d{1,18}$/.test(id)) throw new InputError(field, `"${id}" is not a record id`);
  return id;
}

export function agreeGender(given: string | undefined | null, derived: 'male' | 'female', field = 'gender'): 'male' | 'female' {
  if (given === undefined || given === null || given.trim() === '') return derived;
  const g = GENDER_BY_TEXT[norm(given)];
  if (!g) throw new InputError(field, `"${given.trim()}" is not a gender (男/女, male/female)`);
  if (g !== derived) throw new InputError(field, `is ${given.trim()}, but the ID number is a ${derived === 'male' ? "man's (男)" : "woman's (女)"}`);
  return g;
}

export function agreeBirthDate(given: string | undefined | null, derived: string, field = 'birthDate'): string {
  if (given === undefined || given === null || given.trim() === '') return derived;
  const d = parseDateText(given, field);
  if (d !== derived) throw new InputError(field, `is ${d}, but the ID number says ${derived}`);
  return d;
}
