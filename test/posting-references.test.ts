/**
 * The postings' references as migration 042 checks them (per statement instead of the foreign
 * keys' per row), on PGlite and on the PostgreSQL server: a posting naming an account or a
 * journal entry that does not exist is refused with the foreign key's SQLSTATE, constraint and
 * detail, among good rows of the same statement, and nothing of the transaction stays; postings
 * of an entry committed earlier and of one written in the same transaction are accepted; an
 * account or a journal entry a posting refers to cannot be deleted or renamed, nor the accounts
 * truncated, even by the owner once the append-only triggers are out of the way.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { ACCOUNTS, post, postMany } from '../src/ledger/ledger.ts';
import { BACKENDS, freshDatabase, type TestDatabase } from './support/databases.ts';

for (const backend of BACKENDS)
  describe(`the postings' references per statement on ${backend}`, () => {
    let d: TestDatabase;
    before(async () => {
      d = await freshDatabase(backend);
    });
    after(async () => {
      await d?.drop();
    });
    const count = async (memo: string): Promise<number> => (await d.db.selectFrom('journal_entry').select('id').where('memo', 'like', `${memo}%`).execute()).length;
    const fkError = (constraint: string, detail: RegExp) => (e: Error & { code?: string; constraint?: string; detail?: string }) =>
      e.code === '23503' && e.constraint === constraint && detail.test(e.detail ?? '') && new RegExp(constraint).test(e.message);

    test('an unknown account among good postings of one statement: 23503 posting_account_fkey, nothing kept', async () => {
      await assert.rejects(
        d.db.transaction().execute((tx) =>
          postMany(tx, [
            { memo: 'ref-a: good', source: 'test', sourceId: null, lines: [{ account: ACCOUNTS.contributionsReceived, fen: 100 }, { account: ACCOUNTS.basicFund, fen: -100 }] },
            { memo: 'ref-a: bad', source: 'test', sourceId: null, lines: [{ account: 'no_such_account', fen: 100 }, { account: ACCOUNTS.basicFund, fen: -100 }] },
          ]),
        ),
        fkError('posting_account_fkey', /Key \(account\)=\(no_such_account\) is not present in table "account"/),
      );
      assert.equal(await count('ref-a:'), 0);
    });

    test('an unknown journal entry: 23503 posting_entry_id_fkey', async () => {
      await assert.rejects(
        d.db.transaction().execute((tx) => sql`INSERT INTO posting (entry_id, account, amount_fen) VALUES (987654321, 'basic_fund', 5), (987654321, 'contributions_received', -5)`.execute(tx)),
        fkError('posting_entry_id_fkey', /Key \(entry_id\)=\(987654321\) is not present in table "journal_entry"/),
      );
    });

    test('postings of an entry committed earlier, and of one of the same transaction, are accepted', async () => {
      const id = await d.db.transaction().execute(async (tx) => {
        const e = await tx.insertInto('journal_entry').values({ memo: 'ref-b: two statements', source: 'test', source_id: null }).returning('id').executeTakeFirstOrThrow();
        return String(e.id);
      });
      // an entry committed without postings (the schema allows it: the balance check counts postings), its postings later
      await d.db.transaction().execute((tx) => sql`INSERT INTO posting (entry_id, account, amount_fen) VALUES (${id}::bigint, 'basic_fund', 7), (${id}::bigint, 'contributions_received', -7)`.execute(tx));
      const same = await d.db.transaction().execute((tx) => post(tx, 'ref-b: one transaction', 'test', null, [{ account: ACCOUNTS.basicFund, fen: 9 }, { account: ACCOUNTS.contributionsReceived, fen: -9 }]));
      const n = await d.db.selectFrom('posting').select('id').where('entry_id', 'in', [id, same!]).execute();
      assert.equal(n.length, 4);
    });

    test('a referenced account or entry cannot go, even for the owner; TRUNCATE account is refused', async () => {
      const id = await d.db.transaction().execute((tx) => post(tx, 'ref-c', 'test', null, [{ account: ACCOUNTS.basicFund, fen: 3 }, { account: ACCOUNTS.contributionsReceived, fen: -3 }]));
      // the append-only triggers refuse first; with them out of the way (ALTER TABLE … DISABLE TRIGGER, as an owner could),
      // the reference check still refuses
      const withoutAppendOnly = (q: ReturnType<typeof sql>) =>
        d.db.transaction().execute(async (tx) => {
          await sql`SET LOCAL ROLE NONE`.execute(tx);
          await sql`ALTER TABLE journal_entry DISABLE TRIGGER journal_entry_append_only`.execute(tx);
          return q.execute(tx);
        });
      await assert.rejects(withoutAppendOnly(sql`DELETE FROM journal_entry WHERE id = ${id}::bigint`), fkError('posting_entry_id_fkey', /Key \(id\)=\(\d+\) is still referenced from table "posting"/));
      await assert.rejects(withoutAppendOnly(sql`UPDATE journal_entry SET id = -id WHERE id = ${id}::bigint`), fkError('posting_entry_id_fkey', /still referenced/));
      const asTheOwner = (q: ReturnType<typeof sql>) =>
        d.db.transaction().execute(async (tx) => {
          await sql`SET LOCAL ROLE NONE`.execute(tx);
          return q.execute(tx);
        });
      await assert.rejects(asTheOwner(sql`DELETE FROM account WHERE code = 'basic_fund'`), fkError('posting_account_fkey', /Key \(code\)=\(basic_fund\) is still referenced/));
      await assert.rejects(asTheOwner(sql`UPDATE account SET code = 'basic_fund_renamed' WHERE code = 'basic_fund'`), fkError('posting_account_fkey', /still referenced/));
      await assert.rejects(asTheOwner(sql`TRUNCATE account CASCADE`));
      assert.ok((await d.db.selectFrom('account').select('code').execute()).length > 0, 'the accounts are still there');
      // an account no posting names may still be removed by the owner
      await asTheOwner(sql`INSERT INTO account (code, name, kind) SELECT 'ref_c_spare', 'spare', kind FROM account WHERE code = 'basic_fund'`);
      await asTheOwner(sql`DELETE FROM account WHERE code = 'ref_c_spare'`);
      assert.equal((await d.db.selectFrom('posting').select('id').where('entry_id', '=', id!).execute()).length, 2);
    });
  });
