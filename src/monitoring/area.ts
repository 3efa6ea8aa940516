/**
 * The area a monitoring figure is asked for (county 6 digits, township 9, village 12), checked
 * against the caller's scope: a clerk reads only their own villages or townships, never an area
 * that holds others'; a hospital reads none. Also the pack that governs the area's year.
 */
import { sql, type Kysely } from 'kysely';
import { prefixRange } from '../registers/records.js';
import { ForbiddenError, InputError } from '../errors.js';
import type { ResolvedPack } from '../policy/loader.js';
import type { QuoteService } from '../quotes/quote-service.js';
import type { DB } from '../store/schema.js';
import { type Actor } from '../access/roles.js';

export interface AreaRef {
  code: string;
  name: string;
  level: 'county' | 'township' | 'village';
  region: string;
}

export interface VillageRef {
  code: string;
  name: string;
  townshipCode: string | null;
  townshipName: string | null;
}

export const AREA_CODE = /^\d{6}(\d{3}){0,2}$/;

export function checkYear(year: unknown, field = 'year'): number {
  if (typeof year !== 'number' || !Number.isInteger(year) || year < 2000 || year > 2100) throw new InputError(field, 'must be a coverage year between 2000 and 2100');
  return year;
}

/** Whether the actor may read figures of the whole area (a clerk: it lies within one of theirs). */
export function mayRead(actor: Actor, code: string): boolean {
  if (actor.role === 'hospital') return false;
  if (actor.role !== 'clerk') return true;
  return actor.villages.some((v) => code.startsWith(v));
}

/** The area, in scope; a clerk with one area may leave it out. */
export async function areaInScope(db: Kysely<DB>, actor: Actor, code: string | undefined, field = 'area'): Promise<AreaRef> {
  if (actor.role === 'hospital') throw new ForbiddenError('a hospital may not read the campaign’s figures');
  let c = code?.trim();
  if (!c) {
    if (actor.role === 'clerk' && actor.villages.length === 1) c = actor.villages[0];
    else throw new InputError(field, 'give the area: a county (6 digits), township (9) or village (12) code');
  }
  if (!AREA_CODE.test(c)) throw new InputError(field, `"${c}" is not an area code (6, 9 or 12 digits)`);
  const a = await db.selectFrom('admin_area').select(['code', 'name', 'level', 'region']).where('code', '=', c).executeTakeFirst();
  if (!a) throw new InputError(field, `no area ${c} in the registers`);
  if (!mayRead(actor, c)) throw new ForbiddenError(`area ${c} is outside ${actor.username}'s area (${actor.villages.join(', ')})`);
  return a;
}

/** The villages of an area, in code order, with their townships. */
export async function villagesOf(db: Kysely<DB>, area: AreaRef): Promise<VillageRef[]> {
  const { rows } = await sql<{ code: string; name: string; township_code: string | null; township_name: string | null }>`
    SELECT v.code, v.name, t.code AS township_code, t.name AS township_name
    FROM admin_area v LEFT JOIN admin_area t ON t.code = v.parent_code
    WHERE v.level = 'village' AND v.code LIKE ${`${area.code}%`}
    ORDER BY v.code`.execute(db);
  return rows.map((r) => ({ code: r.code, name: r.name, townshipCode: r.township_code, townshipName: r.township_name }));
}

/** The pack governing the area's coverage year (InputError naming `year` when there is none). */
export function packOf(quotes: QuoteService, area: AreaRef, year: number): ResolvedPack {
  const p = quotes.lib.packFor(area.region, year);
  if (!p) throw new InputError('year', `no policy pack covers region ${area.region} in ${year}`);
  return p;
}

/**
 * SQL: the column (a village code) within the area whose code is `code`, as a range of codes.
 * `LIKE 'code%'` gives the same rows, but on the server's C.UTF-8 collation a B-tree index on
 * the column cannot serve it, and a town's figures then read the whole county's rows.
 */
export function inArea(column: string, code: string) {
  const [from, to] = prefixRange(code);
  return sql`${sql.ref(column)} >= ${from} AND ${sql.ref(column)} < ${to}`;
}
