/**
 * The registers as a population: each person of the area with the contribution request their
 * paid enrollment of the year was quoted from (as production parsed it: parseContributionRequest
 * on the stored quote's request), and the year's encounters in the order they were settled (the
 * live settlement's id; unsettled ones after, by date) — so that the simulation fed the area's own
 * encounters gives what the ledger holds. `settled`: 1 for each encounter with a live settlement.
 */
import { sql, type Kysely } from 'kysely';
import { parseDay } from '../../dates.js';
import { CARE_LOCATIONS, HOSPITAL_LEVELS } from '../../policy/vocabulary.js';
import { parseContributionRequest } from '../../quotes/contribution-request.js';
import type { QuoteService } from '../../quotes/quote-service.js';
import type { DB } from '../../store/schema.js';
import { SETTINGS, emptyEncounters, type Encounters } from './draws.js';
import { emptyPopulation, groupOf, type Population } from './population.js';
import { SIM_TYPES } from './rates.js';

export async function loadRegisters(db: Kysely<DB>, quotes: QuoteService, region: string, year: number): Promise<{ population: Population; encounters: Encounters; settled: Uint8Array }> {
  const persons = await sql<{ id: string; gender: string; birth: string; request: unknown }>`
    SELECT p.id::text AS id, p.gender, to_char(p.birth_date, 'YYYY-MM-DD') AS birth, CASE WHEN e.state = 'paid' THEN e.quote -> 'request' END AS request
      FROM person p LEFT JOIN enrollment e ON e.person_id = p.id AND e.coverage_year = ${year}
     ORDER BY p.id`.execute(db);
  const n = persons.rows.length;
  const pop = emptyPopulation(n, region, year);
  pop.inputs = new Array(n).fill(null);
  const index = new Map<string, number>();
  const sets = new Map<string, number>([['', 0]]);
  persons.rows.forEach((r, i) => {
    index.set(r.id, i);
    pop.sex[i] = r.gender === 'female' ? 1 : 0;
    pop.birth[i] = parseDay(r.birth);
    if (!r.request) return;
    const req = typeof r.request === 'string' ? JSON.parse(r.request) : r.request;
    const { input } = parseContributionRequest(quotes.lib, quotes.compiled, { ...req, trace: false });
    pop.inputs![i] = input;
    pop.paid[i] = input.paid ?? -1;
    pop.birth[i] = input.birth;
    pop.statusMask[i] = input.statusMask;
    const key = [...input.statuses].sort().join(',');
    let s = sets.get(key);
    if (s === undefined) {
      s = pop.statusSets.length;
      sets.set(key, s);
      pop.statusSets.push([...input.statuses]);
    }
    pop.statusSet[i] = s;
    pop.group[i] = groupOf(input.statuses);
  });
  const encs = await sql<{ person_id: string; type: string; setting: string | null; date: string; level: string; location: string; referred: boolean; disease: string | null; total_fen: string; full_own_pay_fen: string; over_limit_fen: string; pre_self_pay_fen: string; in_scope_fen: string; settled: boolean }>`
    SELECT e.person_id::text, e.type, e.setting, to_char(e.date, 'YYYY-MM-DD') AS date, h.level, e.location, e.referred, e.disease,
           e.total_fen::text, e.full_own_pay_fen::text, e.over_limit_fen::text, e.pre_self_pay_fen::text, e.in_scope_fen::text, s.id IS NOT NULL AS settled
      FROM encounter e JOIN hospital h ON h.code = e.hospital_code
      LEFT JOIN settlement s ON s.encounter_id = e.id AND s.reversed_at IS NULL
     WHERE e.coverage_year = ${year}
     ORDER BY e.person_id, s.id NULLS LAST, e.date, e.id`.execute(db);
  const diseases: string[] = [];
  const dIndex = new Map<string, number>();
  const e = emptyEncounters(n, encs.rows.length, diseases);
  const settled = new Uint8Array(encs.rows.length);
  let at = 0;
  let person = 0;
  for (const r of encs.rows) {
    const i = index.get(r.person_id)!;
    while (person <= i) e.start[person++] = at;
    e.type[at] = SIM_TYPES.indexOf(r.type as (typeof SIM_TYPES)[number]);
    e.setting[at] = Math.max(0, SETTINGS.indexOf(r.setting as (typeof SETTINGS)[number]));
    e.date[at] = parseDay(r.date);
    e.level[at] = HOSPITAL_LEVELS.indexOf(r.level as (typeof HOSPITAL_LEVELS)[number]);
    e.location[at] = CARE_LOCATIONS.indexOf(r.location as (typeof CARE_LOCATIONS)[number]);
    e.referred[at] = r.referred ? 1 : 0;
    if (r.disease) {
      let d = dIndex.get(r.disease);
      if (d === undefined) dIndex.set(r.disease, (d = diseases.push(r.disease) - 1));
      e.disease[at] = d + 1;
    }
    e.total[at] = Number(r.total_fen);
    e.fullOwnPay[at] = Number(r.full_own_pay_fen);
    e.overLimit[at] = Number(r.over_limit_fen);
    e.preSelfPay[at] = Number(r.pre_self_pay_fen);
    e.inScope[at] = Number(r.in_scope_fen);
    settled[at] = r.settled ? 1 : 0;
    at++;
  }
  while (person <= n) e.start[person++] = at;
  return { population: pop, encounters: e, settled };
}
