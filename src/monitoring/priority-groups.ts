/**
 * The seven groups (兴义府发〔2022〕3号 一: 七类对象在集中参保期内参保率达到100%), read from the
 * pack's campaign.priorityGroups: per village and group, the persons in it, those enrolled within
 * the enrollment window, the rate against the target, and every person missing, with what
 * blocks them, for follow-up. A person belongs to a group while holding one of its statuses on
 * the date counted (the as-of date, or the window's end when that is earlier).
 */
import { sql, type Kysely } from 'kysely';
import { InputError } from '../errors.js';
import { priorityGroupsOf, type PackPriorityGroups } from '../policy/campaign-groups.js';
import { parseRate } from '../money.js';
import { REFUSAL_CODES, STATUS_LABELS, type NeedyStatus } from '../policy/vocabulary.js';
import type { QuoteService } from '../quotes/quote-service.js';
import type { DB } from '../store/schema.js';
import { areaInScope, checkYear, packOf, villagesOf, type AreaRef, inArea } from './area.js';
import { rateOf, type RateFigure } from './figures.js';
import { auditRead, maskingFor, type Masking } from './people.js';
import { checkDate } from './progress.js';
import { SOURCE_LABELS } from '../registers/terms.js';
import { type Actor } from '../access/roles.js';

export interface GroupFigure {
  group: string;
  label: string;
  persons: number;
  enrolled: number;
  missing: number;
  rate: RateFigure | null;
  /** whether the rate meets the pack's target (100 %) */
  met: boolean;
}

export interface VillageGroups {
  villageCode: string;
  villageName: string;
  groups: GroupFigure[];
  /** distinct persons in any group */
  persons: number;
  enrolled: number;
  missing: number;
  rate: RateFigure | null;
}

export interface Blocker {
  code: 'NOT_ASSESSED' | 'UNPAID' | 'PAID_AFTER_WINDOW' | 'REFUSED' | 'DUPLICATE_ENROLLMENT' | 'EMPLOYEE_INSURANCE';
  message: string;
}

export interface MissingPerson {
  personId: string;
  idNumber: string;
  name: string;
  villageCode: string;
  villageName: string;
  houseNo: string | null;
  groups: { group: string; label: string }[];
  statuses: { status: string; label: string; source: string; sourceLabel: string; validFrom: string; reference: string | null }[];
  enrollmentId: string | null;
  state: string | null;
  dueYuan: number | null;
  paidOn: string | null;
  blocker: Blocker;
}

export interface GroupsAnswer {
  area: AreaRef;
  coverageYear: number;
  asOf: string;
  /** the date group membership and enrollment are counted on: min(asOf, window end) */
  countedOn: string;
  window: { from: string; to: string };
  target: string;
  cite: string | null;
  quote: string | null;
  groups: { id: string; label: string; statuses: string[] }[];
  villages: VillageGroups[];
  totals: Omit<VillageGroups, 'villageCode' | 'villageName'>;
}

interface Ctx {
  area: AreaRef;
  year: number;
  asOf: string;
  countedOn: string;
  window: { from: string; to: string };
  pg: PackPriorityGroups;
}

async function context(db: Kysely<DB>, quotes: QuoteService, actor: Actor, q: { area?: string; year: number; asOf: string }): Promise<Ctx> {
  const year = checkYear(q.year);
  const asOf = checkDate(q.asOf);
  const area = await areaInScope(db, actor, q.area);
  const pack = packOf(quotes, area, year);
  const pg = priorityGroupsOf(pack);
  if (!pg) throw new InputError('year', `pack ${pack.id} names no priority groups (campaign.priorityGroups)`);
  const window = pack.params.get('enrollment.window')?.value as { from: string; to: string };
  return { area, year, asOf, countedOn: asOf < window.to ? asOf : window.to, window, pg };
}

const mapping = (pg: PackPriorityGroups) => {
  const ids: string[] = [];
  const sts: string[] = [];
  for (const g of pg.groups)
    for (const s of g.statuses) {
      ids.push(g.id);
      sts.push(s);
    }
  return { ids, sts };
};

/** Members of the groups in the area on the counted date, with whether they enrolled within the window. */
function membersSql(c: Ctx) {
  const { ids, sts } = mapping(c.pg);
  return sql`
    WITH m(group_id, status) AS (SELECT * FROM unnest(${ids}::text[], ${sts}::text[])),
    members AS (
      SELECT DISTINCT p.village_code, m.group_id, n.person_id
      FROM needy_status n
      JOIN m ON m.status = n.status
      JOIN person p ON p.id = n.person_id
      WHERE n.valid_from <= ${c.countedOn}::date AND (n.valid_to IS NULL OR n.valid_to >= ${c.countedOn}::date) AND ${inArea('p.village_code', c.area.code)}
    )
    SELECT members.village_code, members.group_id, members.person_id,
      (f.state = 'paid' AND f.enrolled_on >= ${c.window.from}::date AND f.enrolled_on <= ${c.countedOn}::date) IS TRUE AS enrolled
    FROM members LEFT JOIN enrollment_progress f ON f.person_id = members.person_id AND f.coverage_year = ${c.year}`;
}

export async function priorityGroups(db: Kysely<DB>, quotes: QuoteService, actor: Actor, q: { area?: string; year: number; asOf: string }): Promise<GroupsAnswer> {
  const c = await context(db, quotes, actor, q);
  const target = parseRate(c.pg.target as string);
  const [villages, { rows }] = await Promise.all([
    villagesOf(db, c.area),
    sql<{ village_code: string; group_id: string; persons: string; enrolled: string; any_persons: string | null; any_enrolled: string | null }>`
      WITH x AS (${membersSql(c)})
      SELECT village_code, group_id, count(*) AS persons, count(*) FILTER (WHERE enrolled) AS enrolled, NULL AS any_persons, NULL AS any_enrolled FROM x GROUP BY 1, 2
      UNION ALL
      SELECT village_code, '*', count(DISTINCT person_id), count(DISTINCT person_id) FILTER (WHERE enrolled), NULL, NULL FROM x GROUP BY 1`.execute(db),
  ]);
  const by = new Map(rows.map((r) => [`${r.village_code}/${r.group_id}`, { persons: Number(r.persons), enrolled: Number(r.enrolled) }]));
  // met: rate ≥ target, exactly (enrolled / persons ≥ num / den)
  const meets = (enrolled: number, persons: number): boolean => persons === 0 || BigInt(enrolled) * BigInt(target.den) >= BigInt(target.num) * BigInt(persons);
  const fig = (group: string, label: string, v: { persons: number; enrolled: number } | undefined): GroupFigure => {
    const persons = v?.persons ?? 0;
    const enrolled = v?.enrolled ?? 0;
    return { group, label, persons, enrolled, missing: persons - enrolled, rate: rateOf(enrolled, persons), met: meets(enrolled, persons) };
  };
  const out: VillageGroups[] = villages.map((v) => {
    const all = by.get(`${v.code}/*`) ?? { persons: 0, enrolled: 0 };
    return {
      villageCode: v.code,
      villageName: v.name,
      groups: c.pg.groups.map((g) => fig(g.id, g.label, by.get(`${v.code}/${g.id}`))),
      persons: all.persons,
      enrolled: all.enrolled,
      missing: all.persons - all.enrolled,
      rate: rateOf(all.enrolled, all.persons),
    };
  });
  const sum = (f: (v: VillageGroups) => number) => out.reduce((t, v) => t + f(v), 0);
  const totals = {
    groups: c.pg.groups.map((g, i) => fig(g.id, g.label, { persons: sum((v) => v.groups[i].persons), enrolled: sum((v) => v.groups[i].enrolled) })),
    persons: sum((v) => v.persons),
    enrolled: sum((v) => v.enrolled),
    missing: sum((v) => v.missing),
    rate: rateOf(sum((v) => v.enrolled), sum((v) => v.persons)),
  };
  return {
    area: c.area,
    coverageYear: c.year,
    asOf: c.asOf,
    countedOn: c.countedOn,
    window: c.window,
    target: String(c.pg.target),
    cite: c.pg.param.cite ?? null,
    quote: c.pg.param.quote ?? null,
    groups: c.pg.groups.map((g) => ({ id: g.id, label: g.label, statuses: g.statuses })),
    villages: out,
    totals,
  };
}

interface MissingRow {
  person_id: string;
  id_number: string;
  name: string;
  village_code: string;
  village_name: string;
  house_no: string | null;
  group_ids: string[];
  enrollment_id: string | null;
  state: string | null;
  due_fen: string | null;
  enrolled_on: string | null;
  refusal_code: string | null;
  block_reason: string | null;
  employee_listed: boolean;
  same_id_twice: boolean;
  total: string;
}

export interface MissingList {
  area: AreaRef;
  coverageYear: number;
  asOf: string;
  countedOn: string;
  fullIdNumbers: boolean;
  persons: MissingPerson[];
}

/** Every group member not enrolled within the window, with what blocks them (audited; masked unless the role may see them). */
export async function missingPersons(db: Kysely<DB>, quotes: QuoteService, actor: Actor, q: { area?: string; year: number; asOf: string; masked?: boolean }): Promise<MissingList> {
  const c = await context(db, quotes, actor, q);
  const mask = maskingFor(actor, q.masked);
  const { persons } = await missingRows(db, c, mask, {});
  await auditRead(db, actor, 'priority_group_missing', { area: c.area.code, coverageYear: c.year, asOf: c.asOf, rows: persons.length, fullIdNumbers: mask.full });
  return { area: c.area, coverageYear: c.year, asOf: c.asOf, countedOn: c.countedOn, fullIdNumbers: mask.full, persons };
}

/**
 * One page of the same list, in the same order (village, house number, person), optionally of
 * one group only: for the console, which never holds the whole list (audited per page).
 */
export async function missingPersonsPage(
  db: Kysely<DB>,
  quotes: QuoteService,
  actor: Actor,
  q: { area?: string; year: number; asOf: string; masked?: boolean; group?: string; page: number; pageSize: number },
): Promise<MissingList & { group: string | null; page: number; pageSize: number; total: number }> {
  const c = await context(db, quotes, actor, q);
  const group = q.group ?? null;
  if (group !== null && !c.pg.groups.some((g) => g.id === group)) throw new InputError('group', `"${group}" is not one of the groups: ${c.pg.groups.map((g) => g.id).join(', ')}`);
  if (!Number.isInteger(q.page) || q.page < 1) throw new InputError('page', 'must be a whole number from 1');
  if (!Number.isInteger(q.pageSize) || q.pageSize < 1 || q.pageSize > 500) throw new InputError('pageSize', 'must be a whole number from 1 to 500');
  const mask = maskingFor(actor, q.masked);
  // the page and the total from one pass over the members (a page past the end counts them alone)
  const { persons, total: counted } = await missingRows(db, c, mask, { group, limit: q.pageSize, offset: (q.page - 1) * q.pageSize });
  let total = counted;
  if (total === null) {
    const { rows } = await sql<{ n: string }>`
      WITH x AS (${membersSql(c)})
      SELECT count(*) AS n FROM (SELECT person_id FROM x GROUP BY person_id HAVING NOT bool_or(enrolled) ${group === null ? sql`` : sql`AND bool_or(group_id = ${group})`}) m`.execute(db);
    total = Number(rows[0]?.n ?? 0);
  }
  await auditRead(db, actor, 'priority_group_missing', { area: c.area.code, coverageYear: c.year, asOf: c.asOf, group, page: q.page, pageSize: q.pageSize, rows: persons.length, total, fullIdNumbers: mask.full });
  return { area: c.area, coverageYear: c.year, asOf: c.asOf, countedOn: c.countedOn, fullIdNumbers: mask.full, group, page: q.page, pageSize: q.pageSize, total, persons };
}

/** The missing persons (a page of them with `limit`) and, when any row came back, how many there are in all. */
async function missingRows(db: Kysely<DB>, c: Ctx, mask: Masking, o: { group?: string | null; limit?: number; offset?: number }): Promise<{ persons: MissingPerson[]; total: number | null }> {
  const labels = new Map(c.pg.groups.map((g) => [g.id, g.label]));
  const inGroup = o.group ? sql`AND bool_or(group_id = ${o.group})` : sql``;
  const page = o.limit === undefined ? sql`` : sql`LIMIT ${o.limit} OFFSET ${o.offset ?? 0}`;
  const { rows } = await sql<MissingRow>`
    WITH x AS (${membersSql(c)}),
    missing AS (SELECT person_id, array_agg(DISTINCT group_id) AS group_ids FROM x GROUP BY person_id HAVING NOT bool_or(enrolled) ${inGroup})
    SELECT p.id AS person_id, p.id_number, p.name, p.village_code, v.name AS village_name, h.house_no, missing.group_ids, count(*) OVER () AS total,
      e.id AS enrollment_id, e.state, e.due_fen, f.enrolled_on, e.refusal_code, e.block_reason,
      EXISTS (SELECT 1 FROM employee_insurance ei WHERE ei.id_number = p.id_number AND ei.coverage_year = ${c.year} AND ei.ended_on IS NULL) AS employee_listed,
      EXISTS (SELECT 1 FROM duplicate_flag d WHERE d.id_number = p.id_number AND d.coverage_year = ${c.year} AND d.reason = 'same_id_twice' AND d.resolved_at IS NULL) AS same_id_twice
    FROM missing
    JOIN person p ON p.id = missing.person_id
    JOIN admin_area v ON v.code = p.village_code
    LEFT JOIN household h ON h.id = p.household_id
    LEFT JOIN enrollment e ON e.person_id = p.id AND e.coverage_year = ${c.year}
    LEFT JOIN enrollment_progress f ON f.enrollment_id = e.id
    ORDER BY p.village_code, h.house_no NULLS LAST, p.id
    ${page}`.execute(db);
  const ids = rows.map((r) => String(r.person_id));
  const { rows: statuses } = ids.length
    ? await sql<{ person_id: string; status: string; source: string; valid_from: string; reference: string | null }>`
        SELECT person_id, status, source, valid_from, reference FROM needy_status
        WHERE person_id = ANY(${ids}::bigint[]) AND valid_from <= ${c.countedOn}::date AND (valid_to IS NULL OR valid_to >= ${c.countedOn}::date)
        ORDER BY person_id, status`.execute(db)
    : { rows: [] };
  const st = new Map<string, typeof statuses>();
  for (const s of statuses) st.set(String(s.person_id), [...(st.get(String(s.person_id)) ?? []), s]);
  const persons = rows.map((r): MissingPerson => ({
    personId: String(r.person_id),
    idNumber: mask.id(r.id_number),
    name: mask.name(r.name),
    villageCode: r.village_code,
    villageName: r.village_name,
    houseNo: r.house_no,
    groups: [...r.group_ids].sort((a, b) => c.pg.groups.findIndex((g) => g.id === a) - c.pg.groups.findIndex((g) => g.id === b)).map((g) => ({ group: g, label: labels.get(g) ?? g })),
    statuses: (st.get(String(r.person_id)) ?? []).map((s) => ({
      status: s.status,
      label: STATUS_LABELS[s.status as NeedyStatus] ?? s.status,
      source: s.source,
      sourceLabel: SOURCE_LABELS[s.source as keyof typeof SOURCE_LABELS] ?? s.source,
      validFrom: s.valid_from,
      reference: s.reference,
    })),
    enrollmentId: r.enrollment_id === null ? null : String(r.enrollment_id),
    state: r.state,
    dueYuan: r.due_fen === null ? null : Number(r.due_fen) / 100,
    paidOn: r.enrolled_on,
    blocker: blockerOf(r, c),
  }));
  return { persons, total: rows.length ? Number(rows[0].total) : null };
}

function blockerOf(r: MissingRow, c: Ctx): Blocker {
  if (r.employee_listed || (r.state === 'blocked' && (r.block_reason ?? '').includes('职工'))) return { code: 'EMPLOYEE_INSURANCE', message: r.block_reason ?? '在职工基本医疗保险参保名单中（重复参保）' };
  if (r.state === 'blocked' || r.same_id_twice) return { code: 'DUPLICATE_ENROLLMENT', message: r.block_reason ?? '重复参保：同一身份证号本年度已缴费' };
  if (r.enrollment_id === null) return { code: 'NOT_ASSESSED', message: `该年度（${c.year}）尚未核定参保：先运行参保核定` };
  if (r.state === 'refused') {
    const code = r.refusal_code ?? 'REFUSED';
    return { code: 'REFUSED', message: `${code}: ${(REFUSAL_CODES as Record<string, string>)[code] ?? '政策规则不予参保'}` };
  }
  if (r.state === 'paid' && r.enrolled_on) return { code: 'PAID_AFTER_WINDOW', message: `${r.enrolled_on} 缴费，晚于集中参保期（${c.window.from} 至 ${c.window.to}）或统计日` };
  return { code: 'UNPAID', message: `未缴费${r.due_fen !== null ? `（个人应缴 ${(Number(r.due_fen) / 100).toFixed(2)} 元）` : ''}` };
}
