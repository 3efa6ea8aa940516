/**
 * 死亡日期 in the persons import (issue #18 item 4, FR02): the column is read from CSV and XLSX,
 * stored with the person (history and audit kept), a bad date is refused naming the column, and
 * the screening finds a settlement after the imported date.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { BACKENDS, freshDatabase, type TestDatabase } from './support/databases.ts';
import { ADMIN, VILLAGE_A, quotes, town, type Town } from './support/risk-town.ts';
import { importPersons } from '../src/registers/import-persons.ts';
import { makeIdNumber } from '../src/registers/id-number.ts';
import { runScreening } from '../src/risk/screening.ts';

const dir = mkdtempSync(join(tmpdir(), 'yibao-death-'));
const ID1 = makeIdNumber('500230', '1950-05-05', 901);
const ID2 = makeIdNumber('500230', '1951-06-06', 902);

for (const backend of BACKENDS)
  describe(`死亡日期 imported on ${backend}`, () => {
    let d: TestDatabase;
    let t: Town;
    before(async () => {
      d = await freshDatabase(backend);
      t = await town(d);
    });
    after(async () => d?.drop());
    const deathOf = async (id: string) => (await d.db.selectFrom('person').select(['id', 'date_of_death']).where('id_number', '=', id).executeTakeFirstOrThrow());

    test('a CSV with 死亡日期 stores it; importing it again changes nothing; a later file sets it on a registered person', async () => {
      const csv = join(dir, `${backend}-1.csv`);
      writeFileSync(csv, `身份证号,姓名,人员类别,村(居)代码,死亡日期\n${ID1},张老汉,成年居民,${VILLAGE_A},2022年2月1日\n${ID2},李大娘,成年居民,${VILLAGE_A},\n`);
      const s1 = await importPersons(d.db, ADMIN, { path: csv });
      assert.equal(s1.inserted, 2, JSON.stringify(s1));
      const p1 = await deathOf(ID1);
      assert.equal(String(p1.date_of_death), '2022-02-01');
      assert.equal((await deathOf(ID2)).date_of_death, null);
      const again = await importPersons(d.db, ADMIN, { path: csv });
      assert.equal(again.updated, 0);
      assert.equal(again.unchanged, 2);

      const wb = new ExcelJS.Workbook();
      const ws = wb.addWorksheet('人员');
      ws.addRow(['身份证号', '姓名', '人员类别', '村(居)代码', '死亡日期']);
      ws.addRow([ID2, '李大娘', '成年居民', VILLAGE_A, '2022-03-10']);
      const xlsx = join(dir, `${backend}-2.xlsx`);
      await wb.xlsx.writeFile(xlsx);
      const s2 = await importPersons(d.db, ADMIN, { path: xlsx });
      assert.equal(s2.updated, 1, JSON.stringify(s2));
      const p2 = await deathOf(ID2);
      assert.ok(p2.date_of_death !== null);
      const hist = await d.db.selectFrom('register_history').select(['before', 'after']).where('entity', '=', 'person').where('entity_id', '=', String(p2.id)).orderBy('id', 'desc').executeTakeFirstOrThrow();
      assert.deepEqual([(hist.before as { date_of_death: unknown }).date_of_death, (hist.after as { date_of_death: unknown }).date_of_death], [null, '2022-03-10']);
    });

    test('a date of death that is not a date, or before the birth date, is refused naming 死亡日期', async () => {
      const csv = join(dir, `${backend}-bad.csv`);
      writeFileSync(csv, `身份证号,姓名,人员类别,村(居)代码,死亡日期\n${makeIdNumber('500230', '1960-01-01', 903)},王五,成年居民,${VILLAGE_A},2022-13-45\n${makeIdNumber('500230', '1960-01-01', 904)},赵六,成年居民,${VILLAGE_A},1959-12-31\n`);
      const s = await importPersons(d.db, ADMIN, { path: csv });
      assert.equal(s.inserted, 0);
      const text = JSON.stringify(s);
      assert.match(text, /死亡日期/);
      assert.match(text, /not a date/);
      assert.match(text, /before the birth date/);
    });

    test('the screening finds a settlement after the imported date of death (FR02)', async () => {
      const p = await deathOf(ID1);
      await d.db.insertInto('enrollment').values({ person_id: p.id, coverage_year: 2022, region: '500230', pack: '500230/2022', tier: 'tier1', state: 'paid', standard_fen: 32000, assistance_fen: null, quote: JSON.stringify({}), benefit_start: '2022-01-01', benefit_end: '2022-12-31' } as never).execute();
      await t.settle(String(p.id), { date: '2022-04-01', inScope: 800 });
      const run = await runScreening(d.db, quotes.lib, { year: 2022, region: '500230', codes: ['FR02'] });
      assert.equal(run.rules[0]!.found, 1);
      const c = await d.db.selectFrom('risk_case' as never).selectAll().execute() as { person_id: string; detail: { dateOfDeath: string } }[];
      assert.equal(String(c[0]!.person_id), String(p.id));
      assert.equal(c[0]!.detail.dateOfDeath, '2022-02-01');
    });
  });
