/** Needy but not covered (应保尽保、应资尽资): the needy persons of the register and their enrollment for a year, classified by src/rules/risk/coverage-gaps.ts. */
import { sql, type Kysely } from 'kysely';
import { MASKED, type PersonMasking } from '../access/privacy.js';
import { requirePermission, type Actor } from '../access/roles.js';
import type { PolicyLibrary } from '../policy/loader.js';
import { coverageGap, type Gap } from '../rules/risk/coverage-gaps.js';
import type { DB } from '../store/schema.js';
import { villageScope } from './scope.js';

export interface CoverageGapView extends Gap {
  personId: string;
  name: string;
  idNumber: string;
  villageCode: string;
  villageName: string;
  statuses: string[];
  enrollmentState: string | null;
}

interface Row {
  person_id: string;
  name: string;
  id_number: string;
  village_code: string;
  village_name: string;
  region: string;
  statuses: string[];
  state: string | null;
  assistance_fen: string | null;
  refusal_code: string | null;
  block_reason: string | null;
}

export async function coverageGaps(db: Kysely<DB>, lib: PolicyLibrary, actor: Actor, year: number, village?: string, mask: PersonMasking = MASKED): Promise<{ year: number; gaps: CoverageGapView[]; byReason: Record<string, number> }> {
  requirePermission(actor, 'risk.read');
  const scope = villageScope(actor, 'p.village_code');
  const rows = await sql<Row>`
    SELECT p.id::text AS person_id, p.name, p.id_number, p.village_code, a.name AS village_name, a.region,
           array_agg(DISTINCT ns.status ORDER BY ns.status) AS statuses,
           e.state, e.assistance_fen::text, e.refusal_code, e.block_reason
      FROM needy_status ns
      JOIN person p ON p.id = ns.person_id
      JOIN admin_area a ON a.code = p.village_code
      LEFT JOIN enrollment e ON e.person_id = p.id AND e.coverage_year = ${year}
     WHERE ns.valid_from <= ${`${year}-12-31`}::date AND (ns.valid_to IS NULL OR ns.valid_to >= ${`${year}-01-01`}::date)
       AND (p.date_of_death IS NULL OR p.date_of_death >= ${`${year}-01-01`}::date)
       ${scope ? sql`AND ${scope}` : sql``}
       ${village ? sql`AND p.village_code LIKE ${`${village}%`}` : sql``}
     GROUP BY p.id, p.name, p.id_number, p.village_code, a.name, a.region, e.state, e.assistance_fen, e.refusal_code, e.block_reason
     ORDER BY p.village_code, p.id`.execute(db);
  const gaps: CoverageGapView[] = [];
  const byReason: Record<string, number> = {};
  for (const r of rows.rows) {
    const g = coverageGap(lib.packFor(r.region, year), {
      statuses: r.statuses,
      enrollment: r.state ? { state: r.state, assistanceFen: r.assistance_fen === null ? null : Number(r.assistance_fen), refusalCode: r.refusal_code, blockReason: r.block_reason } : null,
    });
    if (!g) continue;
    byReason[g.reason] = (byReason[g.reason] ?? 0) + 1;
    gaps.push({ ...g, personId: r.person_id, name: mask.name(r.name), idNumber: mask.id(r.id_number), villageCode: r.village_code, villageName: r.village_name, statuses: r.statuses, enrollmentState: r.state });
  }
  return { year, gaps, byReason };
}
