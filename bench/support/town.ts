/**
 * The generated town both campaign benchmarks start from (bench/monitoring.ts, bench/payment-import.ts),
 * written set-based in SQL (untimed setup): the areas, households, persons and their needy statuses of
 * generateTown, ANALYZE, then the year's assessment through assessYear (timed apart: it writes the
 * enrollments through the progress triggers), ANALYZE again.
 */
import { sql } from 'kysely';
import { assessYear } from '../../src/campaign/assessment.js';
import { SYSTEM } from '../../src/access/roles.js';
import { QuoteService } from '../../src/quotes/quote-service.js';
import { generateTown, type Town } from '../../src/sim/population.js';
import { loadAreas } from '../../src/sim/load-town.js';
import { fmt, fmtInt, log, type BenchDatabase } from '../record/support.js';

export interface LoadedTown {
  town: Town;
  /** assessYear's wall time, s */
  assessSeconds: number;
}

/** Rows per insert. */
const STEP = 50_000;

export async function loadAssessedTown(b: BenchDatabase, people: number, year: number): Promise<LoadedTown> {
  const db = b.database.db;
  const t0 = performance.now();
  const town = generateTown({ people, coverageYear: year, encounters: false });
  await loadAreas(db, town);
  for (let i = 0; i < town.households.length; i += STEP) {
    const hs = town.households.slice(i, i + STEP);
    await sql`INSERT INTO household (village_code, house_no) SELECT * FROM unnest(${hs.map((h) => h.villageCode)}::text[], ${hs.map((h) => h.houseNo)}::text[])`.execute(db);
  }
  for (let i = 0; i < town.persons.length; i += STEP) {
    const ps = town.persons.slice(i, i + STEP);
    await sql`
      INSERT INTO person (id_number, name, gender, birth_date, household_id, village_code, kind, graduation_year)
      SELECT x.id_number, x.name, x.gender, x.birth_date, h.id, x.village_code, x.kind, x.graduation_year
      FROM unnest(${ps.map((p) => p.idNumber)}::text[], ${ps.map((p) => p.name)}::text[], ${ps.map((p) => p.gender)}::text[], ${ps.map((p) => p.birthDate)}::date[],
        ${ps.map((p) => p.villageCode)}::text[], ${ps.map((p) => p.houseNo)}::text[], ${ps.map((p) => p.kind)}::text[], ${ps.map((p) => p.graduationYear)}::int[])
        AS x(id_number, name, gender, birth_date, village_code, house_no, kind, graduation_year)
      JOIN household h ON h.village_code = x.village_code AND h.house_no = x.house_no`.execute(db);
    const st = ps.flatMap((p) => p.statuses.map((s) => ({ id: p.idNumber, s })));
    if (st.length)
      await sql`
        INSERT INTO needy_status (person_id, status, source, valid_from, reference)
        SELECT p.id, x.status, x.source, x.valid_from, 'bench'
        FROM unnest(${st.map((x) => x.id)}::text[], ${st.map((x) => x.s.status)}::text[], ${st.map((x) => x.s.source)}::text[], ${st.map((x) => x.s.validFrom)}::date[]) AS x(id_number, status, source, valid_from)
        JOIN person p ON p.id_number = x.id_number ON CONFLICT DO NOTHING`.execute(db);
  }
  await b.owner('ANALYZE');
  log(`setup (untimed): ${fmtInt(town.persons.length)} persons, ${fmtInt(town.households.length)} households, ${fmtInt(town.areas.length)} areas in ${fmt((performance.now() - t0) / 1000, 1)} s`);
  const a0 = performance.now();
  const s = await assessYear(db, QuoteService.load(), { coverageYear: year, actor: SYSTEM });
  const assessSeconds = (performance.now() - a0) / 1000;
  log(`setup: assessYear(${year}) ${fmtInt(s.persons)} persons in ${fmt(assessSeconds, 1)} s (with the progress triggers)`);
  await b.owner('ANALYZE');
  return { town, assessSeconds };
}
