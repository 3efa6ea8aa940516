/** Register rows as the services pass them around (persons, statuses), their JSON views, history rows, scope ranges and the inputs of the register service. */
import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../store/schema.js';
import { maskIdNumber, maskName } from '../access/privacy.js';
import type { Actor } from '../access/roles.js';
import type { StatusSource } from './terms.js';
import { type NeedyStatus, type Residence, STATUS_LABELS } from '../policy/vocabulary.js';

type Tx = Kysely<DB> | Transaction<DB>;


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
  /** 户籍类型; null: not known */
  residence: Residence | null;
  version: number;
}

export const PERSON_COLUMNS = ['id', 'id_number', 'name', 'gender', 'birth_date', 'household_id', 'village_code', 'kind', 'graduation_year', 'residence', 'version'] as const;

/** The business fields compared for “did anything change”. */
export const PERSON_FIELDS = ['id_number', 'name', 'gender', 'birth_date', 'household_id', 'village_code', 'kind', 'graduation_year', 'residence'] as const;

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
    residence: r.residence === 'rural' || r.residence === 'urban' ? r.residence : null,
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
    residence: p.residence,
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

export function scopeRanges(actor: Actor): [string, string][] | null {
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
  /** 户籍类型: rural / urban or as clerks write it (农业, 非农业, 农村, 城镇); null or absent: not known */
  residence?: string | null;
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
