/**
 * Append-only in the database too (issue #11 item 12), on PGlite and on the server: the service's
 * statements run as yibao_app, which owns nothing. As that role, TRUNCATE, DISABLE TRIGGER,
 * UPDATE and DELETE fail on audit_log, posting, journal_entry and fund_transfer; a settlement's
 * amounts cannot be updated, only its reversal recorded, once; an accumulator's version only
 * moves up; neither is ever deleted. The owner meets the triggers too. On the server, an owner
 * that is no superuser gets a clear message until it is a member of the role, and a
 * DATABASE_APP_URL login runs the service without being able to take the owner's role.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { sql } from 'kysely';
import { APP_ROLE, openDatabase } from '../src/store/db.ts';
import { BACKENDS, freshDatabase, type TestDatabase } from './support/databases.ts';

const BOOKS = ['audit_log', 'posting', 'journal_entry', 'fund_transfer'] as const;

for (const backend of BACKENDS)
  describe(`the service's role on ${backend}`, () => {
    let d: TestDatabase;
    /** a statement as the service runs it (the pool runs as yibao_app) */
    const asService = (text: string, values: unknown[] = []) => d.pool.query(text, values);
    /** a statement as the owner: a connection of its own on the server; on PGlite's one session, RESET ROLE around it */
    let asOwner: (text: string, values?: unknown[]) => Promise<pg.QueryResult>;
    let owner: pg.Client | null = null;
    const ids: Record<string, string> = {};

    before(async () => {
      d = await freshDatabase(backend);
      if (backend === 'server') {
        owner = new pg.Client({ connectionString: d.where });
        await owner.connect();
        asOwner = (text, values = []) => owner!.query(text, values);
      } else
        asOwner = async (text, values = []) => {
          const c = await d.pool.connect();
          try {
            await c.query('RESET ROLE');
            return await c.query(text, values);
          } finally {
            await c.query(`SET ROLE ${APP_ROLE}`);
            c.release();
          }
        };
      // a settlement with its entry, an audit row, a fund transfer, an accumulator — written as the service
      await sql`INSERT INTO admin_area (code, name, level, parent_code, region) VALUES ('500230', '丰都县', 'county', NULL, '500230')`.execute(d.db);
      await sql`INSERT INTO hospital (code, name, level, region) VALUES ('H1', '丰都县人民医院', 'secondary', '500230')`.execute(d.db);
      ids.person = String((await asService(`INSERT INTO person (id_number, name, gender, birth_date, village_code, kind) VALUES ('500230198005010011', '王五', 'male', '1980-05-01', '500230', 'adult') RETURNING id`)).rows[0].id);
      ids.encounter = String(
        (
          await asService(
            `INSERT INTO encounter (hospital_code, person_id, coverage_year, type, date, total_fen, full_own_pay_fen, over_limit_fen, pre_self_pay_fen, in_scope_fen)
             VALUES ('H1', $1, 2022, 'inpatient', '2022-03-01', 10000, 0, 0, 0, 10000) RETURNING id`,
            [ids.person],
          )
        ).rows[0].id,
      );
      const settle = (basic: number) =>
        asService(
          `INSERT INTO settlement (encounter_id, person_id, hospital_code, coverage_year, basic_fund_fen, critical_illness_fen, medical_assistance_fen, cash_fen, total_fen, result, delta, settled_by)
           VALUES ($1, $2, 'H1', 2022, $3, 0, 0, $4, 10000, '{}', '{}', 'test') RETURNING id`,
          [ids.encounter, ids.person, basic, 10000 - basic],
        );
      ids.settlement = String((await settle(6000)).rows[0].id);
      await asService(`INSERT INTO accumulator (person_id, coverage_year, data) VALUES ($1, 2022, '{}')`, [ids.person]);
      const c = await d.pool.connect();
      try {
        await c.query('BEGIN');
        ids.entry = String((await c.query(`INSERT INTO journal_entry (memo, source, source_id) VALUES ('结算', 'settlement', $1) RETURNING id`, [ids.settlement])).rows[0].id);
        await c.query(`INSERT INTO posting (entry_id, account, amount_fen) VALUES ($1, 'basic_fund', 6000), ($1, 'payable_hospitals', -6000)`, [ids.entry]);
        await c.query(`INSERT INTO fund_transfer (reference, kind, coverage_year, amount_fen, entry_id, recorded_by) VALUES ('T1', 'critical_illness_allocation', 2022, 100, $1, 'test')`, [ids.entry]);
        await c.query(`INSERT INTO audit_log (actor, role, action, entity, entity_id) VALUES ('test', 'admin', 'settle', 'settlement', $1)`, [ids.settlement]);
        await c.query('COMMIT');
      } finally {
        c.release();
      }
    });
    after(async () => {
      await owner?.end();
      await d?.drop();
    });

    test('the pools run as yibao_app, which owns nothing and may create nothing', async () => {
      assert.equal(d.role, APP_ROLE);
      assert.equal((await asService('SELECT current_user AS u')).rows[0].u, APP_ROLE);
      assert.equal((await d.settlementPool.query('SELECT current_user AS u')).rows[0].u, APP_ROLE);
      const owned = await asService(`SELECT count(*)::int AS n FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner WHERE r.rolname = $1`, [APP_ROLE]);
      assert.equal(owned.rows[0].n, 0);
      await assert.rejects(asService('CREATE TABLE sneaky (x int)'), /permission denied for schema public/);
      await assert.rejects(asService('SELECT * FROM schema_migration'), /permission denied for table schema_migration/);
      const r = await asService(`SELECT rolcanlogin, rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = $1`, [APP_ROLE]);
      assert.deepEqual(r.rows[0], { rolcanlogin: false, rolsuper: false, rolcreaterole: false, rolcreatedb: false }, 'a NOLOGIN role without powers');
    });

    for (const table of BOOKS)
      test(`${table}: TRUNCATE, DISABLE TRIGGER, UPDATE and DELETE fail for the service's role; the owner meets the trigger`, async () => {
        await assert.rejects(asService(`TRUNCATE ${table} CASCADE`), new RegExp(`permission denied for table ${table}`));
        await assert.rejects(asService(`ALTER TABLE ${table} DISABLE TRIGGER ALL`), new RegExp(`must be owner of table ${table}`));
        await assert.rejects(asService(`ALTER TABLE ${table} DISABLE TRIGGER USER`), new RegExp(`must be owner of table ${table}`));
        await assert.rejects(asService(`UPDATE ${table} SET id = id`), new RegExp(`permission denied for table ${table}`));
        await assert.rejects(asService(`DELETE FROM ${table}`), new RegExp(`permission denied for table ${table}`));
        await assert.rejects(asService(`DROP TABLE ${table} CASCADE`), new RegExp(`must be owner of table ${table}`));
        // the owner: the append-only triggers, and no TRUNCATE either
        await assert.rejects(asOwner(`UPDATE ${table} SET id = id`), new RegExp(`${table} is append-only`));
        await assert.rejects(asOwner(`DELETE FROM ${table}`), new RegExp(`${table} is append-only`));
        await assert.rejects(asOwner(`TRUNCATE ${table} CASCADE`), /is append-only/);
        assert.ok(Number((await asService(`SELECT count(*) AS n FROM ${table}`)).rows[0].n) > 0, 'the rows are still there');
      });

    test('settlement: amounts never updated, reversal recorded once, never un-reversed, never deleted or truncated', async () => {
      const s = ids.settlement;
      for (const col of ['basic_fund_fen = 1', 'cash_fen = cash_fen', 'person_id = person_id', 'result = result', 'settled_by = $2'])
        await assert.rejects(asService(`UPDATE settlement SET ${col} WHERE id = $1`, col.includes('$2') ? [s, 'forged'] : [s]), /permission denied for table settlement/, col);
      await assert.rejects(asService('DELETE FROM settlement WHERE id = $1', [s]), /permission denied for table settlement/);
      await assert.rejects(asService('TRUNCATE settlement CASCADE'), /permission denied for table settlement/);
      await assert.rejects(asService('ALTER TABLE settlement DISABLE TRIGGER ALL'), /must be owner of table settlement/);
      // the owner meets the trigger: amounts never change, no DELETE
      await assert.rejects(asOwner('UPDATE settlement SET basic_fund_fen = 1, cash_fen = 9999 WHERE id = $1', [s]), /only its reversal may be recorded/);
      await assert.rejects(asOwner('DELETE FROM settlement WHERE id = $1', [s]), /settlement is append-only/);
      // a change that is not a reversal
      await assert.rejects(asService('UPDATE settlement SET reversed_by = $2 WHERE id = $1', [s, 'x']), /a change of a settlement records its reversal/);
      // the reversal, as reversal.ts records it
      const at = new Date('2022-03-02T08:00:00Z');
      const r = await asService('UPDATE settlement SET reversed_at = $2, reversed_by = $3 WHERE id = $1', [s, at, 'hospa']);
      assert.equal(r.rowCount, 1);
      // twice, or un-reversed, or another reverser: refused
      await assert.rejects(asService('UPDATE settlement SET reversed_at = now() WHERE id = $1', [s]), /already reversed \(reversed_at is set once\)/);
      await assert.rejects(asService('UPDATE settlement SET reversed_at = NULL, reversed_by = NULL WHERE id = $1', [s]), /a reversal cannot be undone/);
      await assert.rejects(asService('UPDATE settlement SET reversed_by = $2 WHERE id = $1', [s, 'someone else']), /already reversed \(reversed_by is set once\)/);
      await assert.rejects(asOwner('UPDATE settlement SET reversed_at = NULL WHERE id = $1', [s]), /a reversal cannot be undone/);
      const row = (await asService('SELECT reversed_at, reversed_by, basic_fund_fen FROM settlement WHERE id = $1', [s])).rows[0];
      assert.equal(new Date(row.reversed_at).getTime(), at.getTime());
      assert.equal(row.reversed_by, 'hospa');
      assert.equal(Number(row.basic_fund_fen), 6000);
    });

    test('accumulator: only data and version change, the version only up; never deleted', async () => {
      const p = ids.person;
      const v0 = Number((await asService('SELECT version FROM accumulator WHERE person_id = $1 AND coverage_year = 2022', [p])).rows[0].version);
      await assert.rejects(asService(`UPDATE accumulator SET data = '{"basicPaid": 1}' WHERE person_id = $1`, [p]), /every change moves its version up/);
      await assert.rejects(asService('UPDATE accumulator SET version = version - 1 WHERE person_id = $1', [p]), /every change moves its version up/);
      await assert.rejects(asService('UPDATE accumulator SET coverage_year = 2023, version = version + 1 WHERE person_id = $1', [p]), /permission denied for table accumulator/);
      await assert.rejects(asService('DELETE FROM accumulator WHERE person_id = $1', [p]), /permission denied for table accumulator/);
      await assert.rejects(asService('TRUNCATE accumulator CASCADE'), /permission denied for table accumulator/);
      await assert.rejects(asService('ALTER TABLE accumulator DISABLE TRIGGER ALL'), /must be owner of table accumulator/);
      await assert.rejects(asOwner('UPDATE accumulator SET version = 0 WHERE person_id = $1', [p]), /every change moves its version up/);
      // as settlement-store.ts moves it: by one, and a batch by its settlements
      await asService(`UPDATE accumulator SET data = '{"basicPaid": 6000}', version = version + 1 WHERE person_id = $1 AND version = $2`, [p, v0]);
      await asService(`UPDATE accumulator SET data = '{"basicPaid": 9000}', version = version + 3 WHERE person_id = $1`, [p]);
      assert.equal(Number((await asService('SELECT version FROM accumulator WHERE person_id = $1', [p])).rows[0].version), v0 + 4);
    });

    if (backend === 'server') {
      test('an owner that is no superuser: told clearly until it is a member of yibao_app, then the service runs as the role', async (t) => {
        const tag = randomBytes(3).toString('hex');
        const ownerRole = `yibao_t_owner_${tag}`;
        const dbName = `yibao_t_owned_${process.pid}_${tag}`;
        const admin = new pg.Client({ connectionString: d.where });
        await admin.connect();
        t.after(async () => {
          await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
          await admin.query(`DROP ROLE IF EXISTS ${ownerRole}`);
          await admin.end();
        });
        await admin.query(`CREATE ROLE ${ownerRole} LOGIN NOSUPERUSER NOCREATEROLE`);
        await admin.query(`CREATE DATABASE ${dbName} OWNER ${ownerRole}`);
        const u = new URL(d.where);
        u.username = ownerRole;
        u.pathname = `/${dbName}`;
        await assert.rejects(openDatabase({ url: u.toString() }), /migration 012_app_role\.sql failed: the database owner yibao_t_owner_\w+ is not a member of the role yibao_app and may not make itself one/);
        await admin.query(`GRANT ${APP_ROLE} TO ${ownerRole}`);
        const owned = await openDatabase({ url: u.toString() });
        try {
          assert.equal((await owned.pool.query('SELECT current_user AS u, session_user AS s')).rows[0].u, APP_ROLE);
          await assert.rejects(owned.pool.query('TRUNCATE audit_log'), /permission denied for table audit_log/);
        } finally {
          await owned.close();
        }
      });

      test('DATABASE_APP_URL: the pools log in as a member of yibao_app, which cannot take the owner’s role', async (t) => {
        const login = `yibao_t_login_${randomBytes(3).toString('hex')}`;
        const admin = new pg.Client({ connectionString: d.where });
        await admin.connect();
        t.after(async () => {
          await admin.query(`DROP OWNED BY ${login}`).catch(() => {});
          await admin.query(`DROP ROLE IF EXISTS ${login}`);
          await admin.end();
        });
        const ownerName = (await admin.query('SELECT current_user AS u')).rows[0].u as string;
        const appUrl = new URL(d.where);
        appUrl.username = login;
        // not a member yet
        await admin.query(`CREATE ROLE ${login} LOGIN`);
        await assert.rejects(openDatabase({ url: d.where, appUrl: appUrl.toString() }), new RegExp(`the DATABASE_APP_URL login ${login} is not a member of the role yibao_app`));
        await admin.query(`GRANT ${APP_ROLE} TO ${login}`);
        const svc = await openDatabase({ url: d.where, appUrl: appUrl.toString() });
        try {
          assert.equal(svc.role, login);
          assert.equal((await svc.pool.query('SELECT current_user AS u')).rows[0].u, login);
          assert.equal((await svc.pool.query('SELECT count(*)::int AS n FROM audit_log')).rows[0].n > 0, true, 'it reads through the role');
          await svc.pool.query(`INSERT INTO audit_log (actor, role, action, entity) VALUES ('x', 'admin', 'test', 'test')`);
          await assert.rejects(svc.pool.query('TRUNCATE audit_log'), /permission denied for table audit_log/);
          await assert.rejects(svc.pool.query(`SET ROLE ${ownerName}`), /permission denied to set role/);
          await assert.rejects(svc.settlementPool.query('DELETE FROM posting'), /permission denied for table posting/);
        } finally {
          await svc.close();
        }
      });
    }
  });
