/**
 * Room src/registers/ — areas, households, persons and needy statuses with their history; imports from sheets; ID numbers.
 * May import: src/access, src/store and below (not the ledger: a sibling of the same rank).
 *
 * The registers: the county / township / village hierarchy, households, persons and the
 * needy statuses the source departments report. Every change keeps the row as it was and as
 * it became (register_history: who, when, before / after) and is audited in the same
 * transaction. Persons carry a `version` for optimistic concurrency. Clerks touch only their
 * own villages (app_user.villages: village or township code prefixes). List views mask ID
 * numbers and names; the detail view shows them to users in scope.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import { ConflictError, InputError, NotFoundError } from '../errors.js';
import { KIND_LABELS, RESIDENCE_LABELS, STATUS_IMPLIES, type NeedyStatus, type PersonKind } from '../policy/vocabulary.js';
import type { DB } from '../store/schema.js';
import { audit } from '../access/audit.js';
import { inScope, requirePermission, requireVillage, type Actor } from '../access/roles.js';
import { parseIdNumber } from './id-number.js';
import { maskIdNumber, maskName } from '../access/privacy.js';
import { type AreaInput, type HouseholdInput, PERSON_COLUMNS, PERSON_FIELDS, type PersonInput, type PersonListQuery, type PersonPatch, type PersonRecord, type StatusInput, type StatusRecord, maskedPerson, personJson, personRecord, prefixRange, recordHistory, scopeRanges, statusJson, statusRecord } from './records.js';
import { AREA_LEVEL_LABELS, DEFAULT_SOURCE, LEVEL_BY_LENGTH, graduationYearOf, needyStatusOf, parseDateText, personKindOf, personName, statusSourceOf, type AreaLevel } from './terms.js';
import { agreeBirthDate, agreeGender, houseNumber, iso, residenceOf } from './terms.js';
import { recordId } from './terms.js';

type Tx = Kysely<DB> | Transaction<DB>;

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
      residence: residenceOf(input.residence),
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
      if (patch.residence !== undefined) after.residence = residenceOf(patch.residence);
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
      .select(['p.id', 'p.id_number', 'p.name', 'p.gender', 'p.birth_date', 'p.household_id', 'p.village_code', 'p.kind', 'p.graduation_year', 'p.residence', 'p.version', 'p.created_at', 'p.updated_at', 'h.house_no', 'h.address', 'v.name as village_name', 'v.region'])
      .where('p.id', '=', pid)
      .executeTakeFirst();
    if (!row) throw new NotFoundError('person', pid);
    requireVillage(actor, row.village_code);
    const statuses = await this.db.selectFrom('needy_status').select(['id', 'person_id', 'status', 'source', 'valid_from', 'valid_to', 'reference']).where('person_id', '=', pid).orderBy('valid_from').orderBy('id').execute();
    return {
      ...personJson(personRecord(row)),
      kindLabel: KIND_LABELS[row.kind as PersonKind] ?? row.kind,
      residenceLabel: row.residence ? RESIDENCE_LABELS[row.residence] : null,
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
  return { code: r.code, name: r.name, level: r.level, levelLabel: AREA_LEVEL_LABELS[r.level], parentCode: r.parent_code, region: r.region };
}

function householdJson(r: { id: string; village_code: string; house_no: string; address: string | null }) {
  return { id: r.id, villageCode: r.village_code, houseNo: r.house_no, address: r.address };
}
