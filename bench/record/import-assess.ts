/**
 * Part A of bench/record.ts: import and assess N persons (default 1 000 000) on the
 * PostgreSQL server, beside PostgreSQL's own COPY of the same rows (the floor).
 *
 * Untimed setup: a fresh database; a generated town (src/sim/population.ts) for 丰都县 2022;
 * its areas inserted; the persons written to a CSV in the clerks' format (Chinese headings,
 * 男/女, Chinese person kinds).
 * Timed:
 *   1. importPersons (src/registers/import-persons.ts) of that CSV — validation of every row,
 *      households, persons, register history, audit;
 *   2. assessYear(2022) (src/campaign/campaign.ts) of all of them — after the town's needy
 *      statuses have been inserted in SQL (untimed), so the assessment sees realistic statuses;
 *   3. the floor: psql `\copy` of the rows the import stored (exported with `\copy (SELECT …) TO`,
 *      untimed) into person_floor, a table like person (LIKE … INCLUDING ALL: the same
 *      columns, defaults, checks, unique and plain indexes, plus the same foreign keys);
 *   4. the floor of the assessment: `\copy` of the enrollment rows it wrote into enrollment_floor,
 *      made the same way from enrollment.
 * A CHECKPOINT (untimed) comes before each timed step, so no step pays for the previous one's
 * dirty pages.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { importPersons, } from '../../src/registers/import-persons.js';
import { SYSTEM } from '../../src/access/roles.js';
import { QuoteService } from '../../src/quotes/quote-service.js';
import { generateTown, type Town } from '../../src/sim/population.js';
import { loadAreas } from '../../src/sim/load-town.js';
import { writePersonsFile } from '../../src/sim/town-files.js';
import { fmt, fmtInt, freshServerDatabase, log, psql, table, timed, type BenchDatabase, type Timed } from './support.js';
import { type ImportSummary } from '../../src/registers/import-run.js';
import { type AssessYearSummary, assessYear } from '../../src/campaign/assessment.js';

const YEAR = 2022;

/** The town's needy statuses, by ID number, in a few statements (setup for the assessment, untimed). */
async function insertStatuses(b: BenchDatabase, town: Town): Promise<number> {
  const ids: string[] = [];
  const status: string[] = [];
  const source: string[] = [];
  const from: string[] = [];
  for (const p of town.persons)
    for (const s of p.statuses) {
      ids.push(p.idNumber);
      status.push(s.status);
      source.push(s.source);
      from.push(s.validFrom);
    }
  const step = 50_000;
  for (let i = 0; i < ids.length; i += step)
    await sql`
      INSERT INTO needy_status (person_id, status, source, valid_from, reference)
      SELECT p.id, x.status, x.source, x.valid_from, 'bench'
      FROM unnest(${ids.slice(i, i + step)}::text[], ${status.slice(i, i + step)}::text[], ${source.slice(i, i + step)}::text[], ${from.slice(i, i + step)}::date[])
        AS x(id_number, status, source, valid_from)
      JOIN person p ON p.id_number = x.id_number
      ON CONFLICT DO NOTHING`.execute(b.database.db);
  return ids.length;
}

const checkpoint = (b: BenchDatabase) => b.owner('CHECKPOINT');

const PERSON_COPY_COLUMNS = 'id_number, name, gender, birth_date, household_id, village_code, kind, graduation_year';
const ENROLLMENT_COPY_COLUMNS =
  'person_id, coverage_year, region, pack, tier, state, standard_fen, assistance_fen, due_fen, borne_fen, subsidy_fen, benefit_start, benefit_end, waiting_days, refusal_code, block_reason, quote, paid_fen, paid_on, guardian_person_id';

export interface StepFigure {
  step: string;
  rows: number;
  t: Timed<unknown>;
}

export interface ImportAssessResult {
  persons: number;
  csvBytes: number;
  steps: { import: StepFigure; assess: StepFigure; copyPersons: StepFigure; copyEnrollments: StepFigure };
  ratio: number;
  importSummary: ImportSummary;
  assessSummary: AssessYearSummary;
  sizes: Record<string, string>;
}

export async function importAssessBench(n: number, dir: string): Promise<ImportAssessResult> {
  log(`\n=== (a) import and assess ${fmtInt(n)} persons, beside COPY of the same rows ===`);
  const b = await freshServerDatabase('import', 10);
  try {
    const db = b.database.db;
    log(`database ${b.name} (fresh, migrated; dropped at the end)`);
    const g0 = process.hrtime.bigint();
    const town = generateTown({ people: n, coverageYear: YEAR, encounters: false });
    const csv = join(dir, 'persons.csv');
    await loadAreas(db, town);
    await writePersonsFile(csv, town);
    const csvBytes = statSync(csv).size;
    log(
      `setup (untimed): generated ${fmtInt(town.persons.length)} persons in ${fmtInt(town.households.length)} households, ${fmtInt(town.areas.length)} areas, and wrote ${csv} (${(csvBytes / 2 ** 20).toFixed(1)} MiB) in ${fmt(Number(process.hrtime.bigint() - g0) / 1e9, 1)} s`,
    );
    log('  csv headings: 身份证号,姓名,性别,出生日期,村(居)代码,户号,人员类别,毕业年份 (src/sim/town-files.ts)');

    // 1. import
    await checkpoint(b);
    let lastShown = 0;
    const imp = await timed(() =>
      importPersons(db, SYSTEM, {
        path: csv,
        onProgress: (_bytes, _total, rows) => {
          if (process.stdout.isTTY && rows - lastShown >= 100_000) {
            lastShown = rows;
            process.stdout.write(`  import: ${fmtInt(rows)} rows\r`);
          }
        },
      }),
      b.name,
    );
    const is = imp.value;
    log(`importPersons: ${fmtInt(is.rows)} rows, inserted ${fmtInt(is.inserted)}, updated ${is.updated}, unchanged ${is.unchanged}, bad ${is.bad} — ${fmt(imp.seconds)} s`);
    if (is.inserted !== n || is.bad !== 0) throw new Error(`the import should insert all ${n} persons (inserted ${is.inserted}, bad ${is.bad}: ${JSON.stringify(is.problems.slice(0, 3))})`);

    // needy statuses for the assessment (untimed), then 2. assess
    const statuses = await insertStatuses(b, town);
    log(`setup (untimed): ${fmtInt(statuses)} needy statuses inserted in SQL for the assessment`);
    await b.owner('ANALYZE');
    await checkpoint(b);
    const quotes = QuoteService.load();
    const ass = await timed(() => assessYear(db, quotes, { coverageYear: YEAR, actor: SYSTEM }), b.name);
    const as = ass.value;
    log(
      `assessYear(${YEAR}): ${fmtInt(as.persons)} persons — assessed ${fmtInt(as.assessed)}, refused ${fmtInt(as.refused)}, blocked ${as.blocked}, following a guardian ${fmtInt(as.followingGuardian)}, not yet born ${as.notYetBorn}, bad ${as.bad}; enrollments inserted ${fmtInt(as.inserted)} — ${fmt(ass.seconds)} s`,
    );
    if (as.persons !== n || as.inserted + as.updated + as.unchanged === 0) throw new Error(`the assessment should see all ${n} persons (saw ${as.persons})`);

    // the floor: export what was stored (untimed), COPY it into tables shaped the same
    const personRows = join(dir, 'person-rows.csv');
    const enrollmentRows = join(dir, 'enrollment-rows.csv');
    await psql(b.url, `\\copy (SELECT ${PERSON_COPY_COLUMNS} FROM person ORDER BY id) TO '${personRows}' WITH (FORMAT csv)`);
    await psql(b.url, `\\copy (SELECT ${ENROLLMENT_COPY_COLUMNS} FROM enrollment ORDER BY id) TO '${enrollmentRows}' WITH (FORMAT csv)`);
    const enrollments = Number((await sql<{ n: string }>`SELECT count(*) AS n FROM enrollment`.execute(db)).rows[0].n);
    await b.owner(`
      CREATE TABLE person_floor (LIKE person INCLUDING ALL);
      ALTER TABLE person_floor ADD FOREIGN KEY (village_code) REFERENCES admin_area (code), ADD FOREIGN KEY (household_id) REFERENCES household (id);
      CREATE TABLE enrollment_floor (LIKE enrollment INCLUDING ALL);
      ALTER TABLE enrollment_floor ADD FOREIGN KEY (person_id) REFERENCES person (id), ADD FOREIGN KEY (guardian_person_id) REFERENCES person (id);
    `);
    log(`setup (untimed): exported ${fmtInt(n)} person rows and ${fmtInt(enrollments)} enrollment rows with \\copy … TO; created person_floor and enrollment_floor (LIKE … INCLUDING ALL, same foreign keys)`);

    await checkpoint(b);
    const cp = await timed(() => psql(b.url, `\\copy person_floor (${PERSON_COPY_COLUMNS}) FROM '${personRows}' WITH (FORMAT csv)`), b.name);
    log(`\\copy person_floor: ${fmt(cp.seconds)} s`);
    await checkpoint(b);
    const ce = await timed(() => psql(b.url, `\\copy enrollment_floor (${ENROLLMENT_COPY_COLUMNS}) FROM '${enrollmentRows}' WITH (FORMAT csv)`), b.name);
    log(`\\copy enrollment_floor: ${fmt(ce.seconds)} s`);
    const copied = (await sql<{ p: string; e: string }>`SELECT (SELECT count(*) FROM person_floor) AS p, (SELECT count(*) FROM enrollment_floor) AS e`.execute(db)).rows[0];
    if (Number(copied.p) !== n || Number(copied.e) !== enrollments) throw new Error(`COPY should load ${n} persons and ${enrollments} enrollments (got ${copied.p}, ${copied.e})`);

    const sizes = (
      await sql<{ t: string; size: string }>`
        SELECT t, pg_size_pretty(pg_total_relation_size(t::regclass)) AS size
        FROM unnest(ARRAY['person', 'person_floor', 'household', 'register_history', 'enrollment', 'enrollment_floor', 'audit_log']) AS t`.execute(db)
    ).rows;
    const steps = {
      import: { step: 'importPersons (CSV → household, person, register_history, audit)', rows: is.inserted, t: imp },
      assess: { step: `assessYear(${YEAR}) (read facts, quote, upsert enrollment, audit)`, rows: as.persons, t: ass },
      copyPersons: { step: 'floor: \\copy person rows → person_floor', rows: n, t: cp },
      copyEnrollments: { step: 'floor: \\copy enrollment rows → enrollment_floor', rows: enrollments, t: ce },
    };
    const ratio = (imp.seconds + ass.seconds) / (cp.seconds + ce.seconds);
    return {
      persons: n,
      csvBytes,
      steps,
      ratio,
      importSummary: is,
      assessSummary: as,
      sizes: Object.fromEntries(sizes.map((r) => [r.t, r.size])),
    };
  } finally {
    await b.drop();
  }
}

export function reportImportAssess(r: ImportAssessResult): void {
  const s = r.steps;
  const row = (f: StepFigure): (string | number)[] => [
    f.step,
    fmtInt(f.rows),
    fmt(f.t.seconds),
    fmtInt(f.rows / f.t.seconds),
    fmt(f.t.nodeCpu, 1),
    f.t.dbCpu === null ? '—' : fmt(f.t.dbCpu, 1),
    f.t.pgCpu === null ? '—' : fmt(f.t.pgCpu, 1),
  ];
  log(
    '\n' +
      table(
        ['step', 'rows', 'wall s', 'rows/s', 'node CPU s', 'backends CPU s', 'whole server CPU s'],
        [row(s.import), row(s.assess), row(s.copyPersons), row(s.copyEnrollments)],
      ),
  );
  log('  node: this process (for COPY, psql does the client side); backends: the database\'s own server processes; whole server: all of PostgreSQL (WAL writer, checkpointer and other databases too)');
  const work = s.import.t.seconds + s.assess.t.seconds;
  const floor = s.copyPersons.t.seconds + s.copyEnrollments.t.seconds;
  log(`\nimport + assess ${fmt(work)} s ÷ (COPY persons + COPY enrollments) ${fmt(floor)} s = ${fmt(r.ratio)}×  (target ≤ 3×: ${r.ratio <= 3 ? 'met' : 'NOT met'})`);
  log(`  import alone ÷ COPY persons = ${fmt(s.import.t.seconds / s.copyPersons.t.seconds)}×; assessment alone ÷ COPY enrollments = ${fmt(s.assess.t.seconds / s.copyEnrollments.t.seconds)}×`);
  log(`  sizes after the run: ${Object.entries(r.sizes).map(([t, z]) => `${t} ${z}`).join(', ')}`);
}
