/**
 * Migration 050 (issue #20 item 7) on PGlite and on the PostgreSQL server: a database as
 * migration 044 left it, with encounters, settlements and postings of two coverage years, is
 * migrated; every row is then in its year's partition (none in DEFAULT), the rows, counts and
 * sums are the same to the fen, the constraints still refuse what they refused (a second live
 * settlement, a visit settled twice across years, an externalId reused in another year, an
 * unbalanced entry, a reference to no settlement), a query of one year reads that year's
 * partition only, and the service settles and reverses afterwards into the right partitions.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { QuoteService } from '../src/quotes/quote-service.ts';
import { SYSTEM } from '../src/access/roles.ts';
import { SettlementService } from '../src/settlement/settlement-service.ts';
import { migrate } from '../src/store/migrate.ts';
import { isUniqueViolation } from '../src/store/pg-errors.ts';
import { defaultPartitionRows, openCoverageYears } from '../src/store/partitions.ts';
import { BACKENDS, freshDatabase, type TestDatabase } from './support/databases.ts';

const quotes = QuoteService.load();
const YEARS = [2022, 2023] as const;
const PER_YEAR = 24;
const HOSPITAL = 'H500230901';

/** The rows at 044: areas, a hospital, four persons; per year encounters, their settlements (every fifth reversed, with its mirror entry), the settlements' entries; an entry of no settlement. */
async function seed044(d: TestDatabase): Promise<void> {
  const q = (text: string, values: unknown[] = []) => d.pool.query(text, values);
  await q(`INSERT INTO admin_area (code, name, level, parent_code, region) VALUES
    ('500230', '丰都县', 'county', NULL, '500230'), ('500230100', '三合街道', 'township', '500230', '500230'),
    ('500230100001', '一村', 'village', '500230100', '500230')`);
  await q(`INSERT INTO hospital (code, name, level, region, ownership) VALUES ($1, '丰都县分区测试医院', 'secondary', '500230', 'public')`, [HOSPITAL]);
  await q(`INSERT INTO person (id_number, name, gender, birth_date, village_code, kind)
    SELECT '50023019800101' || lpad(g::text, 3, '0') || 'X', '测试' || g, 'male', '1980-01-01', '500230100001', 'adult' FROM generate_series(1, 4) g`);
  for (const y of YEARS) {
    for (let i = 1; i <= PER_YEAR; i++) {
      const total = 10_000 + 137 * i + y; // fen
      const basic = Math.floor(total * 0.55);
      const ci = i % 3 === 0 ? 321 : 0;
      const ma = i % 4 === 0 ? 99 : 0;
      const cash = total - basic - ci - ma;
      const visit = i % 2 === 0 ? `V-${y}-${i}` : null;
      const e = await q(
        `INSERT INTO encounter (hospital_code, person_id, coverage_year, type, date, total_fen, full_own_pay_fen, over_limit_fen, pre_self_pay_fen, in_scope_fen, external_id, visit, visit_part)
         VALUES ($1, (SELECT min(id) + $2 % 4 FROM person), $3, 'general_outpatient', make_date($3, 3, 1 + $2 % 28), $4, 0, 0, 0, $4, $5, $6, CASE WHEN $6::text IS NULL THEN NULL ELSE '' END) RETURNING id, person_id`,
        [HOSPITAL, i, y, total, `X-${y}-${i}`, visit],
      );
      const reversed = i % 5 === 0;
      const s = await q(
        `INSERT INTO settlement (encounter_id, person_id, hospital_code, coverage_year, basic_fund_fen, critical_illness_fen, medical_assistance_fen, cash_fen, total_fen,
                                 result, delta, settled_by, visit, visit_part, reversed_at, reversed_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, '{}', '{}', 'seed', $10, CASE WHEN $10::text IS NULL THEN NULL ELSE '' END,
                 CASE WHEN $11 THEN now() END, CASE WHEN $11 THEN 'seed' END) RETURNING id`,
        [e.rows[0].id, e.rows[0].person_id, HOSPITAL, y, basic, ci, ma, cash, total, visit, reversed],
      );
      const lines = [['basic_fund', basic], ['critical_illness_fund', ci], ['medical_assistance_fund', ma], ['payable_hospitals', -(basic + ci + ma)]].filter(([, f]) => f !== 0) as [string, number][];
      for (const [source, sign] of reversed ? ([['settlement', 1], ['reversal', -1]] as const) : ([['settlement', 1]] as const)) {
        await d.db.transaction().execute(async (tx) => {
          const j = await sql<{ id: string }>`INSERT INTO journal_entry (memo, source, source_id) VALUES (${`seed ${source} ${y}/${i}`}, ${source}, ${s.rows[0].id}) RETURNING id`.execute(tx);
          for (const [account, fen] of lines) await sql`INSERT INTO posting (entry_id, account, amount_fen) VALUES (${j.rows[0].id}, ${account}, ${sign * fen})`.execute(tx);
        });
      }
    }
  }
  // an entry of no settlement, dated in 2023: its year is the entry's
  await d.db.transaction().execute(async (tx) => {
    const j = await sql<{ id: string }>`INSERT INTO journal_entry (at, memo, source) VALUES ('2023-06-01T08:00:00+08', 'seed other', 'test') RETURNING id`.execute(tx);
    await sql`INSERT INTO posting (entry_id, account, amount_fen) VALUES (${j.rows[0].id}, 'contributions_received', 777), (${j.rows[0].id}, 'basic_fund', -777)`.execute(tx);
  });
}

/** What must not change: every row (as text) of the three tables, and the sums by year and account. */
async function snapshot(d: TestDatabase) {
  const one = async (text: string) => (await d.pool.query(text)).rows;
  return {
    encounters: await one(`SELECT md5(string_agg(e::text, '|' ORDER BY e.id)) AS h, count(*)::int AS n FROM encounter e`),
    settlements: await one(`SELECT md5(string_agg(s::text, '|' ORDER BY s.id)) AS h, count(*)::int AS n FROM settlement s`),
    postings: await one(`SELECT md5(string_agg(concat_ws(',', p.id, p.entry_id, p.account, p.amount_fen), '|' ORDER BY p.id)) AS h, count(*)::int AS n FROM posting p`),
    byYear: await one(`SELECT coverage_year, count(*)::int AS n, sum(total_fen)::text AS total, sum(basic_fund_fen)::text AS basic, sum(cash_fen)::text AS cash,
                              count(*) FILTER (WHERE reversed_at IS NULL)::int AS live FROM settlement GROUP BY 1 ORDER BY 1`),
    byAccount: await one(`SELECT account, sum(amount_fen)::text AS fen, count(*)::int AS n FROM posting GROUP BY 1 ORDER BY 1`),
    settledByYear: await one(`SELECT s.coverage_year, p.account, sum(p.amount_fen)::text AS fen FROM posting p JOIN journal_entry j ON j.id = p.entry_id
                               JOIN settlement s ON s.id = j.source_id WHERE j.source IN ('settlement', 'reversal') GROUP BY 1, 2 ORDER BY 1, 2`),
  };
}

const rowsByPartition = async (d: TestDatabase, table: string) =>
  Object.fromEntries((await d.pool.query(`SELECT tableoid::regclass::text AS part, count(*)::int AS n FROM ${table} GROUP BY 1`)).rows.map((r) => [r.part, r.n]));

/** The tables a plan reads (every "Relation Name" of EXPLAIN's JSON). */
async function relationsRead(d: TestDatabase, query: string): Promise<string[]> {
  const plan = (await d.pool.query(`EXPLAIN (FORMAT JSON) ${query}`)).rows[0]['QUERY PLAN'];
  const found = new Set<string>();
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) n.forEach(walk);
    else if (n && typeof n === 'object') {
      for (const [k, v] of Object.entries(n)) if (k === 'Relation Name') found.add(String(v));
      else walk(v);
    }
  };
  walk(typeof plan === 'string' ? JSON.parse(plan) : plan);
  return [...found].sort();
}

const refusal = async (d: TestDatabase, text: string, values: unknown[] = []): Promise<{ code?: string; constraint?: string; message: string }> => {
  try {
    await d.pool.query(text, values);
  } catch (e) {
    return e as { code?: string; constraint?: string; message: string };
  }
  throw new Error(`not refused: ${text}`);
};

for (const backend of BACKENDS) {
  describe(`coverage-year partitions (${backend})`, () => {
    let d: TestDatabase;
    let before050: Awaited<ReturnType<typeof snapshot>>;

    before(async () => {
      d = await freshDatabase(backend, { asOwner: true, migrate: false });
      const upTo044 = await migrate(d.pool, { upTo: '044' });
      assert.ok(upTo044.includes('044_area_filing_withdrawal.sql') && !upTo044.some((f) => f >= '045'));
      await seed044(d);
      before050 = await snapshot(d);
      const rest = await migrate(d.pool);
      assert.ok(rest.includes('050_coverage_year_partitions.sql'), rest.join(', '));
    });
    after(async () => {
      await d?.drop();
    });

    test('the rows are in their year’s partition, none in DEFAULT; the same rows, counts and sums to the fen', async () => {
      for (const t of ['encounter', 'settlement', 'posting']) {
        const kind = (await d.pool.query(`SELECT relkind FROM pg_class WHERE oid = $1::regclass`, [t])).rows[0].relkind;
        assert.equal(kind, 'p', `${t} is partitioned`);
        const parts = (await d.pool.query(`SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = $1::regclass ORDER BY 1`, [t])).rows.map((r) => r.relname);
        assert.deepEqual(parts, [`${t}_default`, `${t}_y2022`, `${t}_y2023`]);
      }
      assert.deepEqual(await rowsByPartition(d, 'encounter'), { encounter_y2022: PER_YEAR, encounter_y2023: PER_YEAR });
      assert.deepEqual(await rowsByPartition(d, 'settlement'), { settlement_y2022: PER_YEAR, settlement_y2023: PER_YEAR });
      const postings = await rowsByPartition(d, 'posting');
      assert.deepEqual(Object.keys(postings).sort(), ['posting_y2022', 'posting_y2023']);
      assert.deepEqual(await defaultPartitionRows(d.db), { encounter: 0, settlement: 0, posting: 0 });
      const after050 = await snapshot(d);
      assert.deepEqual(after050, before050);
      // each settlement's postings are in its year; the entry of no settlement in the year it was made
      const wrong = await d.pool.query(`SELECT p.id FROM posting p JOIN journal_entry j ON j.id = p.entry_id JOIN settlement s ON s.id = j.source_id
                                        WHERE j.source IN ('settlement', 'reversal') AND p.coverage_year <> s.coverage_year`);
      assert.equal(wrong.rowCount, 0);
      const other = await d.pool.query(`SELECT p.coverage_year, p.amount_fen::int FROM posting p JOIN journal_entry j ON j.id = p.entry_id WHERE j.source = 'test' ORDER BY 2`);
      assert.deepEqual(other.rows, [{ coverage_year: 2023, amount_fen: -777 }, { coverage_year: 2023, amount_fen: 777 }]);
    });

    test('the constraints still refuse duplicates, a settlement of no encounter, an unbalanced entry, a reference to no settlement', async () => {
      const enc2022 = (await d.pool.query(`SELECT id, person_id FROM encounter WHERE coverage_year = 2022 AND external_id = 'X-2022-1'`)).rows[0];
      // the same externalId: in its year (the index) and in another year (the trigger)
      const insertEnc = `INSERT INTO encounter (hospital_code, person_id, coverage_year, type, date, total_fen, full_own_pay_fen, over_limit_fen, pre_self_pay_fen, in_scope_fen, external_id)
                         VALUES ('${HOSPITAL}', $1, $2, 'general_outpatient', make_date($2, 5, 1), 100, 0, 0, 0, 100, $3) RETURNING id`;
      const same = await refusal(d, insertEnc, [enc2022.person_id, 2022, 'X-2022-1']);
      assert.equal(same.code, '23505');
      assert.ok(isUniqueViolation(same, 'encounter_hospital_code_external_id_key'), same.message);
      const across = await refusal(d, insertEnc, [enc2022.person_id, 2023, 'X-2022-1']);
      assert.ok(isUniqueViolation(across, 'encounter_hospital_code_external_id_key'), across.message);
      // a second live settlement of an encounter
      const live = (await d.pool.query(`SELECT s.* FROM settlement s WHERE s.encounter_id = $1`, [enc2022.id])).rows[0];
      const insertSettlement = `INSERT INTO settlement (encounter_id, person_id, hospital_code, coverage_year, basic_fund_fen, critical_illness_fen, medical_assistance_fen, cash_fen, total_fen, result, delta, settled_by, visit, visit_part)
                                VALUES ($1, $2, '${HOSPITAL}', $3, 0, 0, 0, 100, 100, '{}', '{}', 'test', $4, $5)`;
      const twice = await refusal(d, insertSettlement, [enc2022.id, live.person_id, 2022, null, null]);
      assert.ok(isUniqueViolation(twice, 'settlement_live') && !isUniqueViolation(twice, 'settlement_live_visit'), twice.message);
      // a settlement whose year is not its encounter's
      const wrongYear = await refusal(d, insertSettlement, [enc2022.id, live.person_id, 2023, null, null]);
      assert.equal(wrongYear.code, '23503', wrongYear.message);
      // a visit with a live settlement in 2022, settled again by an encounter of 2023
      const fresh = (await d.pool.query(insertEnc, [enc2022.person_id, 2023, 'X-new-2023'])).rows[0].id;
      const visit = (await d.pool.query(`SELECT visit FROM settlement WHERE coverage_year = 2022 AND visit IS NOT NULL AND reversed_at IS NULL LIMIT 1`)).rows[0].visit;
      const visitTwice = await refusal(d, insertSettlement, [fresh, enc2022.person_id, 2023, visit, '']);
      assert.ok(isUniqueViolation(visitTwice, 'settlement_live_visit'), visitTwice.message);
      // an unbalanced entry is refused at commit; a balanced one goes in, into its year's partition
      await assert.rejects(
        d.db.transaction().execute(async (tx) => {
          const j = await sql<{ id: string }>`INSERT INTO journal_entry (memo, source) VALUES ('test: off', 'test') RETURNING id`.execute(tx);
          await sql`INSERT INTO posting (entry_id, account, amount_fen, coverage_year) VALUES (${j.rows[0].id}, 'basic_fund', 100, 2022), (${j.rows[0].id}, 'payable_hospitals', -99, 2022)`.execute(tx);
        }),
        /does not balance \(sum 1 fen\)/,
      );
      // a clearing item of no settlement
      await d.pool.query(`INSERT INTO clearing_statement (hospital_code, month, settlements, reversals, total_fen, fund_total_fen, lines, approved_by) VALUES ('${HOSPITAL}', '2022-03', 0, 0, 0, 0, '[]', 'test')`);
      const noSettlement = await refusal(d, `INSERT INTO clearing_item (statement_id, settlement_id, kind, fund_fen) SELECT id, 987654321, 'settled', 0 FROM clearing_statement`);
      assert.equal(noSettlement.code, '23503', noSettlement.message);
      assert.match(noSettlement.message, /clearing_item_settlement_id_fkey/);
      await d.pool.query(`INSERT INTO clearing_item (statement_id, settlement_id, kind, fund_fen) SELECT st.id, $1, 'settled', 0 FROM clearing_statement st`, [live.id]);
      // the books: never changed, a settlement never deleted, also by the owner
      assert.match((await refusal(d, `UPDATE posting SET amount_fen = amount_fen WHERE coverage_year = 2022`)).message, /posting is append-only/);
      assert.match((await refusal(d, `DELETE FROM settlement WHERE id = $1`, [live.id])).message, /append-only/);
      assert.match((await refusal(d, `UPDATE settlement SET total_fen = total_fen + 1 WHERE id = $1`, [live.id])).message, /only its reversal may be recorded/);
    });

    test('the service’s role holds the same privileges on the tables, none on a partition', async () => {
      const has = async (table: string, priv: string) => (await d.pool.query(`SELECT has_table_privilege('yibao_app', $1, $2) AS ok`, [table, priv])).rows[0].ok;
      for (const t of ['encounter', 'settlement', 'posting']) {
        assert.equal(await has(t, 'SELECT'), true);
        assert.equal(await has(t, 'INSERT'), true);
        assert.equal(await has(t, 'DELETE'), false, `${t}: DELETE`);
        assert.equal(await has(t, 'TRUNCATE'), false);
        for (const y of YEARS) {
          assert.equal(await has(`${t}_y${y}`, 'SELECT'), false, `${t}_y${y}`);
          assert.equal(await has(`${t}_y${y}`, 'INSERT'), false, `${t}_y${y}`);
        }
      }
      assert.equal(await has('posting', 'UPDATE'), false);
      const col = async (c: string) => (await d.pool.query(`SELECT has_column_privilege('yibao_app', 'settlement', $1, 'UPDATE') AS ok`, [c])).rows[0].ok;
      assert.deepEqual([await col('reversed_at'), await col('reversed_by'), await col('reversal_ref'), await col('total_fen')], [true, true, true, false]);
    });

    test('a query of one year reads that year’s partition only', async () => {
      assert.deepEqual(await relationsRead(d, `SELECT sum(total_fen) FROM settlement WHERE coverage_year = 2023`), ['settlement_y2023']);
      assert.deepEqual(await relationsRead(d, `SELECT count(*) FROM encounter WHERE person_id = 1 AND coverage_year = 2022`), ['encounter_y2022']);
      assert.deepEqual(await relationsRead(d, `SELECT account, sum(amount_fen) FROM posting WHERE coverage_year = 2022 GROUP BY account`), ['posting_y2022']);
      // the screening's view joins a settlement's encounter in the same year
      const viewRead = await relationsRead(d, `SELECT count(*), sum(fund_fen) FROM risk_settled WHERE coverage_year = 2023`);
      assert.deepEqual(viewRead.filter((r) => /^(encounter|settlement)/.test(r)), ['encounter_y2023', 'settlement_y2023']);
    });

    test('a new year’s partitions appear when it is opened, once, named and closed to the service’s role', async () => {
      const made = await openCoverageYears(d.db, [2024]);
      assert.deepEqual(made.sort(), ['encounter_y2024', 'posting_y2024', 'settlement_y2024']);
      assert.deepEqual(await openCoverageYears(d.db, [2024]), []);
      assert.deepEqual((await d.pool.query(`SELECT open_coverage_year(2024) AS m`)).rows[0].m, []);
      const names = (await d.pool.query(`SELECT indexrelid::regclass::text AS n FROM pg_index WHERE indrelid = 'settlement_y2024'::regclass ORDER BY 1`)).rows.map((r) => r.n);
      assert.ok(names.includes('settlement_live__y2024') && names.includes('settlement_pkey__y2024'), names.join(', '));
      assert.equal((await d.pool.query(`SELECT has_table_privilege('yibao_app', 'posting_y2024', 'INSERT') AS ok`)).rows[0].ok, false);
      await assert.rejects(d.pool.query(`SELECT open_coverage_year(1999)`), /2000 to 2999/);
    });

    test('settlement and reversal afterwards: their rows and postings in the year’s partition, the books balanced', async () => {
      const person = (await d.pool.query(`SELECT id FROM person ORDER BY id LIMIT 1`)).rows[0].id;
      await d.pool.query(
        `INSERT INTO enrollment (person_id, coverage_year, region, pack, tier, state, standard_fen, assistance_fen, due_fen, borne_fen, benefit_start, benefit_end, quote, paid_fen, paid_on)
         VALUES ($1, 2022, '500230', '500230/2022', 'tier1', 'paid', 32000, 0, 32000, 32000, '2022-01-01', '2022-12-31', '{}', 32000, '2021-12-01')`,
        [person],
      );
      const service = new SettlementService(d, quotes);
      const enc = await service.createEncounter(SYSTEM, {
        hospitalCode: HOSPITAL, personId: person, coverageYear: 2022, type: 'inpatient', date: '2022-09-01', location: 'in_area', referred: true,
        costs: { total: 5000, fullOwnPay: 0, overLimitSelfPay: 0, preSelfPay: 0, inScope: 5000 }, externalId: 'after-050',
      });
      const s = await service.settle(SYSTEM, enc.id);
      const settled = (await d.pool.query(`SELECT tableoid::regclass::text AS part, basic_fund_fen::int AS b FROM settlement WHERE id = $1`, [s.settlementId])).rows[0];
      assert.equal(settled.part, 'settlement_y2022');
      assert.ok(settled.b > 0, 'the basic fund paid');
      // the same externalId again in 2022 is the same encounter refused as a duplicate; in another year too
      await assert.rejects(service.createEncounter(SYSTEM, { hospitalCode: HOSPITAL, personId: person, coverageYear: 2022, type: 'general_outpatient', date: '2022-09-02', costs: { total: 10, fullOwnPay: 0, overLimitSelfPay: 0, preSelfPay: 0, inScope: 10 }, externalId: 'after-050' }), /DUPLICATE|already/i);
      await assert.rejects(service.createEncounter(SYSTEM, { hospitalCode: HOSPITAL, personId: person, coverageYear: 2023, type: 'general_outpatient', date: '2023-09-02', costs: { total: 10, fullOwnPay: 0, overLimitSelfPay: 0, preSelfPay: 0, inScope: 10 }, externalId: 'after-050' }), /DUPLICATE|already/i);
      await service.reverse(SYSTEM, s.settlementId);
      const books = await d.pool.query(
        `SELECT p.tableoid::regclass::text AS part, p.account, sum(p.amount_fen)::int AS fen FROM posting p JOIN journal_entry j ON j.id = p.entry_id
          WHERE j.source_id = $1 AND j.source IN ('settlement', 'reversal') GROUP BY 1, 2`,
        [s.settlementId],
      );
      assert.ok(books.rowCount! > 0);
      for (const r of books.rows) {
        assert.equal(r.part, 'posting_y2022');
        assert.equal(r.fen, 0, `${r.account}: settled and reversed`);
      }
      const unbalanced = await d.pool.query(`SELECT entry_id FROM posting GROUP BY entry_id HAVING sum(amount_fen) <> 0`);
      assert.equal(unbalanced.rowCount, 0);
      assert.deepEqual(await defaultPartitionRows(d.db), { encounter: 0, settlement: 0, posting: 0 });
    });
  });
}
