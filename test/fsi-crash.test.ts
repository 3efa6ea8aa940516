/**
 * A crash never breaks the msgid promise (issue #11 item 2). The service runs as a real process
 * on the PostgreSQL server; a hospital sends many 2207 at once (two msgids for each visit) and
 * the process is killed with SIGKILL while they are at work, so that some messages are claimed
 * and never answered. After a restart: the same msgid gets the true outcome, a new msgid for the
 * same visit finds the existing settlement, every visit is settled exactly once, and 2601
 * corrects a message whose answer the crash swallowed. The same for 2208 reversals, and for
 * inpatient stays: 2304 discharge settlements and 2305 reversals (issue #16 item 7).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { AuthService } from '../src/access/auth.ts';
import { SYSTEM } from '../src/access/roles.ts';
import { freshDatabase, type TestDatabase } from './support/databases.ts';
import { FsiClient, enrolledPerson, VILLAGE, type Person } from './support/fsi-client.ts';

const HA = 'H50023000021';
const root = resolve(import.meta.dirname, '..');

async function freePort(): Promise<number> {
  return new Promise((ok) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => ok(port));
    });
  });
}

class Service {
  child: ChildProcess | null = null;
  base = '';
  constructor(private readonly url: string) {}

  async start(): Promise<void> {
    const port = await freePort();
    this.base = `http://127.0.0.1:${port}`;
    this.child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: this.url, PORT: String(port), HOST: '127.0.0.1', YIBAO_DEMO: 'off', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    // up to two minutes: on a machine shared with other work, tsx compiling the service can take a minute
    for (let i = 0; i < 1200; i++) {
      try {
        if ((await fetch(`${this.base}/health`)).ok) return;
      } catch {
        /* not up yet */
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('the service did not start');
  }

  async kill(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null) return;
    const gone = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await gone;
    this.child = null;
  }
}

describe('a crash between claim and reply (the service killed with SIGKILL under load), on server', () => {
  let d: TestDatabase;
  let svc: Service;
  let token: string;

  before(async () => {
    d = await freshDatabase('server');
    await d.db.insertInto('admin_area').values([
      { code: '500230', name: '丰都县', level: 'county', parent_code: null, region: '500230' },
      { code: '500230100', name: '兴义镇', level: 'township', parent_code: '500230', region: '500230' },
      { code: VILLAGE, name: '兴义村', level: 'village', parent_code: '500230100', region: '500230' },
    ]).execute();
    await d.db.insertInto('hospital').values({ code: HA, name: '丰都县人民医院', level: 'secondary', region: '500230' }).execute();
    const auth = new AuthService(d.db);
    const id = await auth.createUser(SYSTEM, { username: 'crash-his', displayName: 'HIS', role: 'hospital', hospitalCode: HA });
    token = await auth.issueApiToken(SYSTEM, id, 'HIS');
    svc = new Service(d.where);
    await svc.start();
  });
  after(async () => {
    await svc?.kill();
    await d?.drop();
  });

  const count = async (sql: 'settlements' | 'replyless' | 'reversed') => {
    if (sql === 'settlements') return Number((await d.db.selectFrom('settlement').select((e) => e.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
    if (sql === 'reversed') return Number((await d.db.selectFrom('settlement').select((e) => e.fn.countAll<string>().as('n')).where('reversed_at', 'is not', null).executeTakeFirstOrThrow()).n);
    return Number((await d.db.selectFrom('fsi_message').select((e) => e.fn.countAll<string>().as('n')).where('reply', 'is', null).executeTakeFirstOrThrow()).n);
  };

  /** Send every message at once and kill the service once `until` holds (or all answered); the answers that came back. */
  async function sendAndKill(client: FsiClient, messages: Record<string, unknown>[], until: () => Promise<boolean>): Promise<Map<string, any>> {
    const answers = new Map<string, any>();
    let pending = messages.length;
    for (const m of messages)
      void client
        .post(m)
        .then((r) => answers.set(m.msgid as string, r))
        .catch(() => undefined)
        .finally(() => (pending -= 1));
    while (pending > 0 && !(await until())) await new Promise((r) => setTimeout(r, 2));
    await svc.kill();
    while (pending > 0) await new Promise((r) => setTimeout(r, 5));
    return answers;
  }

  const ledgerSum = async () => Number((await d.db.selectFrom('posting').select((eb) => eb.fn.sum<string>('amount_fen').as('s')).executeTakeFirstOrThrow()).s ?? 0);

  test('2207: after the crash every visit is settled once, every msgid answered with the truth; 2601 corrects a swallowed answer; then 2208 the same', async () => {
    let client = new FsiClient(svc.base, token, HA, 'C0');
    await client.signIn();
    let visits: { p: Person; m: string; first: Record<string, unknown>; second: Record<string, unknown> }[] = [];
    let answers = new Map<string, any>();
    let replyless = 0;
    // kill the service while settlements are being written, until a round leaves messages claimed and unanswered
    for (let round = 0; round < 4 && replyless === 0; round++) {
      if (round > 0) {
        await svc.start();
        client = new FsiClient(svc.base, token, HA, `C${round}`);
        await client.signIn();
      }
      const batch: typeof visits = [];
      for (let i = 0; i < 40; i++) {
        const p = await enrolledPerson(d.db);
        const m = await client.outpatientVisit(p, `MZ-CRASH-${round}-${i}`, 20 + i);
        batch.push({ p, m, first: client.settleOutpatient(p, m, 20 + i), second: client.settleOutpatient(p, m, 20 + i) });
      }
      const settledBefore = await count('settlements');
      const got = await sendAndKill(client, batch.flatMap((v) => [v.first, v.second]), async () => (await count('settlements')) >= settledBefore + 8);
      for (const [k, v] of got) answers.set(k, v);
      visits = visits.concat(batch);
      replyless = await count('replyless');
    }
    assert.ok(replyless > 0, 'the crash left messages claimed and unanswered (the case under test)');

    await svc.start();
    client = new FsiClient(svc.base, token, HA, 'R');
    await client.signIn();
    for (const v of visits) {
      const r1 = await client.post(v.first);
      const r2 = await client.post(v.second);
      assert.equal(r1.infcode, 0, r1.err_msg);
      assert.equal(r2.infcode, 0, r2.err_msg);
      assert.equal(r1.output.setlinfo.setl_id, r2.output.setlinfo.setl_id, 'both msgids of a visit name its one settlement');
      for (const [msg, r] of [[v.first, r1], [v.second, r2]] as const) {
        const before = answers.get(msg.msgid as string);
        if (before?.infcode === 0) assert.deepEqual(r, before, 'an answer given before the crash is given again');
      }
      // a third message, new msgid, for the same visit: the existing settlement
      const r3 = await client.post(client.settleOutpatient(v.p, v.m, Number(v.first.input && (v.first.input as any).data.medfee_sumamt)));
      assert.equal(r3.infcode, 0, r3.err_msg);
      assert.equal(r3.output.setlinfo.setl_id, r1.output.setlinfo.setl_id);
    }
    // exactly one settlement per visit, never one undone
    const perVisit = await d.db.selectFrom('settlement').select(['visit', (e) => e.fn.countAll<string>().as('n')]).groupBy('visit').execute();
    assert.equal(perVisit.length, visits.length);
    assert.ok(perVisit.every((r) => Number(r.n) === 1), JSON.stringify(perVisit.filter((r) => Number(r.n) !== 1)));
    assert.equal(await count('reversed'), 0);
    assert.equal(await count('replyless'), 0, 'every claim has its reply now');
    assert.equal(await ledgerSum(), 0);

    // 2601 corrects a message whose answer the crash swallowed: it finds the settlement the message made
    const swallowed = visits.find((v) => !answers.has(v.first.msgid as string)) ?? visits[0];
    const corr = await client.post(client.envelope('2601', { data: { psn_no: swallowed.p.psnNo, omsgid: swallowed.first.msgid, oinfno: '2207' } }));
    assert.equal(corr.infcode, 0, corr.err_msg);
    assert.equal((await d.db.selectFrom('settlement').select('id').where('visit', '=', swallowed.m).where('reversed_at', 'is', null).execute()).length, 0);

    // 2208 under the same crash: each reversal done once, each msgid answered with the truth
    const rest = visits.filter((v) => v !== swallowed);
    const setlIds = new Map<string, string>();
    for (const v of rest) setlIds.set(v.m, (await client.post(v.first)).output.setlinfo.setl_id);
    const reversals = rest.map((v) => client.envelope('2208', { data: { setl_id: setlIds.get(v.m), mdtrt_id: v.m, psn_no: v.p.psnNo } }));
    const reversedBefore = await count('reversed');
    const revAnswers = await sendAndKill(client, reversals, async () => (await count('reversed')) >= reversedBefore + 8);
    await svc.start();
    client = new FsiClient(svc.base, token, HA, 'S');
    await client.signIn();
    for (const r of reversals) {
      const again = await client.post(r);
      assert.equal(again.infcode, 0, again.err_msg);
      const before = revAnswers.get(r.msgid as string);
      if (before?.infcode === 0) assert.deepEqual(again, before);
    }
    assert.equal((await d.db.selectFrom('settlement').select('id').where('reversed_at', 'is', null).execute()).length, 0);
    assert.equal(await count('reversed'), visits.length, 'each settlement reversed once, nothing re-settled');
    assert.equal(await ledgerSum(), 0);
    const acc = await d.db.selectFrom('accumulator').select('data').execute();
    assert.ok(acc.every((a) => ((a.data as any).generalOutpatientPaid ?? 0) === 0));
  });
  test('2304 / 2305: after a crash every stay is settled once and reversed once, every msgid answered with the truth', async () => {
    let client = new FsiClient(svc.base, token, HA, 'I0');
    await client.signIn();
    let stays: { p: Person; m: string; sum: number; first: Record<string, unknown>; second: Record<string, unknown> }[] = [];
    const answers = new Map<string, any>();
    const replylessBefore = await count('replyless');
    let replyless = 0;
    const settledAtStart = await count('settlements');
    for (let round = 0; round < 4 && replyless === 0; round++) {
      if (round > 0) {
        await svc.start();
        client = new FsiClient(svc.base, token, HA, `I${round}`);
        await client.signIn();
      }
      const batch: typeof stays = [];
      for (let i = 0; i < 30; i++) {
        const p = await enrolledPerson(d.db);
        const sum = 1000 + i;
        const m = await client.inpatientStay(p, `ZY-CRASH-${round}-${i}`, sum);
        batch.push({ p, m, sum, first: client.settleInpatient(p, m, sum), second: client.settleInpatient(p, m, sum) });
      }
      const settledBefore = await count('settlements');
      const got = await sendAndKill(client, batch.flatMap((v) => [v.first, v.second]), async () => (await count('settlements')) >= settledBefore + 6);
      for (const [k, v] of got) answers.set(k, v);
      stays = stays.concat(batch);
      replyless = (await count('replyless')) - replylessBefore;
    }
    assert.ok(replyless > 0, 'the crash left 2304 messages claimed and unanswered (the case under test)');

    await svc.start();
    client = new FsiClient(svc.base, token, HA, 'IR');
    await client.signIn();
    const setlIds = new Map<string, string>();
    for (const v of stays) {
      const r1 = await client.post(v.first);
      const r2 = await client.post(v.second);
      assert.equal(r1.infcode, 0, r1.err_msg);
      assert.equal(r2.infcode, 0, r2.err_msg);
      assert.equal(r1.output.setlinfo.setl_id, r2.output.setlinfo.setl_id, 'both msgids of a stay name its one settlement');
      assert.equal(r1.output.setlinfo.medfee_sumamt, v.sum);
      for (const [msg, r] of [[v.first, r1], [v.second, r2]] as const) {
        const before = answers.get(msg.msgid as string);
        if (before?.infcode === 0) assert.deepEqual(r, before, 'an answer given before the crash is given again');
      }
      setlIds.set(v.m, r1.output.setlinfo.setl_id);
    }
    const perStay = await d.db.selectFrom('settlement').select(['visit', (e) => e.fn.countAll<string>().as('n')]).where('visit', 'in', stays.map((v) => v.m)).groupBy('visit').execute();
    assert.equal(perStay.length, stays.length);
    assert.ok(perStay.every((r) => Number(r.n) === 1), JSON.stringify(perStay.filter((r) => Number(r.n) !== 1)));
    assert.equal(await count('settlements'), settledAtStart + stays.length);
    assert.equal(await count('replyless'), 0, 'every claim has its reply now');
    assert.equal(await ledgerSum(), 0);

    // 2305 under the same crash
    const reversals = stays.map((v) => client.envelope('2305', { data: { setl_id: setlIds.get(v.m), mdtrt_id: v.m, psn_no: v.p.psnNo } }));
    const reversedBefore = await count('reversed');
    const revAnswers = await sendAndKill(client, reversals, async () => (await count('reversed')) >= reversedBefore + 6);
    await svc.start();
    client = new FsiClient(svc.base, token, HA, 'IS');
    await client.signIn();
    for (const [i, r] of reversals.entries()) {
      const again = await client.post(r);
      assert.equal(again.infcode, 0, again.err_msg);
      assert.equal(again.output.setlinfo.init_setl_id, setlIds.get(stays[i].m));
      assert.equal(again.output.setlinfo.medfee_sumamt, -stays[i].sum);
      const before = revAnswers.get(r.msgid as string);
      if (before?.infcode === 0) assert.deepEqual(again, before);
    }
    assert.equal((await d.db.selectFrom('settlement').select('id').where('visit', 'in', stays.map((v) => v.m)).where('reversed_at', 'is', null).execute()).length, 0);
    assert.equal(await count('reversed'), reversedBefore + stays.length, 'each stay’s settlement reversed once, nothing re-settled');
    assert.equal(await count('replyless'), 0);
    assert.equal(await ledgerSum(), 0);
  });
});
