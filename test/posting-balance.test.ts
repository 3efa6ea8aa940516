/**
 * The ledger's balance check as migration 039 makes it (one queued check per statement that
 * writes postings, run at commit), on PGlite and on the PostgreSQL server: postMany posts many
 * entries as post() posts one and refuses an unbalanced one before writing; an entry that does
 * not balance, among many balanced ones of one statement or written over two statements, rolls
 * the whole transaction back, naming the entry; one balanced over two statements is accepted;
 * the queue is empty after every commit and the service's role can neither read nor change it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { ACCOUNTS, UnbalancedEntryError, postMany, unbalancedEntries } from '../src/ledger/ledger.ts';
import { BACKENDS, freshDatabase, type TestDatabase } from './support/databases.ts';

for (const backend of BACKENDS)
  describe(`the ledger's balance check per statement on ${backend}`, () => {
    let d: TestDatabase;
    before(async () => {
      d = await freshDatabase(backend);
    });
    after(async () => {
      await d?.drop();
    });
    const entries = async (memo: string): Promise<number> => (await d.db.selectFrom('journal_entry').select('id').where('memo', 'like', `${memo}%`).execute()).length;
    // the queue as its owner sees it (the session's own user, for one transaction): the service's role may not
    const queued = (): Promise<number> =>
      d.db.transaction().execute(async (tx) => {
        await sql`SET LOCAL ROLE NONE`.execute(tx);
        return Number((await sql<{ n: string }>`SELECT count(*)::text AS n FROM posting_balance_check`.execute(tx)).rows[0].n);
      });

    test('postMany: many entries in two statements, ids in order, zero lines dropped, an entry with none skipped', async () => {
      const ids = await d.db.transaction().execute((tx) =>
        postMany(tx, [
          { memo: 'pm: a', source: 'test', sourceId: 1, lines: [{ account: ACCOUNTS.contributionsReceived, fen: 500 }, { account: ACCOUNTS.basicFund, fen: -500 }] },
          { memo: 'pm: nothing', source: 'test', sourceId: null, lines: [{ account: ACCOUNTS.basicFund, fen: 0 }] },
          { memo: 'pm: b', source: 'test', sourceId: 2, lines: [{ account: 'subsidy_receivable_central', fen: 300 }, { account: 'subsidy_receivable_local', fen: 0 }, { account: ACCOUNTS.basicFund, fen: -300 }] },
        ]),
      );
      assert.equal(ids[1], null);
      assert.ok(Number(ids[0]) < Number(ids[2]));
      const lines = await d.db.selectFrom('posting').select(['entry_id', 'account', 'amount_fen']).where('entry_id', 'in', [ids[0]!, ids[2]!]).orderBy('id').execute();
      assert.deepEqual(lines.map((l) => [String(l.entry_id), l.account, Number(l.amount_fen)]), [
        [ids[0], 'contributions_received', 500], [ids[0], 'basic_fund', -500], [ids[2], 'subsidy_receivable_central', 300], [ids[2], 'basic_fund', -300],
      ]);
      assert.equal(await entries('pm: nothing'), 0);
    });

    test('postMany refuses an unbalanced entry before writing anything', async () => {
      await assert.rejects(
        d.db.transaction().execute((tx) =>
          postMany(tx, [
            { memo: 'pm2: fine', source: 'test', sourceId: null, lines: [{ account: ACCOUNTS.contributionsReceived, fen: 1 }, { account: ACCOUNTS.basicFund, fen: -1 }] },
            { memo: 'pm2: off', source: 'test', sourceId: null, lines: [{ account: ACCOUNTS.contributionsReceived, fen: 2 }, { account: ACCOUNTS.basicFund, fen: -1 }] },
          ]),
        ),
        (e: Error) => e instanceof UnbalancedEntryError && /pm2: off/.test(e.message),
      );
      assert.equal(await entries('pm2:'), 0);
    });

    test('one unbalanced entry among many of one statement rolls the transaction back at commit, naming it', async () => {
      let bad = '';
      await assert.rejects(
        d.db.transaction().execute(async (tx) => {
          const { rows } = await sql<{ id: string }>`INSERT INTO journal_entry (memo, source) SELECT 'many: ' || g, 'test' FROM generate_series(1, 50) g RETURNING id::text`.execute(tx);
          bad = rows[37].id;
          // every entry +100 / −100, except the 38th: −99
          await sql`
            INSERT INTO posting (entry_id, account, amount_fen)
            SELECT e.id, a.account, CASE WHEN a.account = 'basic_fund' AND e.id = ${bad}::bigint THEN -99 ELSE a.fen END
            FROM unnest(${rows.map((r) => r.id)}::bigint[]) AS e(id), (VALUES ('contributions_received', 100), ('basic_fund', -100)) AS a(account, fen)`.execute(tx);
        }),
        (e: Error) => new RegExp(`journal entry ${bad} does not balance \\(sum 1 fen\\)`).test(e.message),
      );
      assert.equal(await entries('many: '), 0, 'nothing of it was kept');
    });

    test('written over two statements: unbalanced refused at commit, balanced accepted; the queue is empty after', async () => {
      await assert.rejects(
        d.db.transaction().execute(async (tx) => {
          const e = await tx.insertInto('journal_entry').values({ memo: 'two: off', source: 'test' }).returning('id').executeTakeFirstOrThrow();
          await tx.insertInto('posting').values({ entry_id: e.id, account: 'basic_fund', amount_fen: 100 }).execute();
          await tx.insertInto('posting').values({ entry_id: e.id, account: 'payable_hospitals', amount_fen: -99 }).execute();
        }),
        /does not balance/,
      );
      await d.db.transaction().execute(async (tx) => {
        const e = await tx.insertInto('journal_entry').values({ memo: 'two: fine', source: 'test' }).returning('id').executeTakeFirstOrThrow();
        await tx.insertInto('posting').values({ entry_id: e.id, account: 'contributions_received', amount_fen: 100 }).execute();
        await tx.insertInto('posting').values({ entry_id: e.id, account: 'basic_fund', amount_fen: -100 }).execute();
      });
      assert.equal(await entries('two: off'), 0);
      assert.equal(await entries('two: fine'), 1);
      assert.deepEqual(await unbalancedEntries(d.db), []);
      assert.equal(await queued(), 0);
    });

    test("the service's role can neither read nor change the queue", async () => {
      await assert.rejects(sql`SELECT count(*) FROM posting_balance_check`.execute(d.db), /permission denied for table posting_balance_check/);
      await assert.rejects(sql`INSERT INTO posting_balance_check (entry_ids) VALUES ('{1}')`.execute(d.db), /permission denied for table posting_balance_check/);
      await assert.rejects(sql`DELETE FROM posting_balance_check`.execute(d.db), /permission denied for table posting_balance_check/);
    });
  });
