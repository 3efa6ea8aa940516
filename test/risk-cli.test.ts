/**
 * `yibao risk warnings|burden-scan|gaps|cases|case` end to end (the real binary in a child
 * process, on an embedded database holding a small town): warnings per village, masked as the role
 * requires, a clerk kept to their villages, XLSX out; the batch scan catches up a warning a
 * settlement's follow-up missed and adds nothing the second time; the needy but not covered with
 * the reason; a case shown with its rule, explanation and cited sentence, moved on (audited,
 * confirming recovers); bad options exit 2 naming the option, no stack trace.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { AuthService } from '../src/access/auth.ts';
import { SYSTEM } from '../src/access/roles.ts';
import { SettlementService } from '../src/settlement/settlement-service.ts';
import { openDatabase } from '../src/store/db.ts';
import { ADMIN, HA, HB, VILLAGE_A, VILLAGE_B, quotes, town } from './support/risk-town.ts';

const bin = join(import.meta.dirname, '..', 'bin', 'yibao.js');
const dir = mkdtempSync(join(tmpdir(), 'yibao-risk-cli-'));
const dataDir = join(dir, 'pglite');
const run = (...args: string[]) => spawnSync(process.execPath, [bin, 'risk', ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000, env: { ...process.env, YIBAO_DATA: dataDir, DATABASE_URL: '' } });
const json = (r: ReturnType<typeof run>) => {
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
};
const ids: Record<string, string> = {};

before(async () => {
  const d = await openDatabase({ url: '', dataDir });
  try {
    const t = await town({ ...d, drop: () => d.close() });
    const a = await t.person({ village: VILLAGE_A });
    const b = await t.person({ village: VILLAGE_B });
    ids.a = a.idNumber;
    ids.b = b.idNumber;
    await t.settle(a.id, { date: '2022-03-01', ownPay: 9500, hospital: HA });
    await t.settle(b.id, { date: '2022-04-01', ownPay: 9600, hospital: HB });
    // settled without the follow-up (as when it failed): no warning until the batch scan
    const missed = await t.person({ village: VILLAGE_B });
    ids.missed = missed.idNumber;
    const bare = new SettlementService(d, quotes);
    const enc = await bare.createEncounter(ADMIN, { personId: missed.id, hospitalCode: HB, coverageYear: 2022, type: 'inpatient', date: '2022-05-01', costs: { total: 9700, fullOwnPay: 9700, overLimitSelfPay: 0, preSelfPay: 0, inScope: 0 } } as never);
    await bare.settle(ADMIN, enc.id);
    // a settlement after death (FR02) and a needy person not enrolled (a coverage gap)
    const dead = await t.person({ village: VILLAGE_A, dateOfDeath: '2022-02-01' });
    await t.settle(dead.id, { date: '2022-03-05', inScope: 1200, hospital: HA });
    await t.person({ village: VILLAGE_A, statuses: ['dibao'], enrolled: null });
    // a 低保 person who applies for assistance
    const needy = await t.person({ village: VILLAGE_A, statuses: ['dibao'], assistanceFen: 28800 });
    await t.settle(needy.id, { date: '2022-06-01', inScope: 3000, hospital: HA });
    ids.needy = needy.id;
    const auth = new AuthService(d.db);
    await auth.createUser(SYSTEM, { username: 'clerk_a', role: 'clerk', villages: [VILLAGE_A], displayName: 'clerk_a', password: 'clerk_a-test-password' });
    await auth.createUser(SYSTEM, { username: 'policy', role: 'policy_officer', displayName: 'policy', password: 'policy-test-password' });
    await auth.createUser(SYSTEM, { username: 'jiuzhu', role: 'medical_assistance', displayName: 'jiuzhu', password: 'jiuzhu-test-password' });
    await auth.createUser(SYSTEM, { username: 'auditor', role: 'auditor', displayName: 'auditor', password: 'auditor-test-password' });
  } finally {
    await d.close();
  }
});
after(() => rmSync(dir, { recursive: true, force: true }));

const auditActions = async (action: string) => {
  const d = await openDatabase({ url: '', dataDir });
  try {
    return await d.db.selectFrom('audit_log').select(['actor', 'entity_id', 'detail']).where('action', '=', action).orderBy('id').execute();
  } finally {
    await d.close();
  }
};

describe('yibao risk', () => {
  test('warnings: per village, in full for an admin, masked for a clerk (their village only) and with --masked; audited; XLSX out', async () => {
    const all = json(run('warnings', '--year', '2022', '--json'));
    assert.deepEqual(all.villages.map((v: { villageCode: string }) => v.villageCode), [VILLAGE_A, VILLAGE_B]);
    assert.equal(all.total, 4, 'two persons, each warned on the year and the rolling window');
    assert.equal(all.fullIdNumbers, true);
    assert.ok(all.villages[0].warnings.every((w: { idNumber: string }) => w.idNumber === ids.a));
    const masked = json(run('warnings', '--json', '--masked'));
    assert.ok(masked.villages.flatMap((v: { warnings: { idNumber: string }[] }) => v.warnings).every((w: { idNumber: string }) => /\*{8}/.test(w.idNumber)));
    const clerk = json(run('warnings', '--json', '--as', 'clerk_a'));
    assert.deepEqual(clerk.villages.map((v: { villageCode: string }) => v.villageCode), [VILLAGE_A]);
    assert.equal(clerk.fullIdNumbers, false);
    assert.equal(clerk.villages[0].warnings[0].idNumber, `${ids.a.slice(0, 6)}********${ids.a.slice(-4)}`);
    const refused = run('warnings', '--area', VILLAGE_B, '--as', 'clerk_a');
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /^refused: area 500230100002 is outside clerk_a's area/);
    const text = run('warnings', '--area', VILLAGE_B);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /500230100002 长江村: 2 条预警/);
    assert.match(text.stdout, /负担 9600\.00 元 \/ 预警线 9000\.00 元/);
    const xlsx = join(dir, 'warnings.xlsx');
    assert.equal(run('warnings', '--as', 'auditor', '-o', xlsx).status, 0);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(xlsx);
    const rows = wb.worksheets[0].getSheetValues().slice(3) as unknown[][];
    assert.equal(rows.length, 4);
    assert.ok(rows.every((r) => /\*{8}/.test(String(r[5]))), 'an auditor gets masked ID numbers');
    const reads = await auditActions('export');
    assert.ok(reads.some((r) => r.actor === 'auditor' && (r.detail as { rows: number; fullIdNumbers: boolean }).rows === 4 && (r.detail as { fullIdNumbers: boolean }).fullIdNumbers === false));
  });

  test('burden-scan: catches up the warning the follow-up missed, once; a clerk may not run it; audited', async () => {
    const before = json(run('warnings', '--area', VILLAGE_B, '--json'));
    assert.ok(!before.villages[0].warnings.some((w: { idNumber: string }) => w.idNumber === ids.missed));
    assert.equal(run('burden-scan', '--area', '500230', '--year', '2022', '--as', 'clerk_a').status, 2);
    const first = json(run('burden-scan', '--area', '500230', '--year', '2022', '--json', '--as', 'policy'));
    assert.equal(first.persons, 5, 'everyone of the county with a settlement in the year');
    assert.equal(first.added, 2);
    assert.deepEqual(first.byBasis, { coverage_year: 1, rolling_12_months: 1 });
    const again = run('burden-scan', '--area', '500230', '--year', '2022');
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /扫描 5 人，新增预警 0 条/);
    const now = json(run('warnings', '--area', VILLAGE_B, '--json'));
    const found = now.villages[0].warnings.filter((w: { idNumber: string }) => w.idNumber === ids.missed);
    assert.deepEqual(found.map((w: { foundBy: string }) => w.foundBy), ['scan', 'scan']);
    const audits = await auditActions('risk.burden_scan');
    assert.deepEqual(audits.map((a) => [a.actor, (a.detail as { added: number }).added]), [['policy', 2], [audits[1]!.actor, 0]]);
  });

  test('gaps: the needy person not enrolled, with the reason and its citation', () => {
    const g = json(run('gaps', '--year', '2022', '--json', '--as', 'clerk_a'));
    assert.equal(g.total, 1);
    assert.equal(g.gaps[0].villageCode, VILLAGE_A);
    assert.equal(g.gaps[0].reason, 'not_enrolled');
    assert.ok(g.gaps[0].cite);
    assert.match(g.gaps[0].idNumber, /\*{8}/);
    assert.deepEqual(json(run('gaps', '--year', '2022', '--area', VILLAGE_B, '--json')).gaps, []);
  });

  test('cases: listed, one shown with its rule, explanation and cited sentence, moved on (audited; confirming recovers)', () => {
    assert.equal(spawnSync(process.execPath, [bin, 'risk', 'screen', '--region', '500230', '--year', '2022', '--no-progress'], { cwd: dir, encoding: 'utf8', env: { ...process.env, YIBAO_DATA: dataDir, DATABASE_URL: '' } }).status, 0);
    const list = json(run('cases', '--region', '500230', '--rule', 'FR02', '--json', '--as', 'clerk_a'));
    assert.equal(list.cases.length, 1);
    const id = list.cases[0].id;
    const shown = run('case', id, '--region', '500230');
    assert.equal(shown.status, 0, shown.stderr);
    assert.match(shown.stdout, new RegExp(`疑点 #${id} FR02 死亡后结算 \\[open\\]`));
    assert.match(shown.stdout, /说明：参保人登记的死亡日期之后仍有就诊结算/);
    assert.match(shown.stdout, /政策依据：\S+〔2022〕\d+号 \S+「.+」/);
    assert.match(shown.stdout, /结算 \d+ 2022-03-05 inpatient H500230001/);
    const refused = run('case', id, 'review', '--region', '500230', '--as', 'clerk_a');
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /^refused: role clerk may not risk cases\.review/);
    assert.equal(run('case', id, 'confirm', '--region', '500230', '--as', 'policy').status, 1, 'open → confirmed skips the review');
    assert.equal(json(run('case', id, 'review', '--region', '500230', '--note', '调阅病历', '--as', 'policy', '--json')).state, 'reviewed');
    const confirmed = json(run('case', id, 'confirm', '--region', '500230', '--recover', '10.00', '--as', 'policy', '--json'));
    assert.equal(confirmed.state, 'confirmed');
    assert.equal(confirmed.recovered, 10);
    assert.ok(confirmed.recoveryEntry);
    const closed = run('case', id, 'dismiss', '--region', '500230', '--as', 'policy');
    assert.equal(closed.status, 1);
    assert.match(closed.stderr, /case \d+ is confirmed/);
    const xlsx = join(dir, 'cases.xlsx');
    assert.equal(run('cases', '--region', '500230', '-o', xlsx).status, 0);
    assert.ok(existsSync(xlsx));
  });

  test('assistance pay: the approved assistance paid out once (a replay writes nothing); a clerk may not; a bad date exits 2', () => {
    const cli = (...args: string[]) => spawnSync(process.execPath, [bin, 'assistance', ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000, env: { ...process.env, YIBAO_DATA: dataDir, DATABASE_URL: '' } });
    const a = json(cli('apply', '--person', ids.needy!, '--year', '2022', '--requested', '1500.00', '--reason', '住院负担重', '--as', 'clerk_a'));
    const ok = json(cli('decide', a.id, '--approve', '--reason', '材料齐全', '--as', 'jiuzhu'));
    assert.ok(ok.approved > 0);
    assert.equal(cli('pay', a.id, '--reference', 'YH-1', '--paid-on', '2099-01-01', '--as', 'clerk_a').status, 2);
    const bad = cli('pay', a.id, '--reference', 'YH-1', '--paid-on', '2022-1-1', '--as', 'jiuzhu');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /^error: --paid-on:/);
    const paid = json(cli('pay', a.id, '--reference', 'YH-1', '--paid-on', '2099-01-01', '--as', 'jiuzhu'));
    assert.equal(paid.replayed, false);
    assert.equal(paid.payout.amountFen, Math.round(ok.approved * 100));
    assert.equal(json(cli('pay', a.id, '--reference', 'YH-1', '--paid-on', '2099-01-01', '--as', 'jiuzhu')).replayed, true);
    const other = cli('pay', a.id, '--reference', 'YH-2', '--paid-on', '2099-01-01', '--as', 'jiuzhu');
    assert.equal(other.status, 1);
    assert.match(other.stderr, /paid out already/);
  });

  test('bad options exit 2 naming the option, no stack trace, nothing written', () => {
    for (const [args, field] of [
      [['warnings', '--year', '22'], '--year'],
      [['warnings', '--basis', 'monthly'], '--basis'],
      [['warnings', '--area', '5002301'], '--area'],
      [['warnings', '-o', join(dir, 'w.pdf')], '--output'],
      [['warnings', '--as', 'nobody'], '--as'],
      [['burden-scan', '--area', '500230', '--year', 'soon'], '--year'],
      [['burden-scan', '--area', '999999', '--year', '2022'], 'area'],
      [['gaps', '--year', '2022', '--area', 'x'], '--area'],
      [['cases', '--region', '5002'], '--region'],
      [['cases', '--region', '500230', '--rule', 'FR99'], '--rule'],
      [['cases', '--region', '500230', '--state', 'closed'], '--state'],
      [['case', 'x1', '--region', '500230'], '<id>'],
      [['case', '1', 'approve', '--region', '500230'], '<action>'],
      [['case', '1', 'confirm', '--region', '500230', '--recover', '1.234'], '--recover'],
    ] as const) {
      const r = run(...args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`^error: ${field}:`), args.join(' '));
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    }
    assert.ok(!existsSync(join(dir, 'w.pdf')));
  });
});
