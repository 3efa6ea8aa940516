/**
 * A payments file over HTTP (POST /api/v1/imports/payments), on PGlite and on the PostgreSQL
 * server, over a seeded small town: good rows are recorded, bad and refused rows listed by line
 * with the field; the same file again records nothing twice; a header without the needed
 * columns is a 400 and writes nothing; a clerk's rows outside their area are refused; roles
 * without payments.write are refused.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { buildServer } from '../src/http/server.ts';
import { QuoteService } from '../src/quotes/quote-service.ts';
import { seedDemo } from '../src/sim/seed-demo.ts';
import { BACKENDS, freshDatabase, type TestDatabase } from './support/databases.ts';
import { listen, logIn, request } from './support/http.ts';
import { SYSTEM } from '../src/access/roles.ts';
import { AuthService } from '../src/access/auth.ts';

const quotes = QuoteService.load();
const csv = { 'content-type': 'text/csv' };

for (const backend of BACKENDS)
  describe(`payments file import on ${backend}`, () => {
    let d: TestDatabase;
    let app: FastifyInstance;
    let base: string;
    const tok: Record<string, string> = {};
    let open: { id: string; dueYuan: number; idNumber: string }[];

    before(async () => {
      d = await freshDatabase(backend);
      await seedDemo(d, quotes, { people: 150, maxEncounters: 0 });
      await new AuthService(d.db).createUser(SYSTEM, { username: 'elsewhere', displayName: '别村经办员', password: 'elsewhere-password', role: 'clerk', villages: ['500230100009'] });
      app = await buildServer(quotes, { database: d, console: false });
      base = await listen(app);
      for (const u of ['admin', 'policy', 'clerk']) tok[u] = await logIn(base, u, `demo-${u}-2022`);
      tok.elsewhere = await logIn(base, 'elsewhere', 'elsewhere-password');
      const rows = await d.db
        .selectFrom('enrollment as e')
        .innerJoin('person as p', 'p.id', 'e.person_id')
        .select(['e.id', 'e.due_fen', 'p.id_number'])
        .where('e.state', '=', 'assessed')
        .where('e.due_fen', '>', '0')
        .orderBy('e.id')
        .limit(3)
        .execute();
      open = rows.map((r) => ({ id: String(r.id), dueYuan: Number(r.due_fen) / 100, idNumber: r.id_number }));
      assert.equal(open.length, 3, 'three unpaid enrollments');
    });
    after(async () => {
      await app?.close();
      await d?.drop();
    });

    const payments = async () => (await d.db.selectFrom('payment').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow()).n;

    test('rows by line: recorded, bad, refused; again, nothing twice', async () => {
      const [a, b] = open;
      const file = [
        '流水号,渠道,身份证号,年度,金额,缴费日期',
        `IMP-1,线下,${a.idNumber},2022,${a.dueYuan.toFixed(2)},2022-02-10`,
        `IMP-2,线下,${b.idNumber},2022,abc,2022-02-10`,
        `IMP-3,线下,${b.idNumber},2022,${b.dueYuan.toFixed(2)},2023-09-01`,
        `IMP-4,线下,${b.idNumber},2021,${b.dueYuan.toFixed(2)},2022-02-10`,
      ].join('\n');
      const before = await payments();
      const r = await request(base, 'POST', '/api/v1/imports/payments', tok.clerk, file, csv);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual({ rows: r.json.rows, recorded: r.json.recorded, replayed: r.json.replayed, refused: r.json.refused, bad: r.json.bad }, { rows: 4, recorded: 1, replayed: 0, refused: 2, bad: 1 });
      assert.deepEqual(r.json.problems.map((p: { line: number; kind: string }) => [p.line, p.kind]), [[3, 'bad'], [4, 'refused'], [5, 'refused']]);
      assert.equal(r.json.problems[0].field, 'amountYuan');
      assert.ok(r.json.problems.every((p: { reason: string }) => !p.reason.includes(b.idNumber)), 'ID numbers masked in the report');
      assert.equal(await payments(), before + 1);
      const again = await request(base, 'POST', '/api/v1/imports/payments', tok.clerk, file, csv);
      assert.equal(again.json.recorded, 0);
      assert.equal(again.json.replayed, 1);
      assert.equal(await payments(), before + 1, 'nothing recorded twice');
    });

    test('a header without the needed columns is a 400 naming it, and writes nothing', async () => {
      const before = await payments();
      const r = await request(base, 'POST', '/api/v1/imports/payments', tok.admin, `身份证号,金额\n${open[2].idNumber},1\n`, csv);
      assert.equal(r.status, 400);
      assert.equal(r.json.field, 'header');
      assert.equal((await request(base, 'POST', '/api/v1/imports/payments', tok.admin, '', csv)).status, 400);
      assert.equal(await payments(), before);
    });

    test('a clerk cannot pay outside their area; roles without payments.write are refused', async () => {
      const c = open[2];
      const file = `流水号,渠道,参保登记号,金额,缴费日期\nIMP-9,线下,${c.id},${c.dueYuan.toFixed(2)},2022-02-10\n`;
      const r = await request(base, 'POST', '/api/v1/imports/payments', tok.elsewhere, file, csv);
      assert.equal(r.status, 200);
      assert.equal(r.json.recorded, 0);
      assert.equal(r.json.refused, 1);
      assert.equal(r.json.problems[0].field, 'scope');
      assert.equal((await request(base, 'POST', '/api/v1/imports/payments', tok.policy, file, csv)).status, 403);
      assert.equal((await request(base, 'POST', '/api/v1/imports/payments', undefined, file, csv)).status, 401);
    });
  });
