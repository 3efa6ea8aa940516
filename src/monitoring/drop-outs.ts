/**
 * 防止“漏保”“断保” (兴义府发〔2022〕3号 七): 断保 — persons enrolled last year and not (yet) this
 * year; 漏保 — persons of the register never enrolled. Each with the reason where the system
 * knows it, the first that holds of: died (the register's 死亡日期, on or before the date and
 * before the coverage year ends: before the year began or within it), on the employee-insurance
 * list (moved to employee insurance), a duplicate enrollment, not assessed, refused by the
 * notice's rules (with the refusal's code), paid after the date, unpaid. Moves out of the
 * county are not recorded in the registers, so they cannot be told apart from the unpaid; the
 * answer says so.
 */
import { sql, type Kysely } from 'kysely';
import { REFUSAL_CODES } from '../policy/vocabulary.js';
import type { DB } from '../store/schema.js';
import { areaInScope, checkYear, type AreaRef, inArea } from './area.js';
import { auditRead, maskingFor } from './people.js';
import { checkDate } from './progress.js';
import { type Actor } from '../access/roles.js';

export type DropOutReason = 'DIED' | 'EMPLOYEE_INSURANCE' | 'DUPLICATE_ENROLLMENT' | 'REFUSED' | 'NOT_ASSESSED' | 'UNPAID' | 'PAID_AFTER_DATE';

export interface DropOut {
  personId: string;
  idNumber: string;
  name: string;
  villageCode: string;
  villageName: string;
  houseNo: string | null;
  birthDate: string;
  /** the register's date of death (死亡日期), if recorded */
  dateOfDeath: string | null;
  /** the last coverage year the person was enrolled for, if any */
  lastEnrolledYear: number | null;
  enrollmentState: string | null;
  reason: { code: DropOutReason; message: string };
}

export interface DropOutsAnswer {
  area: AreaRef;
  coverageYear: number;
  asOf: string;
  kind: 'lapsed' | 'never_enrolled';
  fullIdNumbers: boolean;
  byReason: Record<string, number>;
  persons: DropOut[];
  unknownReasons: string;
}

interface Row {
  person_id: string;
  id_number: string;
  name: string;
  village_code: string;
  village_name: string;
  house_no: string | null;
  birth_date: string;
  date_of_death: string | null;
  last_year: number | null;
  state: string | null;
  enrolled_on: string | null;
  due_fen: string | null;
  refusal_code: string | null;
  block_reason: string | null;
  employee_listed: boolean;
  same_id_twice: boolean;
}

function reasonOf(r: Row, year: number, asOf: string): DropOut['reason'] {
  const died = r.date_of_death;
  if (died !== null && died <= asOf && died <= `${year}-12-31`)
    return { code: 'DIED', message: `${died} 死亡（${died < `${year}-01-01` ? `${year}年度开始前` : `${year}年度内`}）` };
  if (r.employee_listed) return { code: 'EMPLOYEE_INSURANCE', message: `在${year}年度职工基本医疗保险参保名单中（转职工医保）` };
  if (r.state === 'blocked' || r.same_id_twice) return { code: 'DUPLICATE_ENROLLMENT', message: r.block_reason ?? '重复参保' };
  if (r.state === null) return { code: 'NOT_ASSESSED', message: `${year}年度尚未核定参保` };
  if (r.state === 'refused') return { code: 'REFUSED', message: `${r.refusal_code ?? ''}: ${(REFUSAL_CODES as Record<string, string>)[r.refusal_code ?? ''] ?? '政策规则不予参保'}` };
  if (r.state === 'paid') return { code: 'PAID_AFTER_DATE', message: `${r.enrolled_on ?? ''} 缴费（晚于统计日）` };
  return { code: 'UNPAID', message: `未缴费${r.due_fen !== null ? `（个人应缴 ${(Number(r.due_fen) / 100).toFixed(2)} 元）` : ''}` };
}

/** 断保 (kind lapsed) or 漏保 (kind never_enrolled) of an area as of a date (audited; masked unless the role may see them). */
export async function dropOuts(db: Kysely<DB>, actor: Actor, q: { area?: string; year: number; asOf: string; kind: 'lapsed' | 'never_enrolled'; masked?: boolean }): Promise<DropOutsAnswer> {
  const year = checkYear(q.year);
  const asOf = checkDate(q.asOf);
  const area = await areaInScope(db, actor, q.area);
  const mask = maskingFor(actor, q.masked);
  const enrolledThisYear = sql`EXISTS (SELECT 1 FROM enrollment_progress x WHERE x.person_id = p.id AND x.coverage_year = ${year} AND x.state = 'paid' AND x.enrolled_on <= ${asOf}::date)`;
  const who =
    q.kind === 'lapsed'
      ? sql`EXISTS (SELECT 1 FROM enrollment_progress l WHERE l.person_id = p.id AND l.coverage_year = ${year - 1} AND l.state = 'paid') AND NOT ${enrolledThisYear}`
      : sql`p.birth_date <= ${asOf}::date AND NOT ${enrolledThisYear} AND NOT EXISTS (SELECT 1 FROM enrollment_progress l WHERE l.person_id = p.id AND l.coverage_year < ${year} AND l.state = 'paid')`;
  const { rows } = await sql<Row>`
    SELECT p.id AS person_id, p.id_number, p.name, p.village_code, v.name AS village_name, h.house_no, p.birth_date, p.date_of_death::text AS date_of_death,
      (SELECT max(l.coverage_year) FROM enrollment_progress l WHERE l.person_id = p.id AND l.state = 'paid' AND l.coverage_year < ${year}) AS last_year,
      e.state, f.enrolled_on, e.due_fen, e.refusal_code, e.block_reason,
      EXISTS (SELECT 1 FROM employee_insurance ei WHERE ei.id_number = p.id_number AND ei.coverage_year = ${year} AND ei.ended_on IS NULL) AS employee_listed,
      EXISTS (SELECT 1 FROM duplicate_flag d WHERE d.id_number = p.id_number AND d.coverage_year = ${year} AND d.reason = 'same_id_twice' AND d.resolved_at IS NULL) AS same_id_twice
    FROM person p
    JOIN admin_area v ON v.code = p.village_code
    LEFT JOIN household h ON h.id = p.household_id
    LEFT JOIN enrollment e ON e.person_id = p.id AND e.coverage_year = ${year}
    LEFT JOIN enrollment_progress f ON f.enrollment_id = e.id
    WHERE ${inArea('p.village_code', area.code)} AND ${who}
    ORDER BY p.village_code, h.house_no NULLS LAST, p.id`.execute(db);
  const byReason: Record<string, number> = {};
  const persons = rows.map((r): DropOut => {
    const reason = reasonOf(r, year, asOf);
    byReason[reason.code] = (byReason[reason.code] ?? 0) + 1;
    return {
      personId: String(r.person_id),
      idNumber: mask.id(r.id_number),
      name: mask.name(r.name),
      villageCode: r.village_code,
      villageName: r.village_name,
      houseNo: r.house_no,
      birthDate: r.birth_date,
      dateOfDeath: r.date_of_death,
      lastEnrolledYear: r.last_year,
      enrollmentState: r.state,
      reason,
    };
  });
  await auditRead(db, actor, q.kind === 'lapsed' ? 'drop_outs_lapsed' : 'drop_outs_never_enrolled', { area: area.code, coverageYear: year, asOf, rows: persons.length, fullIdNumbers: mask.full });
  return {
    area,
    coverageYear: year,
    asOf,
    kind: q.kind,
    fullIdNumbers: mask.full,
    byReason,
    persons,
    unknownReasons: 'moves out of the county are not recorded in the registers: such persons appear here as unpaid until the register removes them; deaths appear as DIED once the register holds the date of death (死亡日期)',
  };
}
