/**
 * Properties of the monitoring sums. Pure: a rate's percentage is n/d rounded half up to two
 * decimals, exactly; ranks follow the exact rates. On both databases: after any sequence of
 * assessments, payments (any date), refusals, blocks, reversals to unpaid, village moves and
 * deletions written straight into the tables, one at a time or many in one statement (as the
 * payment file's batches write them), progress_rollup holds exactly the sums of the enrollments
 * themselves (the triggers' deltas never drift), progress_half_month and
 * progress_half_month_statuses hold exactly progress_rollup's sums by half-month, and the sums progress reads as of any date (whole
 * half-months, then the days of the date's own half-month) equal direct counts over the
 * enrollments, for any base date of the targets and any area.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { sql } from 'kysely';
import { compareRates, isHalfMonthEnd, rateOf, ranks } from '../src/monitoring/figures.ts';
import { halfMonthCut, paidSums, villageSums, yearSums } from '../src/monitoring/rollup.ts';
import { formatDay, parseDay } from '../src/dates.ts';
import { makeIdNumber } from '../src/registers/id-number.ts';
import { BACKENDS, freshDatabase, type TestDatabase } from './support/databases.ts';

test('a rate is n/d in percent rounded half up to two decimals, exactly', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 10_000_000 }), fc.integer({ min: 1, max: 10_000_000 }), (n, d) => {
      const r = rateOf(n, d)!;
      // exact: hundredths = floor(n·10000/d + 1/2)
      const want = (BigInt(n) * 20000n + BigInt(d)) / (2n * BigInt(d));
      assert.equal(BigInt(Math.round(r.percent * 100)), want);
      assert.equal(r.text, `${want / 100n}.${String(want % 100n).padStart(2, '0')}%`);
    }),
  );
});

test('ranks follow the exact rates: a higher rate never ranks below a lower one', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 1, max: 1000 })), { minLength: 1, maxLength: 30 }), (xs) => {
      const rates = xs.map(([n, d]) => rateOf(n, d));
      const rk = ranks(rates, (r) => r);
      for (let i = 0; i < rates.length; i++)
        for (let j = 0; j < rates.length; j++) {
          const c = compareRates(rates[i], rates[j]);
          if (c < 0) assert.ok(rk[i]! < rk[j]!);
          if (c === 0) assert.equal(rk[i], rk[j]);
        }
    }),
  );
});

const VILLAGES = ['500230100001', '500230100002', '500230101001'];
const STATUSES = [[], ['dibao'], ['destitute'], ['dibao', 'severe_disability']];

type Op =
  | { op: 'pay'; p: number; day: number; fen: number; assistance: number; subsidy: boolean }
  | { op: 'bulk'; pays: { p: number; day: number; fen: number; assistance: number; subsidy: boolean }[] }
  | { op: 'state'; p: number; state: 'assessed' | 'refused' | 'blocked' }
  | { op: 'move'; p: number; v: number }
  | { op: 'delete'; p: number }
  | { op: 'assess'; p: number; statuses: number };

const payArb = fc.record({ p: fc.nat(11), day: fc.integer({ min: 0, max: 300 }), fen: fc.integer({ min: 0, max: 69500 }), assistance: fc.integer({ min: 0, max: 32000 }), subsidy: fc.boolean() });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  payArb.map((x) => ({ op: 'pay' as const, ...x })),
  // many payments in one statement, each on its own date (the payment file's batch, the set-based bench)
  fc.uniqueArray(payArb, { minLength: 2, maxLength: 8, selector: (x) => x.p }).map((pays) => ({ op: 'bulk' as const, pays })),
  fc.record({ op: fc.constant('state' as const), p: fc.nat(11), state: fc.constantFrom('assessed' as const, 'refused' as const, 'blocked' as const) }),
  fc.record({ op: fc.constant('move' as const), p: fc.nat(11), v: fc.nat(2) }),
  fc.record({ op: fc.constant('delete' as const), p: fc.nat(11) }),
  fc.record({ op: fc.constant('assess' as const), p: fc.nat(11), statuses: fc.nat(3) }),
);

for (const backend of BACKENDS)
  describe(`the progress rollup on ${backend}`, () => {
    let d: TestDatabase;
    const persons: string[] = [];
    before(async () => {
      // the changes are written straight into the tables, as no service would: as the owner
      d = await freshDatabase(backend, { asOwner: true });
      await d.db.insertInto('admin_area').values([
        { code: '500230', name: '丰都县', level: 'county', parent_code: null, region: '500230' },
        { code: '500230100', name: '兴义镇', level: 'township', parent_code: '500230', region: '500230' },
        { code: '500230101', name: '三合街道', level: 'township', parent_code: '500230', region: '500230' },
        ...VILLAGES.map((code, i) => ({ code, name: `村${i}`, level: 'village' as const, parent_code: code.slice(0, 9), region: '500230' })),
      ]).execute();
      for (let i = 0; i < 12; i++) {
        const birth = i === 11 ? '2022-02-01' : i === 10 ? '2021-07-20' : `19${60 + i}-03-0${1 + (i % 8)}`;
        const r = await d.db.insertInto('person').values({ id_number: makeIdNumber('500230', birth, i * 2 + 1), name: `人${i}`, gender: 'male', birth_date: birth, village_code: VILLAGES[i % 3], kind: 'adult', household_id: null, graduation_year: null }).returning('id').executeTakeFirstOrThrow();
        persons.push(String(r.id));
      }
    });
    after(() => d?.drop());

    const dayAfter = (n: number): string => formatDay(parseDay('2021-12-01') + n);
    const apply = async (o: Op): Promise<void> => {
      const db = d.db;
      const pid = 'p' in o ? persons[o.p] : '';
      const quote = (statuses: string[], subsidy: boolean) => JSON.stringify({ request: { person: { statuses } }, answer: { fiscalSubsidy: subsidy ? { total: 610, shares: [{ level: 'central', amount: 488 }, { level: 'local', amount: 122 }] } : null } });
      if (o.op === 'assess') {
        await sql`INSERT INTO enrollment (person_id, coverage_year, region, pack, tier, state, standard_fen, due_fen, quote)
          VALUES (${pid}, 2022, '500230', '500230/2022', 'tier1', 'assessed', 32000, 32000, ${quote(STATUSES[o.statuses], true)}::jsonb)
          ON CONFLICT (person_id, coverage_year) DO UPDATE SET quote = CASE WHEN enrollment.state = 'paid' THEN enrollment.quote ELSE EXCLUDED.quote END, state = CASE WHEN enrollment.state = 'paid' THEN 'paid' ELSE 'assessed' END`.execute(db);
      } else if (o.op === 'pay') {
        const paidOn = dayAfter(o.day);
        await sql`UPDATE enrollment SET state = 'paid', paid_on = ${paidOn}::date, paid_fen = ${o.fen}, due_fen = ${o.fen}, assistance_fen = ${o.assistance},
          subsidy_fen = ${o.subsidy ? 61000 : null}, quote = jsonb_set(quote, '{answer,fiscalSubsidy}', ${o.subsidy ? '{"total":610,"shares":[{"level":"central","amount":488},{"level":"local","amount":122}]}' : 'null'}::jsonb)
          WHERE person_id = ${pid} AND coverage_year = 2022`.execute(db);
      } else if (o.op === 'bulk') {
        const ps = o.pays;
        await sql`UPDATE enrollment e SET state = 'paid', paid_on = x.paid_on, paid_fen = x.fen, due_fen = x.fen, assistance_fen = x.assistance,
            subsidy_fen = CASE WHEN x.subsidy THEN 61000 END,
            quote = jsonb_set(e.quote, '{answer,fiscalSubsidy}', CASE WHEN x.subsidy THEN '{"total":610,"shares":[{"level":"central","amount":488},{"level":"local","amount":122}]}'::jsonb ELSE 'null'::jsonb END)
          FROM unnest(${ps.map((x) => persons[x.p])}::bigint[], ${ps.map((x) => dayAfter(x.day))}::date[], ${ps.map((x) => x.fen)}::bigint[], ${ps.map((x) => x.assistance)}::bigint[], ${ps.map((x) => x.subsidy)}::boolean[])
            AS x(person_id, paid_on, fen, assistance, subsidy)
          WHERE e.person_id = x.person_id AND e.coverage_year = 2022`.execute(db);
      } else if (o.op === 'state') {
        await sql`UPDATE enrollment SET state = ${o.state}, paid_on = NULL, paid_fen = 0 WHERE person_id = ${pid} AND coverage_year = 2022`.execute(db);
      } else if (o.op === 'move') {
        await sql`UPDATE person SET village_code = ${VILLAGES[o.v]} WHERE id = ${pid}`.execute(db);
      } else {
        await sql`DELETE FROM enrollment WHERE person_id = ${pid} AND coverage_year = 2022`.execute(db);
      }
    };

    /** The rollup's sums against the same sums computed from enrollment and person. */
    const check = async (): Promise<void> => {
      const { rows: got } = await sql<{ k: string }>`
        SELECT village_code || '|' || kind || '|' || sum(n) || '|' || sum(paid_fen) || '|' || sum(assistance_fen) || '|' || sum(subsidy_fen) || '|' || sum(sub_central_fen) || '|' || sum(sub_local_fen) AS k
        FROM progress_rollup WHERE coverage_year = 2022 GROUP BY village_code, kind HAVING sum(n) <> 0 OR sum(paid_fen) <> 0 OR sum(assistance_fen) <> 0 OR sum(subsidy_fen) <> 0 ORDER BY 1`.execute(d.db);
      const { rows: want } = await sql<{ k: string }>`
        WITH x AS (
          SELECT p.village_code, 'enrollments' AS kind, 1 AS n, 0 AS paid, 0 AS a, 0 AS s, 0 AS c, 0 AS l FROM enrollment e JOIN person p ON p.id = e.person_id WHERE e.coverage_year = 2022
          UNION ALL
          SELECT p.village_code, e.state, 1,
            CASE WHEN e.state = 'paid' AND e.due_fen > 0 THEN e.paid_fen ELSE 0 END, CASE WHEN e.state = 'paid' THEN COALESCE(e.assistance_fen, 0) ELSE 0 END,
            CASE WHEN e.state = 'paid' THEN COALESCE(e.subsidy_fen, 0) ELSE 0 END, CASE WHEN e.state = 'paid' AND e.subsidy_fen IS NOT NULL THEN 48800 ELSE 0 END,
            CASE WHEN e.state = 'paid' AND e.subsidy_fen IS NOT NULL THEN 12200 ELSE 0 END
          FROM enrollment e JOIN person p ON p.id = e.person_id WHERE e.coverage_year = 2022 AND e.state <> 'assessed'
        )
        SELECT village_code || '|' || kind || '|' || sum(n) || '|' || sum(paid) || '|' || sum(a) || '|' || sum(s) || '|' || sum(c) || '|' || sum(l) AS k FROM x GROUP BY village_code, kind ORDER BY 1`.execute(d.db);
      assert.deepEqual(got.map((r) => r.k), want.map((r) => r.k));
      // progress_half_month: progress_rollup's sums by half-month, exactly
      const cols = sql`sum(n) || '|' || sum(paid_fen) || '|' || sum(assistance_fen) || '|' || sum(subsidy_fen) || '|' || sum(sub_central_fen) || '|' || sum(sub_provincial_fen) || '|' || sum(sub_prefecture_fen) || '|' || sum(sub_county_fen) || '|' || sum(sub_local_fen) || '|' || sum(sub_unallocated_fen)`;
      const nonzero = sql`sum(n) <> 0 OR sum(paid_fen) <> 0 OR sum(assistance_fen) <> 0 OR sum(subsidy_fen) <> 0 OR sum(sub_central_fen) <> 0 OR sum(sub_local_fen) <> 0`;
      const { rows: half } = await sql<{ k: string }>`
        SELECT coverage_year || '|' || village_code || '|' || kind || '|' || period || '|' || ${cols} AS k
        FROM progress_half_month GROUP BY coverage_year, village_code, kind, period HAVING ${nonzero} ORDER BY 1`.execute(d.db);
      const { rows: byHalf } = await sql<{ k: string }>`
        SELECT coverage_year || '|' || village_code || '|' || kind || '|' || half_month_end(day) || '|' || ${cols} AS k
        FROM progress_rollup GROUP BY coverage_year, village_code, kind, half_month_end(day) HAVING ${nonzero} ORDER BY 1`.execute(d.db);
      const { rows: st } = await sql<{ k: string }>`
        SELECT coverage_year || '|' || village_code || '|' || period || '|' || statuses || '|' || sum(n) || '|' || sum(assistance_fen) AS k
        FROM progress_half_month_statuses GROUP BY coverage_year, village_code, period, statuses HAVING sum(n) <> 0 OR sum(assistance_fen) <> 0 ORDER BY 1`.execute(d.db);
      const { rows: stWant } = await sql<{ k: string }>`
        SELECT coverage_year || '|' || village_code || '|' || half_month_end(day) || '|' || statuses || '|' || sum(n) || '|' || sum(assistance_fen) AS k
        FROM progress_rollup WHERE kind = 'paid' AND statuses <> '' GROUP BY coverage_year, village_code, half_month_end(day), statuses HAVING sum(n) <> 0 OR sum(assistance_fen) <> 0 ORDER BY 1`.execute(d.db);
      assert.deepEqual(st.map((r) => r.k), stWant.map((r) => r.k));
      assert.deepEqual(half.map((r) => r.k), byHalf.map((r) => r.k));
    };

    /** The sums progress reads as of `asOf` (targets' base `base`) for an area, against direct counts over enrollment and person. */
    const checkAsOf = async (area: string, asOf: string, base: string): Promise<void> => {
      const { rows } = await sql<Record<string, string>>`
        WITH x AS (
          SELECT p.village_code, p.birth_date, e.*, (e.state = 'paid' AND e.paid_on <= ${asOf}::date) AS upto
          FROM enrollment e JOIN person p ON p.id = e.person_id
          WHERE e.coverage_year = 2022 AND p.village_code LIKE ${`${area}%`}
        )
        SELECT village_code, count(*) AS enrollments, count(*) FILTER (WHERE birth_date <= ${base}::date) AS at_base,
          count(*) FILTER (WHERE upto) AS paid, count(*) FILTER (WHERE state = 'refused') AS refused, count(*) FILTER (WHERE state = 'blocked') AS blocked,
          count(*) FILTER (WHERE state = 'blocked' AND birth_date <= ${base}::date) AS blocked_base,
          COALESCE(sum(paid_fen) FILTER (WHERE upto AND due_fen > 0), 0) AS paid_fen, COALESCE(sum(assistance_fen) FILTER (WHERE upto AND assistance_fen > 0), 0) AS assistance_fen,
          COALESCE(sum(subsidy_fen) FILTER (WHERE upto), 0) AS subsidy_fen, 48800 * count(*) FILTER (WHERE upto AND subsidy_fen IS NOT NULL) AS central,
          12200 * count(*) FILTER (WHERE upto AND subsidy_fen IS NOT NULL) AS local,
          count(*) FILTER (WHERE upto AND assistance_fen > 0 AND jsonb_array_length(quote->'request'->'person'->'statuses') > 0) AS assisted_with_statuses,
          COALESCE(sum(assistance_fen) FILTER (WHERE upto AND assistance_fen > 0 AND jsonb_array_length(quote->'request'->'person'->'statuses') > 0), 0) AS assisted_fen,
          count(*) FILTER (WHERE state = 'paid') AS paid_all
        FROM x GROUP BY village_code ORDER BY village_code`.execute(d.db);
      const want = rows.map((r) => ({ village: r.village_code, enrollments: +r.enrollments, atBase: +r.at_base, paid: +r.paid, refused: +r.refused, blocked: +r.blocked, blockedAtBase: +r.blocked_base,
        paidFen: +r.paid_fen, assistanceFen: +r.assistance_fen, subsidyFen: +r.subsidy_fen, central: +r.central, local: +r.local }));
      const sums = await villageSums(d.db, 2022, area, asOf, base);
      const got = [...sums.values()].filter((v) => v.enrollments !== 0).sort((a, b) => (a.villageCode < b.villageCode ? -1 : 1)).map((v) => ({
        village: v.villageCode, enrollments: v.enrollments, atBase: v.enrollmentsAtBase, paid: v.paid, refused: v.refused, blocked: v.blocked, blockedAtBase: v.blockedAtBase,
        paidFen: v.paidFen, assistanceFen: v.assistanceFen, subsidyFen: v.subsidyFen, central: v.subsidyByLevelFen.central, local: v.subsidyByLevelFen.local }));
      const at = `${area} as of ${asOf} (base ${base}, cut ${JSON.stringify(halfMonthCut(asOf))})`;
      assert.deepEqual(got, want, at);
      // the year's sums the progress reads: the same villages; paid by half-month adds up to the direct count at each of its points
      const y = await yearSums(d.db, 2022, area, asOf, base);
      assert.deepEqual([...y.villages.values()].filter((v) => v.enrollments !== 0).map((v) => [v.villageCode, v.paid, v.paidFen, v.enrollmentsAtBase]).sort(), want.map((v) => [v.village, v.paid, v.paidFen, v.atBase]).sort(), at);
      const { rows: byDay } = await sql<{ day: string; n: string }>`
        SELECT e.paid_on::text AS day, count(*) AS n FROM enrollment e JOIN person p ON p.id = e.person_id
        WHERE e.coverage_year = 2022 AND e.state = 'paid' AND e.paid_on <= ${asOf}::date AND p.village_code LIKE ${`${area}%`} GROUP BY 1 ORDER BY 1`.execute(d.db);
      let cum = 0;
      for (const [day, n] of y.byDay) {
        cum += n;
        assert.ok(day <= asOf && (isHalfMonthEnd(parseDay(day)) || day > halfMonthCut(asOf).full), `${at}: ${day} is a half-month end or a day of the date's own half-month`);
        assert.equal(cum, byDay.filter((r) => r.day <= day).reduce((s, r) => s + Number(r.n), 0), `${at}: paid up to ${day}`);
      }
      assert.equal(cum, want.reduce((s, v) => s + v.paid, 0), at);
      assert.deepEqual([y.byStatuses.reduce((s, x) => s + x.persons, 0), y.byStatuses.reduce((s, x) => s + x.fen, 0)],
        [rows.reduce((s, r) => s + Number(r.assisted_with_statuses), 0), rows.reduce((s, r) => s + Number(r.assisted_fen), 0)], `${at}: assistance by statuses`);
      // last year's figures read the same way
      const ps = await paidSums(d.db, 2022, area, asOf);
      assert.deepEqual([...ps.entries()].filter(([, v]) => v.paid !== 0).map(([k, v]) => [k, v.paid, v.paidAsOf]).sort(),
        rows.filter((r) => Number(r.paid_all) !== 0).map((r) => [r.village_code, Number(r.paid_all), Number(r.paid)]).sort(), `${at}: paid sums`);
    };

    // dates from November before the campaign to the end of the coverage year; bases from the year before
    const asOfArb = fc.integer({ min: -30, max: 395 }).map(dayAfter);
    const baseArb = fc.integer({ min: parseDay('2021-01-01') - parseDay('2021-12-01'), max: 395 }).map(dayAfter);
    test('any sequence of changes leaves the rollups equal to the enrollments’ own sums, as of any date', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 25 }), fc.array(fc.tuple(fc.constantFrom('500230', '500230100', '500230101001'), asOfArb, baseArb), { minLength: 1, maxLength: 3 }), async (ops, dates) => {
          for (const o of ops) await apply(o);
          await check();
          for (const [area, asOf, base] of dates) await checkAsOf(area, asOf, base);
          // and as of every payment date there is (mostly inside a half-month: its own days are read by day)
          const { rows: paidOn } = await sql<{ d: string }>`SELECT DISTINCT paid_on::text AS d FROM enrollment WHERE state = 'paid' AND paid_on IS NOT NULL ORDER BY 1`.execute(d.db);
          for (const { d: day } of paidOn) await checkAsOf('500230', day, dates[0][2]);
        }),
        { numRuns: backend === 'pglite' ? 25 : 15 },
      );
    });
  });
