/**
 * Properties of the monitoring sums. Pure: a rate's percentage is n/d rounded half up to two
 * decimals, exactly; ranks follow the exact rates. On both databases: after any sequence of
 * assessments, payments (any date), refusals, blocks, reversals to unpaid, village moves and
 * deletions written straight into the tables, progress_rollup holds exactly the sums of the
 * enrollments themselves (the triggers' deltas never drift).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { sql } from 'kysely';
import { compareRates, rateOf, ranks } from '../src/monitoring/figures.ts';
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
  | { op: 'state'; p: number; state: 'assessed' | 'refused' | 'blocked' }
  | { op: 'move'; p: number; v: number }
  | { op: 'delete'; p: number }
  | { op: 'assess'; p: number; statuses: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('pay' as const), p: fc.nat(11), day: fc.integer({ min: 0, max: 300 }), fen: fc.integer({ min: 0, max: 69500 }), assistance: fc.integer({ min: 0, max: 32000 }), subsidy: fc.boolean() }),
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
        const birth = i === 11 ? '2022-02-01' : `19${60 + i}-03-0${1 + (i % 8)}`;
        const r = await d.db.insertInto('person').values({ id_number: makeIdNumber('500230', birth, i * 2 + 1), name: `人${i}`, gender: 'male', birth_date: birth, village_code: VILLAGES[i % 3], kind: 'adult', household_id: null, graduation_year: null }).returning('id').executeTakeFirstOrThrow();
        persons.push(String(r.id));
      }
    });
    after(() => d?.drop());

    const apply = async (o: Op): Promise<void> => {
      const db = d.db;
      const pid = persons[o.p];
      const quote = (statuses: string[], subsidy: boolean) => JSON.stringify({ request: { person: { statuses } }, answer: { fiscalSubsidy: subsidy ? { total: 610, shares: [{ level: 'central', amount: 488 }, { level: 'local', amount: 122 }] } : null } });
      if (o.op === 'assess') {
        await sql`INSERT INTO enrollment (person_id, coverage_year, region, pack, tier, state, standard_fen, due_fen, quote)
          VALUES (${pid}, 2022, '500230', '500230/2022', 'tier1', 'assessed', 32000, 32000, ${quote(STATUSES[o.statuses], true)}::jsonb)
          ON CONFLICT (person_id, coverage_year) DO UPDATE SET quote = CASE WHEN enrollment.state = 'paid' THEN enrollment.quote ELSE EXCLUDED.quote END, state = CASE WHEN enrollment.state = 'paid' THEN 'paid' ELSE 'assessed' END`.execute(db);
      } else if (o.op === 'pay') {
        const paidOn = new Date(Date.UTC(2021, 11, 1) + o.day * 86400_000).toISOString().slice(0, 10);
        await sql`UPDATE enrollment SET state = 'paid', paid_on = ${paidOn}::date, paid_fen = ${o.fen}, due_fen = ${o.fen}, assistance_fen = ${o.assistance},
          subsidy_fen = ${o.subsidy ? 61000 : null}, quote = jsonb_set(quote, '{answer,fiscalSubsidy}', ${o.subsidy ? '{"total":610,"shares":[{"level":"central","amount":488},{"level":"local","amount":122}]}' : 'null'}::jsonb)
          WHERE person_id = ${pid} AND coverage_year = 2022`.execute(db);
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
    };

    test('any sequence of changes leaves the rollup equal to the enrollments’ own sums', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 25 }), async (ops) => {
          for (const o of ops) await apply(o);
          await check();
        }),
        { numRuns: backend === 'pglite' ? 25 : 15 },
      );
    });
  });
