/** Import needy statuses as the source departments list them (身份证号, 身份类别, 认定部门, 起始日期, 终止日期, 文号): see import-run.ts. */
import { sql, type Kysely, type Transaction } from 'kysely';
import { InputError } from '../errors.js';
import type { DB } from '../store/schema.js';
import { inScope, type Actor } from '../access/roles.js';
import { parseIdNumber } from './id-number.js';
import { maskIdNumber } from '../access/privacy.js';
import { DEFAULT_SOURCE, type StatusSource, needyStatusOf, parseDateText, statusSourceOf } from './terms.js';
import { type StatusRecord, statusRecord } from './records.js';
import { type BatchOutcome, type Header, type ImportOptions, type ImportSummary, Retry, type RowRefusal, runImport } from './import-run.js';
import { PERSON_IMPORT_COLUMNS } from './import-persons.js';
import { writeHistory } from './import-run.js';

type Tx = Transaction<DB>;

export const STATUS_IMPORT_COLUMNS = {
  idNumber: PERSON_IMPORT_COLUMNS.idNumber,
  name: ['name', '姓名'],
  status: ['status', '身份类别', '困难身份', '资助身份', '身份类型', '人员身份'],
  source: ['source', '认定部门', '来源部门', '认定单位'],
  validFrom: ['validFrom', '起始日期', '开始日期', '认定日期', '有效期起'],
  validTo: ['validTo', '终止日期', '结束日期', '有效期止'],
  reference: ['reference', '文号', '认定文号', '批准文号'],
} as const;

// ---------------------------------------------------------------- needy statuses

interface StatusImportRow {
  line: number;
  id_number: string;
  name: string | undefined;
  status: string;
  source: StatusSource;
  valid_from: string;
  /** undefined: the file has no end-date column (keep what is stored); null: open-ended */
  valid_to: string | null | undefined;
  reference: string | null | undefined;
}

/** Import needy statuses: 身份证号, 身份类别, 认定部门, 起始日期, 终止日期, 文号 (姓名 optional, checked against the register). */
export async function importStatuses(db: Kysely<DB>, actor: Actor, opts: ImportOptions): Promise<ImportSummary> {
  type F = keyof typeof STATUS_IMPORT_COLUMNS;
  return runImport<F, StatusImportRow>(
    db,
    actor,
    'statuses',
    opts,
    STATUS_IMPORT_COLUMNS,
    [['idNumber'], ['status'], ['validFrom']],
    async (get, line) => {
      const id = parseIdNumber(get('idNumber') ?? '', 'idNumber');
      const name = get('name')?.trim() || undefined;
      const status = needyStatusOf(get('status') ?? '', 'status');
      const src = get('source');
      const source = src === undefined || src.trim() === '' ? DEFAULT_SOURCE[status] : statusSourceOf(src, 'source');
      const validFrom = parseDateText(get('validFrom') ?? '', 'validFrom');
      const to = get('validTo');
      const validTo = to === undefined ? undefined : to.trim() === '' ? null : parseDateText(to, 'validTo');
      if (validTo && validTo < validFrom) throw new InputError('validTo', `ends (${validTo}) before it starts (${validFrom})`);
      const ref = get('reference');
      const reference = ref === undefined ? undefined : ref.trim() || null;
      if (reference && reference.length > 200) throw new InputError('reference', 'is longer than 200 characters');
      return { line, id_number: id.idNumber, name, status, source, valid_from: validFrom, valid_to: validTo, reference };
    },
    (r) => `${r.id_number}|${r.status}|${r.source}|${r.valid_from}`,
    (tx, rows, batchId, header) => writeStatuses(tx, actor, rows, batchId, header),
  );
}

async function writeStatuses(tx: Tx, actor: Actor, rows: StatusImportRow[], _batchId: string, header: Header<keyof typeof STATUS_IMPORT_COLUMNS>): Promise<BatchOutcome & { audit: Record<string, unknown> | null }> {
  const refused: RowRefusal[] = [];
  const idField = header.heading.get('idNumber') ?? 'idNumber';
  const { rows: persons } = await sql<{ id: string; id_number: string; name: string; village_code: string }>`
    SELECT id, id_number, name, village_code FROM person WHERE id_number = ANY(${[...new Set(rows.map((r) => r.id_number))]}::text[])`.execute(tx);
  const personBy = new Map(persons.map((p) => [p.id_number, p]));
  const accepted: (StatusImportRow & { person_id: string })[] = [];
  for (const r of rows) {
    const p = personBy.get(r.id_number);
    const masked = maskIdNumber(r.id_number);
    if (!p) refused.push({ line: r.line, field: idField, reason: 'no person with this ID number in the registers; import the person first', idNumber: masked });
    else if (!inScope(actor, p.village_code)) refused.push({ line: r.line, field: idField, reason: `this person is registered in village ${p.village_code}, outside ${actor.username}'s area`, idNumber: masked });
    else if (r.name !== undefined && r.name !== p.name) refused.push({ line: r.line, field: header.heading.get('name') ?? 'name', reason: 'differs from the name in the registers for this ID number', idNumber: masked });
    else accepted.push({ ...r, person_id: String(p.id) });
  }
  if (!accepted.length) return { inserted: 0, updated: 0, unchanged: 0, refused, audit: null };

  const keyOf = (x: { person_id: string; status: string; source: string; valid_from: string }): string => `${x.person_id}|${x.status}|${x.source}|${x.valid_from}`;
  const { rows: found } = await sql<StatusRecord>`
    SELECT s.id, s.person_id, s.status, s.source, s.valid_from, s.valid_to, s.reference FROM needy_status s
    JOIN unnest(${accepted.map((r) => r.person_id)}::bigint[], ${accepted.map((r) => r.status)}::text[], ${accepted.map((r) => r.source)}::text[], ${accepted.map((r) => r.valid_from)}::date[])
      AS k(person_id, status, source, valid_from)
      ON s.person_id = k.person_id AND s.status = k.status AND s.source = k.source AND s.valid_from = k.valid_from
    ORDER BY s.id FOR UPDATE OF s`.execute(tx);
  const stored = new Map(found.map((s) => [keyOf(statusRecord(s)), statusRecord(s)]));
  const inserts: typeof accepted = [];
  const updates: [StatusRecord, StatusRecord][] = [];
  let unchanged = 0;
  for (const r of accepted) {
    const old = stored.get(keyOf(r));
    if (!old) {
      inserts.push(r);
      continue;
    }
    const next: StatusRecord = { ...old, valid_to: r.valid_to === undefined ? old.valid_to : r.valid_to, reference: r.reference === undefined ? old.reference : r.reference };
    if (next.valid_to === old.valid_to && next.reference === old.reference) unchanged++;
    else if (next.valid_to !== null && next.valid_to < next.valid_from)
      refused.push({ line: r.line, field: header.heading.get('validTo') ?? 'validTo', reason: `ends before it starts (${next.valid_from})`, idNumber: maskIdNumber(r.id_number) });
    else updates.push([old, next]);
  }
  const insertedIds: string[] = [];
  if (inserts.length) {
    const { rows: made } = await sql<{ id: string }>`
      WITH ins AS (
        INSERT INTO needy_status (person_id, status, source, valid_from, valid_to, reference)
        SELECT * FROM unnest(${inserts.map((r) => r.person_id)}::bigint[], ${inserts.map((r) => r.status)}::text[], ${inserts.map((r) => r.source)}::text[],
          ${inserts.map((r) => r.valid_from)}::date[], ${inserts.map((r) => r.valid_to ?? null)}::date[], ${inserts.map((r) => r.reference ?? null)}::text[])
        ON CONFLICT (person_id, status, source, valid_from) DO NOTHING
        RETURNING id, person_id, status, source, valid_from, valid_to, reference
      ), hist AS (
        INSERT INTO register_history (entity, entity_id, changed_by, before, after)
        SELECT 'needy_status', id, ${actor.username}, NULL, jsonb_build_object('id', id::text, 'person_id', person_id::text, 'status', status, 'source', source,
          'valid_from', to_char(valid_from, 'YYYY-MM-DD'), 'valid_to', to_char(valid_to, 'YYYY-MM-DD'), 'reference', reference) FROM ins
      )
      SELECT id FROM ins`.execute(tx);
    if (made.length !== inserts.length) throw new Retry('a status was recorded meanwhile');
    insertedIds.push(...made.map((x) => String(x.id)));
  }
  if (updates.length) {
    const after = updates.map((u) => u[1]);
    await sql`
      UPDATE needy_status s SET valid_to = u.valid_to, reference = u.reference
      FROM unnest(${after.map((s) => s.id)}::bigint[], ${after.map((s) => s.valid_to)}::date[], ${after.map((s) => s.reference)}::text[]) AS u(id, valid_to, reference)
      WHERE s.id = u.id`.execute(tx);
    await writeHistory(tx, actor, 'needy_status', updates.map(([b, a]) => [b.id, b, a]));
  }
  const changed = insertedIds.length + updates.length;
  return {
    inserted: insertedIds.length,
    updated: updates.length,
    unchanged,
    refused,
    audit: changed ? { entity: 'needy_status', inserted: insertedIds, updated: updates.map((u) => u[0].id) } : null,
  };
}
