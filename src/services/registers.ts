/**
 * The registers: the county / township / village hierarchy, households, persons and the
 * needy statuses the source departments report. Every change keeps the row as it was and as
 * it became (register_history: who, when, before / after) and is audited in the same
 * transaction. Persons carry a `version` for optimistic concurrency. Clerks touch only their
 * own villages (app_user.villages: village or township code prefixes). List views mask ID
 * numbers and names; the detail view shows them to users in scope.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import { ConflictError, InputError, NotFoundError } from '../errors.js';
import { isDateString } from '../dates.js';
import { KIND_LABELS, NEEDY_STATUSES, PERSON_KINDS, STATUS_IMPLIES, STATUS_LABELS, type NeedyStatus, type PersonKind } from '../policy/vocabulary.js';
import type { DB, NeedyStatusTable } from '../store/schema.js';
import { audit } from './audit.js';
import { inScope, requirePermission, requireVillage, type Actor } from './auth.js';
import { parseIdNumber } from './id-number.js';
import { maskIdNumber, maskName } from './privacy.js';

type Tx = Kysely<DB> | Transaction<DB>;

// ---------------------------------------------------------------- vocabulary

export const AREA_LEVELS = ['county', 'township', 'village'] as const;
export type AreaLevel = (typeof AREA_LEVELS)[number];
const LEVEL_BY_LENGTH: Record<number, AreaLevel> = { 6: 'county', 9: 'township', 12: 'village' };
const LEVEL_LABELS: Record<AreaLevel, string> = { county: '县（区）', township: '乡镇（街道）', village: '村（社区）' };

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

const norm = (s: string): string =>
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
  return t;
}

export function graduationYearOf(v: number | string | null | undefined, field = 'graduationYear'): number | null {
  if (v === null || v === undefined || v === '') return null;
  const t = String(v).trim();
  if (!/^\d{4}$/.test(t) || Number(t) < 1950 || Number(t) > 2100) throw new InputError(field, `"${t}" is not a year such as 2024`);
  return Number(t);
}

export const GENDER_BY_TEXT: Record<string, 'male' | 'female'> = { male: 'male', female: 'female', 男: 'male', 女: 'female', m: 'male', f: 'female', '1': 'male', '2': 'female' };

// ---------------------------------------------------------------- rows

/** A person row as the history records it. */
export interface PersonRecord {
  id: string;
  id_number: string;
  name: string;
  gender: 'male' | 'female';
  birth_date: string;
  household_id: string | null;
  village_code: string;
  kind: string;
  graduation_year: number | null;
  version: number;
}

export const PERSON_COLUMNS = ['id', 'id_number', 'name', 'gender', 'birth_date', 'household_id', 'village_code', 'kind', 'graduation_year', 'version'] as const;

/** The business fields compared for “did anything change”. */
export const PERSON_FIELDS = ['id_number', 'name', 'gender', 'birth_date', 'household_id', 'village_code', 'kind', 'graduation_year'] as const;

export function personRecord(r: { [K in keyof PersonRecord]: unknown }): PersonRecord {
  return {
    id: String(r.id),
    id_number: String(r.id_number),
    name: String(r.name),
    gender: r.gender as 'male' | 'female',
    birth_date: String(r.birth_date),
    household_id: r.household_id === null || r.household_id === undefined ? null : String(r.household_id),
    village_code: String(r.village_code),
    kind: String(r.kind),
    graduation_year: r.graduation_year === null || r.graduation_year === undefined ? null : Number(r.graduation_year),
    version: Number(r.version),
  };
}

export interface StatusRecord {
  id: string;
  person_id: string;
  status: string;
  source: StatusSource;
  valid_from: string;
  valid_to: string | null;
  reference: string | null;
}

export function statusRecord(r: { [K in keyof StatusRecord]: unknown }): StatusRecord {
  return {
    id: String(r.id),
    person_id: String(r.person_id),
    status: String(r.status),
    source: r.source as StatusSource,
    valid_from: String(r.valid_from),
    valid_to: r.valid_to === null || r.valid_to === undefined ? null : String(r.valid_to),
    reference: r.reference === null || r.reference === undefined ? null : String(r.reference),
  };
}

/** The API's view of a person (full ID number and name: only for users in scope). */
export function personJson(p: PersonRecord) {
  return {
    id: p.id,
    idNumber: p.id_number,
    name: p.name,
    gender: p.gender,
    birthDate: p.birth_date,
    householdId: p.household_id,
    villageCode: p.village_code,
    kind: p.kind,
    graduationYear: p.graduation_year,
    version: p.version,
  };
}

export function statusJson(s: StatusRecord) {
  return { id: s.id, personId: s.person_id, status: s.status, label: STATUS_LABELS[s.status as NeedyStatus] ?? s.status, source: s.source, validFrom: s.valid_from, validTo: s.valid_to, reference: s.reference };
}

/** Record one change of a register row. */
export async function recordHistory(tx: Tx, actor: Actor, entity: string, entityId: string | number, before: object | null, after: object | null): Promise<void> {
  await tx
    .insertInto('register_history')
    .values({ entity, entity_id: String(entityId), changed_by: actor.username, before: before ? JSON.stringify(before) : null, after: after ? JSON.stringify(after) : null })
    .execute();
}

/** The masked identity for audit details and logs. */
export const maskedPerson = (p: { id_number: string; name: string }): { idNumber: string; name: string } => ({ idNumber: maskIdNumber(p.id_number), name: maskName(p.name) });

/** [from, to) range of codes under a code prefix (digits only, so any collation orders them alike). */
export function prefixRange(prefix: string): [string, string] {
  const upper = (BigInt(prefix) + 1n).toString().padStart(prefix.length, '0');
  return [prefix, upper];
}

function scopeRanges(actor: Actor): [string, string][] | null {
  if (actor.role !== 'clerk') return null;
  return actor.villages.map(prefixRange);
}

// ---------------------------------------------------------------- inputs

export interface AreaInput {
  code: string;
  name: string;
  /** the coordinating area (counties; townships and villages inherit their county's) */
  region?: string;
  /** optional: must be the code one level up */
  parentCode?: string;
}

export interface HouseholdInput {
  villageCode: string;
  houseNo: string;
  address?: string | null;
}

export interface PersonInput {
  idNumber: string;
  name: string;
  /** optional: derived from the ID number; when given it must agree */
  gender?: string;
  /** optional: derived from the ID number; when given it must agree */
  birthDate?: string;
  villageCode: string;
  householdId?: string | null;
  /** the household by its number in the village (created when new) */
  houseNo?: string | null;
  kind: string;
  graduationYear?: number | null;
}

export type PersonPatch = Partial<PersonInput> & { version: number };

export interface StatusInput {
  status: string;
  /** default: the department that normally identifies the status */
  source?: string;
  validFrom: string;
  validTo?: string | null;
  reference?: string | null;
}

export interface PersonListQuery {
  /** a village, township or county code */
  village?: string;
  idNumber?: string;
  /** the full name, exactly (the list shows it masked) */
  name?: string;
  /** the members of one household */
  householdId?: string;
  page?: number;
  pageSize?: number;
}

// ---------------------------------------------------------------- the service

export class Registers {
  constructor(readonly db: Kysely<DB>) {}

  // ---- areas

  async createArea(actor: Actor, input: AreaInput) {
    requirePermission(actor, 'registers.write');
    const code = input.code.trim();
    const level = LEVEL_BY_LENGTH[code.length];
    if (!/^\d+$/.test(code) || !level) throw new InputError('code', 'a county code has 6 digits, a township 9, a village 12');
    if (level !== 'county' && code.endsWith('000')) throw new InputError('code', `the last three digits of a ${level} code cannot be 000`);
    const name = input.name.trim();
    if (!name || name.length > 60) throw new InputError('name', 'give the name (at most 60 characters)');
    requireVillage(actor, code);
    return this.db.transaction().execute(async (tx) => {
      let parent: string | null = null;
      let region: string;
      if (level === 'county') {
        region = (input.region ?? code).trim();
        if (!/^\d{6}$/.test(region)) throw new InputError('region', 'a region code has 6 digits');
        if (input.parentCode) throw new InputError('parentCode', 'a county has no parent in the registers');
      } else {
        parent = code.slice(0, code.length - 3);
        if (input.parentCode !== undefined && input.parentCode !== parent)
          throw new InputError('parentCode', `the parent of ${code} is ${parent} (the code's first ${parent.length} digits)`);
        const up = await tx.selectFrom('admin_area').select(['level', 'region']).where('code', '=', parent).executeTakeFirst();
        const wantLevel = level === 'village' ? 'township' : 'county';
        if (!up) throw new InputError('code', `the ${wantLevel} ${parent} is not registered; create it first`);
        if (up.level !== wantLevel) throw new InputError('code', `${parent} is a ${up.level}, not a ${wantLevel}`);
        region = up.region;
        if (input.region !== undefined && input.region !== region) throw new InputError('region', `a ${level} belongs to its county's region ${region}`);
      }
      const exists = await tx.selectFrom('admin_area').select('code').where('code', '=', code).executeTakeFirst();
      if (exists) throw new ConflictError('duplicate_area', `the area ${code} is already registered`);
      const row = { code, name, level, parent_code: parent, region };
      await tx.insertInto('admin_area').values(row).execute();
      await recordHistory(tx, actor, 'admin_area', code, null, row);
      await audit(tx, actor, 'create', 'admin_area', code, row);
      return areaJson(row);
    });
  }

  async listAreas(actor: Actor, q: { parent?: string; level?: AreaLevel } = {}) {
    requirePermission(actor, 'registers.read');
    let sel = this.db.selectFrom('admin_area').select(['code', 'name', 'level', 'parent_code', 'region']).orderBy('code');
    if (q.parent) sel = sel.where('parent_code', '=', q.parent);
    if (q.level) sel = sel.where('level', '=', q.level);
    const ranges = scopeRanges(actor);
    if (ranges) {
      // a clerk sees the areas of their villages and the areas above them
      const ancestors = actor.villages.flatMap((v) => [6, 9].filter((n) => n < v.length).map((n) => v.slice(0, n)));
      sel = sel.where((eb) => eb.or([...ranges.map(([a, b]) => eb.and([eb('code', '>=', a), eb('code', '<', b)])), ...(ancestors.length ? [eb('code', 'in', ancestors)] : [])]));
    }
    return (await sel.limit(20000).execute()).map(areaJson);
  }

  /** The village of a code, checked: it exists, it is a village, the actor may touch it. */
  async village(tx: Tx, actor: Actor, code: string, field = 'villageCode'): Promise<{ code: string; name: string; region: string }> {
    const c = code.trim();
    if (!/^\d{12}$/.test(c)) throw new InputError(field, `"${c}" is not a village code (12 digits)`);
    const v = await tx.selectFrom('admin_area').select(['code', 'name', 'level', 'region']).where('code', '=', c).executeTakeFirst();
    if (!v) throw new InputError(field, `no village ${c} in the registers`);
    if (v.level !== 'village') throw new InputError(field, `${c} is a ${v.level}, not a village`);
    requireVillage(actor, c);
    return v;
  }

  // ---- households

  async createHousehold(actor: Actor, input: HouseholdInput) {
    requirePermission(actor, 'registers.write');
    const houseNo = houseNumber(input.houseNo, 'houseNo');
    return this.db.transaction().execute(async (tx) => {
      await this.village(tx, actor, input.villageCode);
      const dup = await tx.selectFrom('household').select('id').where('village_code', '=', input.villageCode).where('house_no', '=', houseNo).executeTakeFirst();
      if (dup) throw new ConflictError('duplicate_household', `household ${houseNo} of village ${input.villageCode} is already registered (id ${dup.id})`);
      return householdJson(await this.insertHousehold(tx, actor, input.villageCode, houseNo, input.address?.trim() || null));
    });
  }

  private async insertHousehold(tx: Tx, actor: Actor, villageCode: string, houseNo: string, address: string | null) {
    const row = await tx.insertInto('household').values({ village_code: villageCode, house_no: houseNo, address }).returning(['id', 'village_code', 'house_no', 'address']).executeTakeFirstOrThrow();
    await recordHistory(tx, actor, 'household', row.id, null, row);
    await audit(tx, actor, 'create', 'household', row.id, { villageCode, houseNo });
    return row;
  }

  /** The household for a person: by id (same village) or by number (created when new). */
  private async householdFor(tx: Tx, actor: Actor, villageCode: string, input: { householdId?: string | null; houseNo?: string | null }): Promise<string | null> {
    if (input.householdId !== undefined && input.householdId !== null) {
      if (!/^\d+$/.test(input.householdId)) throw new InputError('householdId', 'is not a household id');
      const h = await tx.selectFrom('household').select(['id', 'village_code']).where('id', '=', input.householdId).executeTakeFirst();
      if (!h) throw new InputError('householdId', `no household ${input.householdId}`);
      if (h.village_code !== villageCode) throw new InputError('householdId', `household ${input.householdId} is in village ${h.village_code}, not ${villageCode}`);
      return h.id;
    }
    if (input.houseNo !== undefined && input.houseNo !== null && input.houseNo.trim() !== '') {
      const houseNo = houseNumber(input.houseNo, 'houseNo');
      const h = await tx.selectFrom('household').select('id').where('village_code', '=', villageCode).where('house_no', '=', houseNo).executeTakeFirst();
      return h ? h.id : (await this.insertHousehold(tx, actor, villageCode, houseNo, null)).id;
    }
    return null;
  }

  // ---- persons

  async createPerson(actor: Actor, input: PersonInput) {
    requirePermission(actor, 'registers.write');
    const id = parseIdNumber(input.idNumber, 'idNumber');
    const fields = {
      id_number: id.idNumber,
      name: personName(input.name),
      gender: agreeGender(input.gender, id.gender),
      birth_date: agreeBirthDate(input.birthDate, id.birthDate),
      kind: personKindOf(input.kind),
      graduation_year: graduationYearOf(input.graduationYear),
    };
    return this.db.transaction().execute(async (tx) => {
      await this.village(tx, actor, input.villageCode);
      const dup = await tx.selectFrom('person').select(['id', 'village_code']).where('id_number', '=', fields.id_number).executeTakeFirst();
      if (dup) throw new ConflictError('duplicate_person', `a person with this ID number is already registered${inScope(actor, dup.village_code) ? ` (person ${dup.id})` : ''}`);
      const household_id = await this.householdFor(tx, actor, input.villageCode, input);
      const row = await tx
        .insertInto('person')
        .values({ ...fields, village_code: input.villageCode.trim(), household_id })
        .returning(PERSON_COLUMNS)
        .executeTakeFirstOrThrow();
      const rec = personRecord(row);
      await recordHistory(tx, actor, 'person', rec.id, null, rec);
      await audit(tx, actor, 'create', 'person', rec.id, { ...maskedPerson(rec), villageCode: rec.village_code });
      return personJson(rec);
    });
  }

  /** Change a person; `version` must be the one read (else 409 stale_version). Nothing changed → no new version. */
  async updatePerson(actor: Actor, personId: string, patch: PersonPatch) {
    requirePermission(actor, 'registers.write');
    const pid = recordId(personId, 'id');
    return this.db.transaction().execute(async (tx) => {
      const row = await tx.selectFrom('person').select(PERSON_COLUMNS).where('id', '=', pid).forUpdate().executeTakeFirst();
      if (!row) throw new NotFoundError('person', pid);
      const before = personRecord(row);
      requireVillage(actor, before.village_code);
      if (patch.version !== before.version)
        throw new ConflictError('stale_version', `person ${pid} has changed since it was read (version ${patch.version}, now ${before.version}); reload it and apply the change again`);
      const after: PersonRecord = { ...before };
      const idInfo = patch.idNumber !== undefined ? parseIdNumber(patch.idNumber, 'idNumber') : { idNumber: before.id_number, gender: before.gender, birthDate: before.birth_date };
      after.id_number = idInfo.idNumber;
      after.gender = agreeGender(patch.gender, idInfo.gender);
      after.birth_date = agreeBirthDate(patch.birthDate, idInfo.birthDate);
      if (patch.name !== undefined) after.name = personName(patch.name);
      if (patch.kind !== undefined) after.kind = personKindOf(patch.kind);
      if (patch.graduationYear !== undefined) after.graduation_year = graduationYearOf(patch.graduationYear);
      if (patch.villageCode !== undefined && patch.villageCode.trim() !== before.village_code) {
        after.village_code = (await this.village(tx, actor, patch.villageCode)).code;
        after.household_id = null; // a household belongs to one village
      }
      if (patch.householdId !== undefined || patch.houseNo !== undefined)
        after.household_id = await this.householdFor(tx, actor, after.village_code, { householdId: patch.householdId, houseNo: patch.houseNo });
      if (after.id_number !== before.id_number) {
        const dup = await tx.selectFrom('person').select('id').where('id_number', '=', after.id_number).executeTakeFirst();
        if (dup) throw new ConflictError('duplicate_person', 'another person is registered with this ID number');
      }
      const changed = PERSON_FIELDS.filter((f) => after[f] !== before[f]);
      if (!changed.length) return { ...personJson(before), changed: [] as string[] };
      after.version = before.version + 1;
      const set = Object.fromEntries(changed.map((f) => [f, after[f]]));
      const n = await tx
        .updateTable('person')
        .set({ ...set, version: after.version, updated_at: sql`now()` })
        .where('id', '=', pid)
        .where('version', '=', before.version)
        .executeTakeFirst();
      if (Number(n.numUpdatedRows) !== 1) throw new ConflictError('stale_version', `person ${pid} has changed since it was read; reload it`);
      await recordHistory(tx, actor, 'person', pid, before, after);
      await audit(tx, actor, 'update', 'person', pid, { ...maskedPerson(after), changed, version: after.version });
      return { ...personJson(after), changed: changed as string[] };
    });
  }

  async getPerson(actor: Actor, personId: string) {
    requirePermission(actor, 'registers.read');
    const pid = recordId(personId, 'id');
    const row = await this.db
      .selectFrom('person as p')
      .leftJoin('household as h', 'h.id', 'p.household_id')
      .innerJoin('admin_area as v', 'v.code', 'p.village_code')
      .select(['p.id', 'p.id_number', 'p.name', 'p.gender', 'p.birth_date', 'p.household_id', 'p.village_code', 'p.kind', 'p.graduation_year', 'p.version', 'p.created_at', 'p.updated_at', 'h.house_no', 'h.address', 'v.name as village_name', 'v.region'])
      .where('p.id', '=', pid)
      .executeTakeFirst();
    if (!row) throw new NotFoundError('person', pid);
    requireVillage(actor, row.village_code);
    const statuses = await this.db.selectFrom('needy_status').select(['id', 'person_id', 'status', 'source', 'valid_from', 'valid_to', 'reference']).where('person_id', '=', pid).orderBy('valid_from').orderBy('id').execute();
    return {
      ...personJson(personRecord(row)),
      kindLabel: KIND_LABELS[row.kind as PersonKind] ?? row.kind,
      villageName: row.village_name,
      region: row.region,
      houseNo: row.house_no,
      address: row.address,
      createdAt: iso(row.created_at),
      updatedAt: iso(row.updated_at),
      statuses: statuses.map((s) => statusJson(statusRecord(s))),
    };
  }

  /** Persons of a village (or township, county) — paged, ID numbers and names masked. */
  async listPersons(actor: Actor, q: PersonListQuery) {
    requirePermission(actor, 'registers.read');
    const page = q.page ?? 1;
    const pageSize = q.pageSize ?? 50;
    if (!Number.isInteger(page) || page < 1) throw new InputError('page', 'is a page number from 1');
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 500) throw new InputError('pageSize', 'is 1–500');
    let sel = this.db.selectFrom('person as p');
    if (q.village !== undefined) {
      const v = q.village.trim();
      if (!/^\d{6}$|^\d{9}$|^\d{12}$/.test(v)) throw new InputError('village', 'give a village (12 digits), township (9) or county (6) code');
      if (actor.role === 'clerk' && !inScope(actor, v) && !actor.villages.some((s) => s.startsWith(v)))
        requireVillage(actor, v);
      const [a, b] = prefixRange(v);
      sel = v.length === 12 ? sel.where('p.village_code', '=', v) : sel.where('p.village_code', '>=', a).where('p.village_code', '<', b);
    }
    if (q.idNumber !== undefined && q.idNumber.trim() !== '') sel = sel.where('p.id_number', '=', q.idNumber.trim().toUpperCase());
    if (q.name !== undefined && q.name.trim() !== '') sel = sel.where('p.name', '=', q.name.trim());
    if (q.householdId !== undefined) {
      if (!/^\d{1,18}$/.test(q.householdId)) throw new InputError('householdId', 'is not a household id');
      sel = sel.where('p.household_id', '=', q.householdId);
    }
    const ranges = scopeRanges(actor);
    if (ranges) sel = sel.where((eb) => eb.or(ranges.map(([a, b]) => eb.and([eb('p.village_code', '>=', a), eb('p.village_code', '<', b)]))));
    const [{ n }] = await sel.select((eb) => eb.fn.countAll<string>().as('n')).execute();
    const rows = await sel
      .leftJoin('household as h', 'h.id', 'p.household_id')
      .select(['p.id', 'p.id_number', 'p.name', 'p.gender', 'p.birth_date', 'p.village_code', 'p.kind', 'p.version', 'h.house_no'])
      .orderBy('p.village_code')
      .orderBy('p.id')
      .limit(pageSize)
      .offset((page - 1) * pageSize)
      .execute();
    return {
      page,
      pageSize,
      total: Number(n),
      items: rows.map((r) => ({
        id: r.id,
        idNumber: maskIdNumber(r.id_number),
        name: maskName(r.name),
        gender: r.gender,
        birthYear: Number(r.birth_date.slice(0, 4)),
        villageCode: r.village_code,
        houseNo: r.house_no,
        kind: r.kind,
        version: r.version,
      })),
    };
  }

  /** Every change of the person and of their statuses, oldest first. */
  async personHistory(actor: Actor, personId: string) {
    requirePermission(actor, 'registers.read');
    const pid = recordId(personId, 'id');
    const p = await this.db.selectFrom('person').select('village_code').where('id', '=', pid).executeTakeFirst();
    if (!p) throw new NotFoundError('person', pid);
    requireVillage(actor, p.village_code);
    const rows = await this.db
      .selectFrom('register_history')
      .selectAll()
      .where((eb) =>
        eb.or([
          eb.and([eb('entity', '=', 'person'), eb('entity_id', '=', pid)]),
          eb.and([eb('entity', '=', 'needy_status'), eb('entity_id', 'in', eb.selectFrom('needy_status').select('id').where('person_id', '=', pid))]),
        ]),
      )
      .orderBy('id')
      .execute();
    return rows.map((r) => ({ id: r.id, entity: r.entity, entityId: String(r.entity_id), changedAt: iso(r.changed_at), changedBy: r.changed_by, before: r.before, after: r.after }));
  }

  // ---- needy statuses

  /** Record a status from a source department; the same status, source and start again updates its end and reference. */
  async addStatus(actor: Actor, personId: string, input: StatusInput) {
    requirePermission(actor, 'registers.write');
    const pid = recordId(personId, 'id');
    const status = needyStatusOf(input.status, 'status');
    const source = input.source === undefined || input.source.trim() === '' ? DEFAULT_SOURCE[status] : statusSourceOf(input.source, 'source');
    const validFrom = parseDateText(input.validFrom, 'validFrom');
    const validTo = input.validTo === undefined || input.validTo === null || input.validTo.trim() === '' ? null : parseDateText(input.validTo, 'validTo');
    if (validTo !== null && validTo < validFrom) throw new InputError('validTo', `ends (${validTo}) before it starts (${validFrom})`);
    const reference = input.reference?.trim() || null;
    if (reference && reference.length > 200) throw new InputError('reference', 'is longer than 200 characters');
    return this.db.transaction().execute(async (tx) => {
      const p = await tx.selectFrom('person').select(['id', 'village_code', 'id_number', 'name']).where('id', '=', pid).executeTakeFirst();
      if (!p) throw new NotFoundError('person', pid);
      requireVillage(actor, p.village_code);
      const old = await tx
        .selectFrom('needy_status')
        .select(['id', 'person_id', 'status', 'source', 'valid_from', 'valid_to', 'reference'])
        .where('person_id', '=', pid)
        .where('status', '=', status)
        .where('source', '=', source)
        .where('valid_from', '=', validFrom)
        .forUpdate()
        .executeTakeFirst();
      if (old) {
        const before = statusRecord(old);
        if (before.valid_to === validTo && before.reference === reference) return { change: 'unchanged' as const, status: statusJson(before) };
        const after: StatusRecord = { ...before, valid_to: validTo, reference };
        await tx.updateTable('needy_status').set({ valid_to: validTo, reference }).where('id', '=', before.id).execute();
        await recordHistory(tx, actor, 'needy_status', before.id, before, after);
        await audit(tx, actor, 'update', 'needy_status', before.id, { personId: pid, status, source, validFrom, validTo, ...maskedPerson(p) });
        return { change: 'updated' as const, status: statusJson(after) };
      }
      const row = await tx
        .insertInto('needy_status')
        .values({ person_id: pid, status, source, valid_from: validFrom, valid_to: validTo, reference })
        .returning(['id', 'person_id', 'status', 'source', 'valid_from', 'valid_to', 'reference'])
        .executeTakeFirstOrThrow();
      const rec = statusRecord(row);
      await recordHistory(tx, actor, 'needy_status', rec.id, null, rec);
      await audit(tx, actor, 'create', 'needy_status', rec.id, { personId: pid, status, source, validFrom, validTo, ...maskedPerson(p) });
      return { change: 'inserted' as const, status: statusJson(rec) };
    });
  }

  /** The person's statuses valid on a date, and the status identifiers they imply. */
  async statusesOn(actor: Actor, personId: string, date: string) {
    requirePermission(actor, 'registers.read');
    const pid = recordId(personId, 'id');
    const on = parseDateText(date, 'on');
    const p = await this.db.selectFrom('person').select('village_code').where('id', '=', pid).executeTakeFirst();
    if (!p) throw new NotFoundError('person', pid);
    requireVillage(actor, p.village_code);
    const rows = await this.db
      .selectFrom('needy_status')
      .select(['id', 'person_id', 'status', 'source', 'valid_from', 'valid_to', 'reference'])
      .where('person_id', '=', pid)
      .where('valid_from', '<=', on)
      .where((eb) => eb.or([eb('valid_to', 'is', null), eb('valid_to', '>=', on)]))
      .orderBy('valid_from')
      .orderBy('id')
      .execute();
    const recs = rows.map(statusRecord);
    return { personId: pid, on, statuses: withImplied(recs.map((r) => r.status as NeedyStatus)), records: recs.map(statusJson) };
  }
}

/** Statuses of many persons valid on a date (for the campaign's assessment): person id → statuses, implied ones included. */
export async function statusesValidOn(db: Tx, personIds: readonly (string | number)[], date: string): Promise<Map<string, NeedyStatus[]>> {
  const out = new Map<string, NeedyStatus[]>();
  if (!personIds.length) return out;
  const { rows } = await sql<{ person_id: string; status: string }>`
    SELECT person_id, status FROM needy_status
    WHERE person_id = ANY(${personIds.map(String)}::bigint[]) AND valid_from <= ${date}::date AND (valid_to IS NULL OR valid_to >= ${date}::date)
    ORDER BY person_id, status`.execute(db);
  const acc = new Map<string, NeedyStatus[]>();
  for (const r of rows) {
    const k = String(r.person_id);
    let l = acc.get(k);
    if (!l) acc.set(k, (l = []));
    l.push(r.status as NeedyStatus);
  }
  for (const [k, l] of acc) out.set(k, withImplied(l));
  return out;
}

function withImplied(statuses: NeedyStatus[]): NeedyStatus[] {
  const set = new Set(statuses);
  for (const s of statuses) for (const i of STATUS_IMPLIES[s] ?? []) set.add(i);
  return [...set].sort();
}

function areaJson(r: { code: string; name: string; level: AreaLevel; parent_code: string | null; region: string }) {
  return { code: r.code, name: r.name, level: r.level, levelLabel: LEVEL_LABELS[r.level], parentCode: r.parent_code, region: r.region };
}

function householdJson(r: { id: string; village_code: string; house_no: string; address: string | null }) {
  return { id: r.id, villageCode: r.village_code, houseNo: r.house_no, address: r.address };
}

export function houseNumber(text: string, field: string): string {
  const t = text.trim();
  if (!t) throw new InputError(field, 'is empty');
  if (t.length > 30) throw new InputError(field, 'is longer than 30 characters');
  return t;
}

/** A timestamp column as ISO text (Kysely's Generated<ColumnType> types it oddly). */
export const iso = (v: unknown): string => new Date(v as string | Date).toISOString();

function recordId(id: string, field: string): string {
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
