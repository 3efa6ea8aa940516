/**
 * The high-burden batch scan of an area and coverage year (issue #18 item 1): the warnings a
 * settlement's after-write follow-up missed (its failure is logged and never fails the
 * settlement) are caught up here. The persons of the area with settlements in the year are
 * assessed in chunks (BurdenWatch.assess(…, persons, 'scan')), so a caller can show progress; a
 * warning is written once per person, year and basis, so the scan run again adds nothing.
 * Asked for by someone (HTTP, CLI): permission risk.screen, the run audited with what it found.
 */
import { sql, type Kysely } from 'kysely';
import { audit } from '../access/audit.js';
import { requirePermission, type Actor } from '../access/roles.js';
import { InputError } from '../errors.js';
import type { PolicyLibrary } from '../policy/loader.js';
import type { DB } from '../store/schema.js';
import { BurdenWatch } from './burden-watch.js';

/** persons assessed by one statement of the scan */
export const SCAN_CHUNK = 2000;

export interface BurdenScanRun {
  area: string;
  areaName: string;
  year: number;
  /** persons of the area with settlements in the year */
  persons: number;
  /** warnings written by this run (0 when everything was found already) */
  added: number;
  byBasis: Record<string, number>;
}

export async function scanBurden(db: Kysely<DB>, lib: PolicyLibrary, actor: Actor, opts: { area: string; year: number; chunk?: number; onProgress?: (done: number, total: number) => void }): Promise<BurdenScanRun> {
  requirePermission(actor, 'risk.screen');
  if (typeof opts.area !== 'string' || !/^\d{6}(\d{3}(\d{3})?)?$/.test(opts.area)) throw new InputError('area', 'must be a county (6 digits), township (9) or village (12) code');
  if (!Number.isInteger(opts.year) || opts.year < 2000 || opts.year > 2100) throw new InputError('year', 'must be a coverage year between 2000 and 2100');
  const area = await db.selectFrom('admin_area').select(['code', 'name']).where('code', '=', opts.area).executeTakeFirst();
  if (!area) throw new InputError('area', `no area ${opts.area} in the register`);
  const persons = (
    await sql<{ person_id: string }>`
      SELECT DISTINCT s.person_id::text AS person_id
        FROM risk_settled s JOIN person p ON p.id = s.person_id
       WHERE s.coverage_year = ${opts.year} AND p.village_code LIKE ${`${opts.area}%`}
       ORDER BY 1`.execute(db)
  ).rows.map((r) => r.person_id);
  const watch = new BurdenWatch(db, lib);
  const chunk = opts.chunk ?? SCAN_CHUNK;
  const byBasis: Record<string, number> = {};
  let added = 0;
  opts.onProgress?.(0, persons.length);
  for (let i = 0; i < persons.length; i += chunk) {
    const part = persons.slice(i, i + chunk);
    const written = await watch.assess([opts.year], part, 'scan');
    added += written.length;
    for (const w of written) byBasis[w.basis] = (byBasis[w.basis] ?? 0) + 1;
    opts.onProgress?.(Math.min(i + chunk, persons.length), persons.length);
  }
  const run: BurdenScanRun = { area: area.code, areaName: area.name, year: opts.year, persons: persons.length, added, byBasis };
  await audit(db, actor, 'risk.burden_scan', 'risk_warning', null, { area: run.area, year: run.year, persons: run.persons, added: run.added, byBasis });
  return run;
}
