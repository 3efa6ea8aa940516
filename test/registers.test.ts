/**
 * Over 500 lines, on purpose: one suite per backend over one seeded register (imports build on each other).
 *
 * The registers over real HTTP on both databases: areas, households, persons with history
 * and optimistic concurrency, needy statuses, imports (CSV and XLSX) with error reports and
 * idempotent re-import, roles and clerks' villages, masking, the audit log; and the CLI.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../src/http/server.ts';
import { QuoteService } from '../src/quotes/quote-service.ts';
import { AuthService } from '../src/access/auth.ts';
import { SYSTEM } from '../src/access/roles.ts';
import { makeIdNumber } from '../src/registers/id-number.ts';
import { XLSX_MIME } from '../src/sheets.ts';
import { openDatabase } from '../src/store/db.ts';
import type { Kysely } from 'kysely';
import type { DB } from '../src/store/schema.ts';
import { BACKENDS, freshDatabase, type TestDatabase } from './support/databases.ts';
import { listen, logIn, request } from './support/http.ts';

const quotes = QuoteService.load();
const bin = join(import.meta.dirname, '..', 'bin', 'yibao.js');

const AREAS = [
  { code: '500230', name: '丰都县', level: 'county', parent_code: null },
  { code: '500230100', name: '兴义镇', level: 'township', parent_code: '500230' },
  { code: '500230101', name: '包鸾镇', level: 'township', parent_code: '500230' },
  { code: '500230100001', name: '杨柳村', level: 'village', parent_code: '500230100' },
  { code: '500230100002', name: '红岩村', level: 'village', parent_code: '500230100' },
  { code: '500230101001', name: '飞仙洞村', level: 'village', parent_code: '500230101' },
  { code: '500230101002', name: '杨柳村', level: 'village', parent_code: '500230101' },
] as const;

async function seedAreas(db: Kysely<DB>): Promise<void> {
  await db
    .insertInto('admin_area')
    .values(AREAS.map((a) => ({ ...a, region: '500230' })))
    .execute();
}

const id = (birth: string, seq: number): string => makeIdNumber('500230', birth, seq);
const wrongCheck = (v: string): string => v.slice(0, 17) + (v[17] === '0' ? '1' : '0');
const body = (b: Buffer): ArrayBuffer => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

for (const backend of BACKENDS)
  describe(`registers on ${backend}`, () => {
    let d: TestDatabase;
    let app: FastifyInstance;
    let base: string;
    const tokens: Record<string, string> = {};

    before(async () => {
      d = await freshDatabase(backend);
      await seedAreas(d.db);
      await d.db.insertInto('hospital').values({ code: 'H001', name: '丰都县人民医院', level: 'secondary', region: '500230' }).execute();
      const auth = new AuthService(d.db);
      const users = [
        { username: 'admin', role: 'admin' },
        { username: 'officer', role: 'policy_officer' },
        { username: 'clerk1', role: 'clerk', villages: ['500230100'] }, // the township 兴义镇
        { username: 'clerk2', role: 'clerk', villages: ['500230101001'] }, // one village of 包鸾镇
        { username: 'auditor', role: 'auditor' },
        { username: 'h001', role: 'hospital', hospitalCode: 'H001' },
      ] as const;
      for (const u of users) await auth.createUser(SYSTEM, { displayName: u.username, password: `${u.username}-password-1`, ...u } as Parameters<AuthService['createUser']>[1]);
      app = await buildServer(quotes, { database: d });
      base = await listen(app);
      for (const u of users) tokens[u.username] = await logIn(base, u.username, `${u.username}-password-1`);
    });
    after(async () => {
      await app?.close();
      await d?.drop();
    });

    const call = (method: string, path: string, who?: string, payload?: unknown, headers?: Record<string, string>) =>
      request(base, method, path, who ? (tokens[who] ?? who) : undefined, payload, headers);
    const csv = (kind: 'persons' | 'statuses', text: string, who: string, fileName = `${kind}.csv`, headers: Record<string, string> = {}) =>
      call('POST', `/api/v1/imports/${kind}?fileName=${encodeURIComponent(fileName)}`, who, text, { 'content-type': 'text/csv; charset=utf-8', ...headers });
    const count = async (table: 'register_history' | 'audit_log' | 'person' | 'needy_status' | 'household' | 'import_batch') => Number((await d.db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);

    test('areas: codes by level, the parent one level up must exist; clerks see their own', async () => {
      const ok = await call('POST', '/api/v1/areas', 'admin', { code: '500230100003', name: '新建村' });
      assert.equal(ok.status, 201, ok.text);
      assert.equal(ok.json.level, 'village');
      assert.equal(ok.json.parentCode, '500230100');
      assert.equal(ok.json.region, '500230');
      const noParent = await call('POST', '/api/v1/areas', 'admin', { code: '500230199001', name: '无镇村' });
      assert.equal(noParent.status, 400);
      assert.equal(noParent.json.field, 'code');
      assert.match(noParent.json.message, /500230199 is not registered/);
      assert.equal((await call('POST', '/api/v1/areas', 'admin', { code: '5002301', name: 'x' })).json.field, 'code');
      assert.equal((await call('POST', '/api/v1/areas', 'admin', { code: '500230100004', name: 'x', parentCode: '500230101' })).json.field, 'parentCode');
      assert.equal((await call('POST', '/api/v1/areas', 'admin', { code: '500230100003', name: 'again' })).status, 409);
      assert.equal((await call('POST', '/api/v1/areas', 'clerk1', { code: '500230101003', name: '别镇村' })).status, 403);
      assert.equal((await call('POST', '/api/v1/areas', 'auditor', { code: '500230100005', name: 'x' })).status, 403);
      const mine = await call('GET', '/api/v1/areas', 'clerk2');
      assert.equal(mine.status, 200);
      assert.deepEqual(
        mine.json.map((a: { code: string }) => a.code),
        ['500230', '500230101', '500230101001'],
      );
      const under = await call('GET', '/api/v1/areas?parent=500230100', 'officer');
      assert.deepEqual(
        under.json.map((a: { code: string }) => a.code),
        ['500230100001', '500230100002', '500230100003'],
      );
      assert.equal((await call('GET', '/api/v1/areas', 'h001')).status, 403);
      const hist = await d.db.selectFrom('register_history').selectAll().where('entity', '=', 'admin_area').execute();
      assert.equal(hist.length, 1);
      assert.equal(hist[0].changed_by, 'admin');
    });

    test('households: a village’s numbers are unique; clerks only in their villages', async () => {
      const h = await call('POST', '/api/v1/households', 'clerk1', { villageCode: '500230100002', houseNo: 'H-7', address: '红岩村3组' });
      assert.equal(h.status, 201, h.text);
      assert.equal((await call('POST', '/api/v1/households', 'clerk1', { villageCode: '500230100002', houseNo: 'H-7' })).status, 409);
      assert.equal((await call('POST', '/api/v1/households', 'clerk1', { villageCode: '500230101001', houseNo: 'H-7' })).status, 403);
      const bad = await call('POST', '/api/v1/households', 'admin', { villageCode: '500230100', houseNo: 'H-1' });
      assert.equal(bad.status, 400);
      assert.equal(bad.json.field, 'villageCode');
    });

    test('persons: ID validated; every change keeps before / after; a stale version is 409', async () => {
      const zhang = id('1980-05-01', 123);
      const bad = await call('POST', '/api/v1/persons', 'admin', { idNumber: wrongCheck(zhang), name: '张三', villageCode: '500230100001', kind: 'adult' });
      assert.equal(bad.status, 400);
      assert.equal(bad.json.field, 'idNumber');
      assert.match(bad.json.message, /check character/);
      const mismatch = await call('POST', '/api/v1/persons', 'admin', { idNumber: zhang, name: '张三', birthDate: '1980-05-02', villageCode: '500230100001', kind: 'adult' });
      assert.equal(mismatch.json.field, 'birthDate');
      assert.equal((await call('POST', '/api/v1/persons', 'admin', { idNumber: zhang, name: '张三', gender: '女', villageCode: '500230100001', kind: 'adult' })).json.field, 'gender');
      assert.equal((await call('POST', '/api/v1/persons', 'admin', { idNumber: zhang, name: '张三', villageCode: '500230100001', kind: 'alien' })).json.field, 'kind');
      assert.equal((await call('POST', '/api/v1/persons', 'admin', { idNumber: zhang, name: '张三', villageCode: '500230100001' })).json.field, 'kind');

      const created = await call('POST', '/api/v1/persons', 'clerk1', { idNumber: zhang, name: '张三', villageCode: '500230100001', houseNo: '0001', kind: '成年居民' });
      assert.equal(created.status, 201, created.text);
      const p = created.json;
      assert.equal(p.gender, 'male');
      assert.equal(p.birthDate, '1980-05-01');
      assert.equal(p.kind, 'adult');
      assert.equal(p.version, 1);
      assert.ok(p.householdId);
      assert.equal((await call('POST', '/api/v1/persons', 'admin', { idNumber: zhang, name: '张三', villageCode: '500230100001', kind: 'adult' })).status, 409);

      const v2 = await call('PATCH', `/api/v1/persons/${p.id}`, 'clerk1', { version: 1, name: '张三丰', graduationYear: 2001 });
      assert.equal(v2.status, 200, v2.text);
      assert.equal(v2.json.version, 2);
      assert.deepEqual(v2.json.changed.sort(), ['graduation_year', 'name']);
      const stale = await call('PATCH', `/api/v1/persons/${p.id}`, 'admin', { version: 1, name: '张叁' });
      assert.equal(stale.status, 409);
      assert.equal(stale.json.error, 'stale_version');
      assert.equal((await call('PATCH', `/api/v1/persons/${p.id}`, 'admin', { name: '张叁' })).json.field, 'version');
      const same = await call('PATCH', `/api/v1/persons/${p.id}`, 'admin', { version: 2, name: '张三丰' });
      assert.equal(same.json.version, 2, 'no change, no new version');
      assert.equal((await call('PATCH', '/api/v1/persons/999999', 'admin', { version: 1 })).status, 404);

      const hist = await call('GET', `/api/v1/persons/${p.id}/history`, 'auditor');
      assert.equal(hist.status, 200);
      assert.equal(hist.json.length, 2, 'created, then changed once');
      const [c, u] = hist.json;
      assert.equal(c.before, null);
      assert.equal(c.after.name, '张三');
      assert.equal(c.changedBy, 'clerk1');
      assert.equal(u.before.name, '张三');
      assert.equal(u.after.name, '张三丰');
      assert.equal(u.before.version, 1);
      assert.equal(u.after.version, 2);
      assert.ok(!Number.isNaN(Date.parse(u.changedAt)));

      // moving to another township's village: clerk1 may not
      assert.equal((await call('PATCH', `/api/v1/persons/${p.id}`, 'clerk1', { version: 2, villageCode: '500230101001' })).status, 403);
      const moved = await call('PATCH', `/api/v1/persons/${p.id}`, 'admin', { version: 2, villageCode: '500230100002' });
      assert.equal(moved.json.householdId, null, 'a household belongs to one village');

      const log = await d.db.selectFrom('audit_log').selectAll().where('entity', '=', 'person').where('entity_id', '=', p.id).orderBy('id').execute();
      assert.deepEqual(log.map((l) => l.action), ['create', 'update', 'update']);
      assert.equal(log[0].actor, 'clerk1');
      const text = JSON.stringify(log);
      assert.ok(!text.includes(zhang) && !text.includes('张三丰'), 'the audit log masks ID numbers and names');
    });

    test('roles and villages: clerks only their own; auditors and policy officers read; hospitals nothing', async () => {
      const li = id('1990-02-03', 124);
      const outside = await call('POST', '/api/v1/persons', 'clerk2', { idNumber: li, name: '李四', villageCode: '500230101001', kind: 'adult' });
      assert.equal(outside.status, 201, outside.text);
      const pid = outside.json.id;
      assert.equal((await call('POST', '/api/v1/persons', 'clerk1', { idNumber: id('1991-02-03', 126), name: '王五', villageCode: '500230101001', kind: 'adult' })).status, 403);
      assert.equal((await call('GET', `/api/v1/persons/${pid}`, 'clerk1')).status, 403);
      assert.equal((await call('GET', `/api/v1/persons/${pid}/history`, 'clerk1')).status, 403);
      assert.equal((await call('PATCH', `/api/v1/persons/${pid}`, 'clerk1', { version: 1, name: '李斯' })).status, 403);
      assert.equal((await call('POST', `/api/v1/persons/${pid}/statuses`, 'clerk1', { status: 'dibao', validFrom: '2022-01-01' })).status, 403);
      assert.equal((await call('GET', '/api/v1/persons?village=500230101001', 'clerk1')).status, 403);
      const clerkList = await call('GET', '/api/v1/persons', 'clerk1');
      assert.ok(clerkList.json.items.every((i: { villageCode: string }) => i.villageCode.startsWith('500230100')));
      const county = await call('GET', '/api/v1/persons?village=500230', 'clerk1');
      assert.equal(county.status, 200, 'a clerk may ask for the county and sees only their part of it');
      assert.ok(county.json.items.every((i: { villageCode: string }) => i.villageCode.startsWith('500230100')));

      for (const who of ['auditor', 'officer']) {
        assert.equal((await call('GET', `/api/v1/persons/${pid}`, who)).status, 200);
        assert.equal((await call('GET', '/api/v1/persons?village=500230101001', who)).status, 200);
        assert.equal((await call('POST', '/api/v1/persons', who, { idNumber: id('1992-02-03', 128), name: '赵六', villageCode: '500230101001', kind: 'adult' })).status, 403);
        assert.equal((await call('PATCH', `/api/v1/persons/${pid}`, who, { version: 1, name: '李斯' })).status, 403);
        assert.equal((await call('POST', `/api/v1/persons/${pid}/statuses`, who, { status: 'dibao', validFrom: '2022-01-01' })).status, 403);
        assert.equal((await call('POST', '/api/v1/households', who, { villageCode: '500230101001', houseNo: '9' })).status, 403);
        assert.equal((await csv('persons', '身份证号,姓名,村(居)代码,人员类别\n', who)).status, 403);
      }
      for (const path of ['/api/v1/persons', `/api/v1/persons/${pid}`, `/api/v1/persons/${pid}/history`, `/api/v1/persons/${pid}/statuses?on=2022-01-01`])
        assert.equal((await call('GET', path, 'h001')).status, 403, path);
      assert.equal((await call('GET', '/api/v1/persons')).status, 401);
      assert.equal((await csv('persons', '身份证号\n', 'nobody')).status, 401);
    });

    test('list views mask ID numbers and names; the detail shows them to users in scope', async () => {
      const wang = id('1975-07-08', 321);
      const c = await call('POST', '/api/v1/persons', 'admin', { idNumber: wang, name: '欧阳小明', villageCode: '500230100002', kind: 'adult' });
      assert.equal(c.status, 201);
      const list = await call('GET', `/api/v1/persons?village=500230100002&pageSize=500`, 'clerk1');
      assert.equal(list.status, 200);
      const item = list.json.items.find((i: { id: string }) => i.id === c.json.id);
      assert.equal(item.idNumber, `500230********${wang.slice(-4)}`);
      assert.equal(item.name, '欧**明');
      assert.ok(!list.text.includes(wang) && !list.text.includes('欧阳小明'));
      const found = await call('GET', `/api/v1/persons?idNumber=${wang}`, 'officer');
      assert.equal(found.json.total, 1);
      const detail = await call('GET', `/api/v1/persons/${c.json.id}`, 'clerk1');
      assert.equal(detail.json.idNumber, wang);
      assert.equal(detail.json.name, '欧阳小明');
      assert.equal(detail.json.villageName, '红岩村');
      const paged = await call('GET', '/api/v1/persons?village=500230&pageSize=1&page=2', 'admin');
      assert.equal(paged.json.items.length, 1);
      assert.ok(paged.json.total >= 3);
      assert.equal((await call('GET', '/api/v1/persons?pageSize=5000', 'admin')).json.field, 'pageSize');
      assert.equal((await call('GET', '/api/v1/persons?village=12', 'admin')).json.field, 'village');
    });

    test('needy statuses: source and validity; the statuses valid on a date', async () => {
      const c = await call('POST', '/api/v1/persons', 'clerk1', { idNumber: id('1950-03-04', 5), name: '孙七', villageCode: '500230100001', kind: 'adult' });
      const pid = c.json.id;
      const s1 = await call('POST', `/api/v1/persons/${pid}/statuses`, 'clerk1', { status: '低保对象', source: '民政局', validFrom: '2022-01-01', validTo: '2022-12-31', reference: '丰民发〔2022〕1号' });
      assert.equal(s1.status, 201, s1.text);
      assert.equal(s1.json.status.source, 'civil_affairs');
      const s2 = await call('POST', `/api/v1/persons/${pid}/statuses`, 'clerk1', { status: 'unstable_exited', validFrom: '2022/7/1' });
      assert.equal(s2.json.status.source, 'rural_revitalization', 'the usual department by default');
      assert.equal((await call('POST', `/api/v1/persons/${pid}/statuses`, 'clerk1', { status: 'rich', validFrom: '2022-01-01' })).json.field, 'status');
      assert.equal((await call('POST', `/api/v1/persons/${pid}/statuses`, 'clerk1', { status: 'dibao', validFrom: '2022-05-01', validTo: '2022-04-01' })).json.field, 'validTo');
      assert.equal((await call('POST', `/api/v1/persons/${pid}/statuses`, 'clerk1', { status: 'dibao', source: '税务局', validFrom: '2022-05-01' })).json.field, 'source');
      const again = await call('POST', `/api/v1/persons/${pid}/statuses`, 'clerk1', { status: 'dibao', source: 'civil_affairs', validFrom: '2022-01-01', validTo: '2023-06-30', reference: '丰民发〔2022〕1号' });
      assert.equal(again.status, 200);
      assert.equal(again.json.change, 'updated');
      const on = await call('GET', `/api/v1/persons/${pid}/statuses?on=2022-08-01`, 'auditor');
      assert.deepEqual(on.json.statuses, ['dibao', 'monitored', 'unstable_exited']);
      const early = await call('GET', `/api/v1/persons/${pid}/statuses?on=2022-03-01`, 'auditor');
      assert.deepEqual(early.json.statuses, ['dibao']);
      const late = await call('GET', `/api/v1/persons/${pid}/statuses?on=2023-07-01`, 'auditor');
      assert.deepEqual(late.json.statuses, ['monitored', 'unstable_exited']);
      assert.equal((await call('GET', `/api/v1/persons/${pid}/statuses?on=soon`, 'auditor')).json.field, 'on');
      const hist = await call('GET', `/api/v1/persons/${pid}/history`, 'clerk1');
      const ends = hist.json.filter((h: { entity: string; before: unknown }) => h.entity === 'needy_status' && h.before);
      assert.equal(ends.length, 1);
      assert.equal(ends[0].before.valid_to, '2022-12-31');
      assert.equal(ends[0].after.valid_to, '2023-06-30');
    });

    test('import persons (CSV): valid rows in, bad rows reported by line and field; the same file again changes nothing', async () => {
      const a = id('1985-01-02', 11);
      const b = id('2010-09-10', 22);
      const c = id('2004-03-04', 34);
      const file = [
        '序号,身份证号,姓名,性别,出生日期,村(居)代码,户号,人员类别,毕业年份',
        `1,${a},周八,男,1985-01-02,500230100001,0101,成年居民,`,
        `2,${b},吴九,,,500230100001,0101,学生、儿童,`,
        `3,${c},郑十,女,2004/3/4,500230100002,0102,大学生,2026`,
        `4,${wrongCheck(id('1970-01-01', 44))},冯一,,,500230100001,0103,成年居民,`,
        `5,${id('1971-01-01', 55)},陈二,,1971-01-02,500230100001,0103,成年居民,`,
        `6,${id('1972-01-01', 66)},褚三,,,500230199001,0103,成年居民,`,
        `7,${id('1973-01-01', 77)},卫四,,,500230101001,0104,成年居民,`,
        `8,${id('1974-01-01', 88)},蒋五,,,500230100001,0105,外星人,`,
        `9,${a},周八,男,1985-01-02,500230100001,0101,成年居民,`,
      ].join('\n');
      const r = await csv('persons', file, 'clerk1', '兴义镇人员.csv');
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.rows, 9);
      assert.equal(r.json.inserted, 3);
      assert.equal(r.json.bad, 6);
      const where = r.json.problems.map((p: { line: number; field: string }) => `${p.line}:${p.field}`);
      assert.deepEqual(where, ['5:身份证号', '6:出生日期', '7:村(居)代码', '8:村(居)代码', '9:人员类别', '10:身份证号']);
      assert.match(r.json.problems[1].reason, /the ID number says 1971-01-01/);
      assert.match(r.json.problems[3].reason, /outside clerk1's area/);
      assert.match(r.json.problems[5].reason, /repeats line 2/);
      const report = r.json.errorReport.trim().split('\n');
      assert.equal(report[0], 'line,field,reason,idNumber');
      assert.match(report[1], /^5,身份证号,.*check character.*,500230\*{8}\d{3}[\dX]$/);
      assert.ok(!r.text.includes(id('1971-01-01', 55)), 'the report masks ID numbers');
      const batch = await d.db.selectFrom('import_batch').selectAll().where('id', '=', r.json.batchId).executeTakeFirstOrThrow();
      assert.equal(batch.file_name, '兴义镇人员.csv');
      assert.match(batch.file_sha256, /^[0-9a-f]{64}$/);
      assert.equal(batch.created_by, 'clerk1');
      assert.deepEqual([batch.rows_total, batch.rows_ok, batch.rows_bad, batch.rows_unchanged], [9, 3, 6, 0]);
      const zheng = await d.db.selectFrom('person').selectAll().where('id_number', '=', c).executeTakeFirstOrThrow();
      assert.equal(zheng.gender, 'female');
      assert.equal(zheng.kind, 'college_student');
      assert.equal(zheng.graduation_year, 2026);
      const [ha, hb] = await Promise.all([a, b].map((x) => d.db.selectFrom('person').select('household_id').where('id_number', '=', x).executeTakeFirstOrThrow()));
      assert.equal(ha.household_id, hb.household_id, 'one household 0101');

      const history = await count('register_history');
      const persons = await count('person');
      const again = await csv('persons', file, 'clerk1', '兴义镇人员.csv');
      assert.equal(again.status, 200);
      assert.deepEqual([again.json.inserted, again.json.updated, again.json.unchanged, again.json.changed, again.json.bad], [0, 0, 3, 0, 6]);
      assert.equal(again.json.previousImports[0].batchId, r.json.batchId);
      assert.equal(again.json.sha256, r.json.sha256);
      assert.equal(await count('register_history'), history, 're-import writes no history');
      assert.equal(await count('person'), persons);
      const changesLogged = await d.db.selectFrom('audit_log').select('action').where('entity', '=', 'import_batch').where('entity_id', '=', again.json.batchId).execute();
      assert.deepEqual(changesLogged.map((x) => x.action), ['import'], 'only the import itself is audited, no changes');

      // one changed cell: one update with before / after
      const edited = file.replace(`1,${a},周八,男`, `1,${a},周捌,男`);
      const third = await csv('persons', edited, 'clerk1');
      assert.deepEqual([third.json.inserted, third.json.updated, third.json.unchanged], [0, 1, 2]);
      const pa = await d.db.selectFrom('person').select(['id', 'name', 'version']).where('id_number', '=', a).executeTakeFirstOrThrow();
      assert.equal(pa.version, 2);
      const h = await call('GET', `/api/v1/persons/${pa.id}/history`, 'clerk1');
      assert.equal(h.json.at(-1).before.name, '周八');
      assert.equal(h.json.at(-1).after.name, '周捌');
      assert.equal(h.json.at(-1).changedBy, 'clerk1');
      const audited = await d.db.selectFrom('audit_log').selectAll().where('action', '=', 'import_persons').where('entity_id', '=', third.json.batchId).executeTakeFirstOrThrow();
      assert.deepEqual((audited.detail as { updated: string[] }).updated, [pa.id]);

      // a person registered in another clerk's village cannot be moved into one's own
      const li = id('1990-02-03', 124);
      const move = await csv('persons', `身份证号,姓名,村(居)代码,人员类别\n${li},李四,500230100001,成年居民\n`, 'clerk1');
      assert.equal(move.json.bad, 1);
      assert.deepEqual([move.json.problems[0].line, move.json.problems[0].field], [2, '身份证号']);
      assert.match(move.json.problems[0].reason, /registered in village 500230101001, outside clerk1's area/);

      // one address per household in a file
      const addr = await csv('persons', `身份证号,姓名,村(居)代码,户号,家庭住址,人员类别\n${id('1981-01-01', 91)},韩一,500230100001,0301,一组,成年居民\n${id('1982-01-01', 93)},韩二,500230100001,0301,二组,成年居民\n`, 'clerk1');
      assert.deepEqual([addr.json.inserted, addr.json.bad], [1, 1]);
      assert.deepEqual([addr.json.problems[0].line, addr.json.problems[0].field], [3, '家庭住址']);
      assert.match(addr.json.problems[0].reason, /differs from line 2/);

      // the error report as the answer itself
      const asCsv = await csv('persons', file, 'clerk1', 'x.csv', { accept: 'text/csv' });
      assert.equal(asCsv.status, 200);
      assert.match(asCsv.headers.get('content-type') ?? '', /text\/csv/);
      assert.equal(asCsv.headers.get('x-import-bad'), '6');
      assert.equal(asCsv.text.replace(/^\uFEFF/, '').trim().split('\n').length, 7);
    });

    test('import persons (XLSX): date cells, village by name, a number-typed ID cell is explained', async () => {
      const wb = new ExcelJS.Workbook();
      const ws = wb.addWorksheet('人员');
      ws.addRow(['*身份证号', '*姓名', '出生日期', '村名', '户号', '人员类别']);
      const x1 = id('1960-06-01', 101);
      const x2 = id('1961-06-01', 103);
      ws.addRow([x1, '何甲', new Date(Date.UTC(1960, 5, 1)), '红岩村', '0201', 'adult']);
      ws.addRow([Number(x2.replace('X', '0')), '吕乙', '', '红岩村', '0201', 'adult']);
      ws.addRow([id('1962-06-01', 105), '施丙', '', '杨柳村', '0202', 'adult']); // 杨柳村 names two villages, one is clerk1's
      ws.addRow([id('1963-06-01', 107), '张丁', '', '飞仙洞村', '0203', 'adult']); // outside clerk1's villages
      ws.addRow([id('1964-06-01', 109), '孔戊', '', '无名村', '0204', 'adult']);
      const buf = Buffer.from(await wb.xlsx.writeBuffer());
      const r = await call('POST', '/api/v1/imports/persons?fileName=people.xlsx', 'clerk1', body(buf), { 'content-type': XLSX_MIME });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.inserted, 2);
      assert.deepEqual(
        r.json.problems.map((p: { line: number; field: string }) => `${p.line}:${p.field}`),
        ['3:*身份证号', '5:村名', '6:村名'],
      );
      assert.match(r.json.problems[0].reason, /stored as a number/);
      assert.match(r.json.problems[1].reason, /outside/);
      const shi = await d.db.selectFrom('person').select('village_code').where('id_number', '=', id('1962-06-01', 105)).executeTakeFirstOrThrow();
      assert.equal(shi.village_code, '500230100001', 'the 杨柳村 in clerk1’s township');
      const ambiguous = await call('POST', '/api/v1/imports/persons', 'admin', body(buf), { 'content-type': XLSX_MIME });
      assert.ok(ambiguous.json.problems.some((p: { line: number; reason: string }) => p.line === 4 && /names 2 villages/.test(p.reason)), 'for an admin 杨柳村 is ambiguous');
    });

    test('import statuses (CSV): labels, departments, dates; re-import unchanged; a new end date updates', async () => {
      const p1 = id('1945-02-02', 201);
      const p2 = id('1946-02-02', 202);
      await d.db
        .insertInto('person')
        .values([p1, p2].map((x, i) => ({ id_number: x, name: ['钱甲', '钱乙'][i], gender: 'female', birth_date: x.slice(6, 10) + '-02-02', village_code: '500230100002', kind: 'adult' })))
        .execute();
      const file = [
        '身份证号,姓名,身份类别,认定部门,起始日期,终止日期,文号',
        `${p1},钱甲,特困人员,民政局,2022-01-01,,丰民〔2022〕3号`,
        `${p1},钱甲,重度（一、二级）残疾人,县残联,2021-05-01,2025-04-30,`,
        `${p2},钱乙,dibao,civil_affairs,2022-01-01,2022-12-31,`,
        `${p2},钱乙,富人,民政局,2022-01-01,,`,
        `${id('1947-02-02', 203)},无此人,低保对象,民政局,2022-01-01,,`,
        `${p2},钱丙,低保对象,民政局,2022-02-01,,`,
        `${p2},钱乙,低保对象,民政局,2022-13-01,,`,
        `${p2},钱乙,低保对象,民政局,2022-03-01,2022-02-01,`,
      ].join('\r\n');
      const r = await csv('statuses', file, 'clerk1');
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.inserted, 3);
      assert.deepEqual(
        r.json.problems.map((p: { line: number; field: string }) => `${p.line}:${p.field}`),
        ['5:身份类别', '6:身份证号', '7:姓名', '8:起始日期', '9:终止日期'],
      );
      const rows = await d.db.selectFrom('needy_status as s').innerJoin('person as p', 'p.id', 's.person_id').select(['p.id_number', 's.status', 's.source', 's.valid_to']).where('p.id_number', 'in', [p1, p2]).orderBy('s.id').execute();
      assert.deepEqual(
        rows.map((x) => `${x.status}/${x.source}/${x.valid_to}`),
        ['destitute/civil_affairs/null', 'severe_disability/disability_federation/2025-04-30', 'dibao/civil_affairs/2022-12-31'],
      );
      const again = await csv('statuses', file, 'clerk1');
      assert.deepEqual([again.json.inserted, again.json.updated, again.json.unchanged], [0, 0, 3]);
      const extended = await csv('statuses', file.replace('2022-01-01,2022-12-31,', '2022-01-01,2023-12-31,'), 'clerk1');
      assert.deepEqual([extended.json.inserted, extended.json.updated, extended.json.unchanged], [0, 1, 2]);
      const last = await d.db.selectFrom('register_history').selectAll().where('entity', '=', 'needy_status').orderBy('id', 'desc').executeTakeFirstOrThrow();
      assert.equal((last.before as { valid_to: string }).valid_to, '2022-12-31');
      assert.equal((last.after as { valid_to: string }).valid_to, '2023-12-31');
      assert.equal(last.changed_by, 'clerk1');
      // a person outside the clerk's villages
      const outside = await csv('statuses', `身份证号,身份类别,起始日期\n${id('1990-02-03', 124)},低保,2022-01-01\n`, 'clerk1');
      assert.equal(outside.json.bad, 1);
      assert.match(outside.json.problems[0].reason, /outside clerk1's area/);
    });

    test('import: bad files are 400 naming what is wrong, nothing written', async () => {
      const before = await count('import_batch');
      const noCol = await csv('persons', '身份证号,姓名\n1,2\n', 'admin');
      assert.equal(noCol.status, 400);
      assert.equal(noCol.json.field, 'header');
      assert.match(noCol.json.message, /no kind column/);
      const json = await call('POST', '/api/v1/imports/persons', 'admin', { rows: [] });
      assert.equal(json.status, 400);
      assert.equal(json.json.field, '(content-type)');
      const notXlsx = await call('POST', '/api/v1/imports/persons', 'admin', 'a,b\n', { 'content-type': XLSX_MIME });
      assert.equal(notXlsx.status, 400);
      const empty = await csv('persons', '', 'admin');
      assert.equal(empty.status, 400);
      assert.equal(await count('import_batch'), before);
    });

    test('GBK-encoded CSV (Excel on a Chinese Windows) reads as well as UTF-8', async () => {
      const x = id('1955-05-05', 301);
      // 身份证号,姓名,村名,人员类别 / x,李雷,红岩村,成年居民 — in GBK
      const gbk = (s: string): Buffer => {
        const map: Record<string, number[]> = {
          身: [0xc9, 0xed], 份: [0xb7, 0xdd], 证: [0xd6, 0xa4], 号: [0xba, 0xc5], 姓: [0xd0, 0xd5], 名: [0xc3, 0xfb], 村: [0xb4, 0xe5],
          人: [0xc8, 0xcb], 员: [0xd4, 0xb1], 类: [0xc0, 0xe0], 别: [0xb1, 0xf0], 李: [0xc0, 0xee], 雷: [0xc0, 0xd7], 红: [0xba, 0xec],
          岩: [0xd1, 0xd2], 成: [0xb3, 0xc9], 年: [0xc4, 0xea], 居: [0xbe, 0xd3], 民: [0xc3, 0xf1],
        };
        return Buffer.from([...s].flatMap((ch) => map[ch] ?? [...Buffer.from(ch)]));
      };
      const text = gbk(`身份证号,姓名,村名,人员类别\n${x},李雷,红岩村,成年居民\n`);
      assert.equal(new TextDecoder('gb18030').decode(text).slice(0, 4), '身份证号');
      const r = await call('POST', '/api/v1/imports/persons', 'clerk1', body(text), { 'content-type': 'text/csv' });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.inserted, 1, r.text);
      const p = await d.db.selectFrom('person').select(['name', 'village_code']).where('id_number', '=', x).executeTakeFirstOrThrow();
      assert.deepEqual(p, { name: '李雷', village_code: '500230100002' });
    });

    test('the audit log has the changes, and the auditor reads it', async () => {
      const log = await call('GET', '/api/v1/audit?limit=1000', 'auditor');
      assert.equal(log.status, 200);
      const kinds = new Set(log.json.map((e: { action: string; entity: string }) => `${e.action} ${e.entity}`));
      for (const k of ['create admin_area', 'create household', 'create person', 'update person', 'create needy_status', 'update needy_status', 'import_persons import_batch', 'import_statuses import_batch', 'import import_batch'])
        assert.ok(kinds.has(k), k);
      await assert.rejects(d.db.deleteFrom('audit_log').execute(), /permission denied for table audit_log/); // the service's role; the owner meets the trigger
    });

    test('CLI: yibao import persons / statuses, with an error list beside the file', async (t) => {
      const dir = mkdtempSync(join(tmpdir(), 'yibao-reg-'));
      t.after(() => rmSync(dir, { recursive: true, force: true }));
      let env: NodeJS.ProcessEnv;
      if (backend === 'server') env = { ...process.env, DATABASE_URL: d.where };
      else {
        const data = join(dir, 'pglite');
        const local = await openDatabase({ url: '', dataDir: data });
        await seedAreas(local.db);
        await local.close();
        env = { ...process.env, DATABASE_URL: '', YIBAO_DATA: data };
      }
      const ok = id('1966-06-06', 401);
      const file = join(dir, 'persons.csv');
      writeFileSync(file, `身份证号,姓名,村(居)代码,人员类别\n${ok},严甲,500230101002,成年居民\n${wrongCheck(ok)},严乙,500230101002,成年居民\n`);
      const run = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8', timeout: 120_000 });
      const r = run(['import', 'persons', file, '--no-progress']);
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, /2 rows: 1 new, 0 changed, 0 unchanged, 1 bad/);
      assert.match(r.stderr, /line 3: 身份证号: the ID number has a wrong check character/);
      const errs = readFileSync(`${file}.errors.csv`, 'utf8').replace(/^\uFEFF/, '').trim().split('\n');
      assert.equal(errs[0], 'line,field,reason,idNumber');
      assert.match(errs[1], /^3,身份证号,/);
      const again = run(['import', 'persons', file, '--no-progress']);
      assert.match(again.stderr, /0 new, 0 changed, 1 unchanged, 1 bad/);
      assert.match(again.stderr, /imported before/);
      const sfile = join(dir, 'statuses.csv');
      writeFileSync(sfile, `身份证号,身份类别,认定部门,起始日期\n${ok},低保对象,民政,2022-01-01\n`);
      const s = run(['import', 'statuses', sfile, '--no-progress', '--json']);
      assert.equal(s.status, 0, s.stderr);
      assert.equal(JSON.parse(s.stdout).inserted, 1);
      assert.ok(!existsSync(`${sfile}.errors.csv`));
      assert.equal(run(['import', 'persons', join(dir, 'missing.csv'), '--no-progress']).status, 2);
      if (backend === 'server') {
        const nobody = run(['import', 'persons', file, '--no-progress', '--as', 'nobody']);
        assert.equal(nobody.status, 2);
        assert.match(nobody.stderr, /--as: no active user nobody/);
        const clerk = run(['import', 'persons', file, '--no-progress', '--as', 'clerk1']);
        assert.equal(clerk.status, 1);
        assert.match(clerk.stderr, /line 2: 村\(居\)代码: village 500230101002 is outside clerk1's area/);
        // a role that may not do a thing is refused plainly (exit 2), not reported as an internal error
        const refused = run(['assistance', 'decide', '1', '--approve', '--reason', '核实', '--as', 'clerk1']);
        assert.equal(refused.status, 2, refused.stderr);
        assert.match(refused.stderr, /^refused: role \S+ may not assistance decide/m);
        assert.doesNotMatch(refused.stderr, /internal error/);
      }
    });
  });
