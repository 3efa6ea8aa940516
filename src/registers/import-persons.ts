/** Import persons from a sheet (身份证号, 姓名, 性别, 出生日期, 村(居)代码 or 村名, 户号, 人员类别, 毕业年份, 户籍类型): see import-run.ts for how rows are checked and written. */
import { sql, type Kysely, type Transaction } from 'kysely';
import { InputError } from '../errors.js';
import type { DB } from '../store/schema.js';
import { inScope, type Actor } from '../access/roles.js';
import { parseIdNumber } from './id-number.js';
import { maskIdNumber } from '../access/privacy.js';
import { todayInChina } from './id-number.js';
import { agreeBirthDate, agreeGender, parseDateText, houseNumber, graduationYearOf, personKindOf, personName, residenceOf } from './terms.js';
import { PERSON_COLUMNS, type PersonRecord, personRecord } from './records.js';
import { type BatchOutcome, type Header, type ImportOptions, type ImportSummary, Retry, type RowRefusal, VillageLookup, runImport } from './import-run.js';
import { writeHistory } from './import-run.js';

type Tx = Transaction<DB>;

// ---------------------------------------------------------------- columns

/** Field → accepted headings (compared without spaces, full-width brackets as half-width, case-insensitive, a leading * ignored). */
export const PERSON_IMPORT_COLUMNS = {
  idNumber: ['idNumber', '身份证号', '身份证号码', '公民身份号码', '证件号码', '身份证'],
  name: ['name', '姓名'],
  gender: ['gender', '性别'],
  birthDate: ['birthDate', '出生日期'],
  villageCode: ['villageCode', '村(居)代码', '村居代码', '村代码', '村(社区)代码', '社区代码', '行政村代码'],
  villageName: ['villageName', '村名', '村(居)', '村(居)名称', '村(社区)', '村(社区)名称', '行政村', '所在村'],
  houseNo: ['houseNo', '户号', '户编号', '家庭户号'],
  address: ['address', '家庭住址', '住址', '地址'],
  kind: ['kind', '人员类别', '参保人员类别', '人员类型'],
  graduationYear: ['graduationYear', '毕业年份', '毕业年度'],
  residence: ['residence', '户籍类型', '户口性质', '户籍性质', '户口类型'],
  dateOfDeath: ['dateOfDeath', '死亡日期', '死亡时间'],
} as const;

// ---------------------------------------------------------------- persons

interface PersonImportRow {
  line: number;
  id_number: string;
  name: string;
  gender: 'male' | 'female';
  birth_date: string;
  village_code: string;
  /** undefined: the file does not say (keep what is stored) */
  house_no: string | undefined;
  address: string | undefined;
  kind: string;
  graduation_year: number | null | undefined;
  /** undefined: the file does not say (keep what is stored) */
  residence: 'rural' | 'urban' | undefined;
  /** 死亡日期; undefined: the file does not say (keep what is stored) */
  date_of_death: string | undefined;
}

/** Import persons: 身份证号, 姓名, 性别, 出生日期, 村(居)代码 or 村名, 户号, 人员类别, 毕业年份, 户籍类型, 死亡日期 (or the English identifiers). */
export async function importPersons(db: Kysely<DB>, actor: Actor, opts: ImportOptions): Promise<ImportSummary> {
  const villages = new VillageLookup(db, actor);
  /** a household's address as first given (only households whose rows give one) */
  const addresses = new Map<string, { address: string; line: number }>();
  type F = keyof typeof PERSON_IMPORT_COLUMNS;
  return runImport<F, PersonImportRow>(
    db,
    actor,
    'persons',
    opts,
    PERSON_IMPORT_COLUMNS,
    [['idNumber'], ['name'], ['kind'], ['villageCode', 'villageName']],
    async (get, line) => {
      const id = parseIdNumber(get('idNumber') ?? '', 'idNumber');
      const name = personName(get('name') ?? '');
      const gender = agreeGender(get('gender'), id.gender);
      const birth = agreeBirthDate(get('birthDate'), id.birthDate);
      const kind = personKindOf(get('kind') ?? '');
      const gy = get('graduationYear');
      const graduation = gy === undefined || gy.trim() === '' ? undefined : graduationYearOf(gy);
      const rs = get('residence');
      const residence = rs === undefined || rs.trim() === '' ? undefined : (residenceOf(rs, 'residence') ?? undefined);
      const hn = get('houseNo');
      const house = hn === undefined || hn.trim() === '' ? undefined : houseNumber(hn, 'houseNo');
      const addr = get('address')?.trim() || undefined;
      const dd = get('dateOfDeath');
      const death = dd === undefined || dd.trim() === '' ? undefined : parseDateText(dd, 'dateOfDeath');
      if (death !== undefined && death < birth) throw new InputError('dateOfDeath', `${death} is before the birth date ${birth}`);
      if (death !== undefined && death > todayInChina()) throw new InputError('dateOfDeath', `${death} is in the future`);
      if (addr && addr.length > 200) throw new InputError('address', 'is longer than 200 characters');
      await villages.load();
      const village = villages.resolve(get('villageCode'), get('villageName'));
      if (house !== undefined && addr !== undefined) {
        // one address per household in a file, or importing it again would flip between them
        const k = `${village}/${house}`;
        const first = addresses.get(k);
        if (!first) addresses.set(k, { address: addr, line });
        else if (first.address !== addr) throw new InputError('address', `differs from line ${first.line} for the same household ${house}`);
      }
      return { line, id_number: id.idNumber, name, gender, birth_date: birth, village_code: village, house_no: house, address: addr, kind, graduation_year: graduation, residence, date_of_death: death };
    },
    (r) => r.id_number,
    (tx, rows, batchId, header) => writePersons(tx, actor, rows, batchId, header),
  );
}

/** A person row as history JSON, built by the database (the same shape as personRecord). */
const PERSON_JSON = sql.raw(
  `jsonb_build_object('id', id::text, 'id_number', id_number, 'name', name, 'gender', gender, 'birth_date', to_char(birth_date, 'YYYY-MM-DD'), 'household_id', household_id::text, 'village_code', village_code, 'kind', kind, 'graduation_year', graduation_year, 'residence', residence, 'version', version)`,
);

async function writePersons(tx: Tx, actor: Actor, rows: PersonImportRow[], _batchId: string, header: Header<keyof typeof PERSON_IMPORT_COLUMNS>): Promise<BatchOutcome & { audit: Record<string, unknown> | null }> {
  const refused: RowRefusal[] = [];
  // 1. the persons already registered, locked in a fixed order (no deadlock between imports)
  const cols = sql.join(PERSON_COLUMNS.map((c) => sql.ref(c)));
  const { rows: found } = await sql<PersonRecord>`SELECT ${cols} FROM person WHERE id_number = ANY(${rows.map((r) => r.id_number)}::text[]) ORDER BY id_number FOR UPDATE`.execute(tx);
  const stored = new Map(found.map((r) => [r.id_number, personRecord(r)]));
  const accepted: PersonImportRow[] = [];
  for (const r of rows) {
    const old = stored.get(r.id_number);
    if (old && !inScope(actor, old.village_code)) {
      refused.push({ line: r.line, field: header.heading.get('idNumber') ?? 'idNumber', reason: `this person is registered in village ${old.village_code}, outside ${actor.username}'s area`, idNumber: maskIdNumber(r.id_number) });
      continue;
    }
    accepted.push(r);
  }

  // 2. households: new ones created, addresses given in the file brought up to date
  const hh = new Map<string, { village: string; house: string; address: string | undefined }>();
  for (const r of accepted)
    if (r.house_no !== undefined) {
      const k = `${r.village_code}/${r.house_no}`;
      const prev = hh.get(k);
      hh.set(k, { village: r.village_code, house: r.house_no, address: r.address ?? prev?.address });
    }
  const householdId = new Map<string, string>();
  const householdsCreated: string[] = [];
  const householdsUpdated: string[] = [];
  if (hh.size) {
    // those already registered (index lookups, locked), then the new ones in one statement
    const list = [...hh.values()];
    const { rows: found } = await sql<{ id: string; village_code: string; house_no: string; address: string | null }>`
      SELECT h.id, h.village_code, h.house_no, h.address FROM unnest(${list.map((h) => h.village)}::text[], ${list.map((h) => h.house)}::text[]) AS k(village_code, house_no)
      JOIN LATERAL (SELECT * FROM household x WHERE x.village_code = k.village_code AND x.house_no = k.house_no FOR UPDATE) h ON true`.execute(tx);
    const changes: [string, object, object][] = [];
    for (const h of found) {
      const k = `${h.village_code}/${h.house_no}`;
      householdId.set(k, String(h.id));
      const want = hh.get(k)?.address;
      if (want !== undefined && want !== h.address) changes.push([String(h.id), h, { ...h, id: String(h.id), address: want }]);
    }
    const missing = list.filter((h) => !householdId.has(`${h.village}/${h.house}`));
    if (missing.length) {
      const { rows: made } = await sql<{ id: string; village_code: string; house_no: string }>`
        WITH ins AS (
          INSERT INTO household (village_code, house_no, address)
          SELECT * FROM unnest(${missing.map((h) => h.village)}::text[], ${missing.map((h) => h.house)}::text[], ${missing.map((h) => h.address ?? null)}::text[])
          ON CONFLICT (village_code, house_no) DO NOTHING
          RETURNING id, village_code, house_no, address
        ), hist AS (
          INSERT INTO register_history (entity, entity_id, changed_by, before, after)
          SELECT 'household', id, ${actor.username}, NULL, jsonb_build_object('id', id::text, 'village_code', village_code, 'house_no', house_no, 'address', address) FROM ins
        )
        SELECT id, village_code, house_no FROM ins`.execute(tx);
      if (made.length !== missing.length) throw new Retry('a household was registered meanwhile');
      for (const m of made) {
        householdId.set(`${m.village_code}/${m.house_no}`, String(m.id));
        householdsCreated.push(String(m.id));
      }
    }
    if (changes.length) {
      await sql`UPDATE household h SET address = u.address FROM unnest(${changes.map((c) => c[0])}::bigint[], ${changes.map((c) => (c[2] as { address: string }).address)}::text[]) AS u(id, address) WHERE h.id = u.id`.execute(tx);
      await writeHistory(tx, actor, 'household', changes.map(([id, b, a]) => [id, { ...b, id }, a]));
      householdsUpdated.push(...changes.map((c) => c[0]));
    }
  }

  // 3. persons: new, changed, unchanged
  const inserts: { r: PersonImportRow; household: string | null }[] = [];
  const updates: [PersonRecord, PersonRecord][] = [];
  let unchanged = 0;
  for (const r of accepted) {
    const old = stored.get(r.id_number);
    const hid = r.house_no === undefined ? undefined : householdId.get(`${r.village_code}/${r.house_no}`)!;
    if (!old) {
      inserts.push({ r, household: hid ?? null });
      continue;
    }
    const next: PersonRecord = {
      ...old,
      name: r.name,
      gender: r.gender,
      birth_date: r.birth_date,
      village_code: r.village_code,
      // a household belongs to one village: moving without a house number leaves the household
      household_id: hid !== undefined ? hid : r.village_code === old.village_code ? old.household_id : null,
      kind: r.kind,
      graduation_year: r.graduation_year === undefined ? old.graduation_year : r.graduation_year,
      residence: r.residence === undefined ? old.residence : r.residence,
    };
    const same =
      next.name === old.name &&
      next.gender === old.gender &&
      next.birth_date === old.birth_date &&
      next.village_code === old.village_code &&
      next.household_id === old.household_id &&
      next.kind === old.kind &&
      next.graduation_year === old.graduation_year &&
      next.residence === old.residence;
    if (same) unchanged++;
    else updates.push([old, { ...next, version: old.version + 1 }]);
  }

  const insertedIds: string[] = [];
  if (inserts.length) {
    const { rows: made } = await sql<{ id: string }>`
      WITH ins AS (
        INSERT INTO person (id_number, name, gender, birth_date, household_id, village_code, kind, graduation_year, residence)
        SELECT * FROM unnest(
          ${inserts.map((x) => x.r.id_number)}::text[], ${inserts.map((x) => x.r.name)}::text[], ${inserts.map((x) => x.r.gender)}::text[],
          ${inserts.map((x) => x.r.birth_date)}::date[], ${inserts.map((x) => x.household)}::bigint[], ${inserts.map((x) => x.r.village_code)}::text[],
          ${inserts.map((x) => x.r.kind)}::text[], ${inserts.map((x) => x.r.graduation_year ?? null)}::int[], ${inserts.map((x) => x.r.residence ?? null)}::text[])
        ON CONFLICT (id_number) DO NOTHING
        RETURNING ${cols}
      ), hist AS (
        INSERT INTO register_history (entity, entity_id, changed_by, before, after)
        SELECT 'person', id, ${actor.username}, NULL, ${PERSON_JSON} FROM ins
      )
      SELECT id FROM ins`.execute(tx);
    if (made.length !== inserts.length) throw new Retry('a person was registered meanwhile'); // another writer won the race: redo the batch
    insertedIds.push(...made.map((p) => String(p.id)));
  }
  if (updates.length) {
    const after = updates.map((u) => u[1]);
    await sql`
      UPDATE person p SET name = u.name, gender = u.gender, birth_date = u.birth_date, household_id = u.household_id, village_code = u.village_code,
        kind = u.kind, graduation_year = u.graduation_year, residence = u.residence, version = p.version + 1, updated_at = now()
      FROM unnest(
        ${after.map((p) => p.id)}::bigint[], ${after.map((p) => p.name)}::text[], ${after.map((p) => p.gender)}::text[], ${after.map((p) => p.birth_date)}::date[],
        ${after.map((p) => p.household_id)}::bigint[], ${after.map((p) => p.village_code)}::text[], ${after.map((p) => p.kind)}::text[], ${after.map((p) => p.graduation_year)}::int[],
        ${after.map((p) => p.residence)}::text[]
      ) AS u(id, name, gender, birth_date, household_id, village_code, kind, graduation_year, residence)
      WHERE p.id = u.id`.execute(tx);
    await writeHistory(tx, actor, 'person', updates.map(([b, a]) => [b.id, b, a]));
  }
  // 4. 死亡日期 where the file gives one (kept apart from the person's versioned fields: it is
  // the register's fact the screening reads, FR02), each change in the register's history
  const deaths = accepted.filter((r) => r.date_of_death !== undefined);
  const deathsSet: string[] = [];
  if (deaths.length) {
    const { rows: set } = await sql<{ id: string; id_number: string; before: string | null; after: string }>`
      WITH old AS (SELECT id, date_of_death FROM person WHERE id_number = ANY(${deaths.map((r) => r.id_number)}::text[]))
      UPDATE person p SET date_of_death = u.d, updated_at = now()
        FROM unnest(${deaths.map((r) => r.id_number)}::text[], ${deaths.map((r) => r.date_of_death!)}::date[]) AS u(id_number, d), old
       WHERE p.id_number = u.id_number AND old.id = p.id AND p.date_of_death IS DISTINCT FROM u.d
      RETURNING p.id, p.id_number, to_char(old.date_of_death, 'YYYY-MM-DD') AS before, to_char(u.d, 'YYYY-MM-DD') AS after`.execute(tx);
    await writeHistory(tx, actor, 'person', set.map((x) => [String(x.id), { id: String(x.id), date_of_death: x.before }, { id: String(x.id), date_of_death: x.after }]));
    deathsSet.push(...set.map((x) => String(x.id)));
  }
  const updatedIds = new Set(updates.map((u) => u[0].id));
  const insertedSet = new Set(insertedIds);
  const deathOnly = deathsSet.filter((id) => !updatedIds.has(id) && !insertedSet.has(id));
  const changed = insertedIds.length + updates.length + deathOnly.length + householdsCreated.length + householdsUpdated.length;
  return {
    inserted: insertedIds.length,
    updated: updates.length + deathOnly.length,
    unchanged: unchanged - deathOnly.length,
    refused,
    audit: changed
      ? { entity: 'person', inserted: insertedIds, updated: [...updates.map((u) => u[0].id), ...deathOnly], datesOfDeath: deathsSet, householdsCreated, householdsUpdated }
      : null,
  };
}
