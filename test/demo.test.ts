/** The demo town goes through the real services and leaves a consistent system (small town, both databases). */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { QuoteService } from '../src/quotes/quote-service.ts';
import { trialBalance } from '../src/ledger/ledger-report.ts';
import { generateTown } from '../src/sim/population.ts';
import { seedDemo, SMALL_WAVE } from '../src/sim/seed-demo.ts';
import { foregroundPressed, inBackground } from '../src/store/priority.ts';
import { drgMetrics } from '../src/drg/metrics.ts';
import { isValidIdNumber } from '../src/registers/id-number.ts';
import { halfMonthlyReport } from '../src/monitoring/half-monthly.ts';
import { BACKENDS, freshDatabase, type TestDatabase } from './support/databases.ts';
import { defaultPartitionRows } from '../src/store/partitions.ts';
import { SYSTEM } from '../src/access/roles.ts';

test('the generated town is reproducible, with valid and unique ID numbers and realistic shares', () => {
  const a = generateTown({ people: 3000, encounters: false });
  const b = generateTown({ people: 3000, encounters: false });
  assert.deepEqual(a.persons.slice(0, 50), b.persons.slice(0, 50));
  assert.equal(new Set(a.persons.map((p) => p.idNumber)).size, a.persons.length);
  assert.ok(a.persons.every((p) => isValidIdNumber(p.idNumber)));
  const share = (f: (p: (typeof a.persons)[number]) => boolean) => a.persons.filter(f).length / a.persons.length;
  const dibao = share((p) => p.statuses.some((s) => s.status === 'dibao'));
  assert.ok(dibao > 0.02 && dibao < 0.12, `低保 share ${dibao}`);
  assert.ok(share((p) => p.payment !== null) > 0.85);
  assert.ok(share((p) => Number(p.birthDate.slice(0, 4)) <= 1962) > 0.15, 'many elderly, as in a mountain township');
});

for (const backend of BACKENDS)
  describe(`demo seeding on ${backend}`, () => {
    let d: TestDatabase;
    before(async () => {
      d = await freshDatabase(backend);
    });
    after(() => d?.drop());
    test('a small town: persons, payments, settlements; the ledger balances', async () => {
      const s = await seedDemo(d, QuoteService.load(), { people: 300 });
      assert.equal(s.persons, 300);
      assert.ok(s.payments > 250, `payments ${s.payments}`);
      assert.equal(s.paymentProblems, 0);
      assert.ok(s.settlements > 200 && s.settlements === s.encounters, `settlements ${s.settlements} of ${s.encounters}`);
      const tb = await trialBalance(d.db);
      assert.equal(tb.balanced, true);
      // planted screening hits (example irregularities) are found and wait for review on 基金监管
      assert.equal(s.screening.deaths, 2);
      assert.equal(s.screening.readmissions, 2);
      assert.ok((s.screening.cases.FR02 ?? 0) >= 2, `FR02 ${JSON.stringify(s.screening.cases)}: each settlement after the two deaths`);
      assert.ok((s.screening.cases.FR08 ?? 0) >= 2, `FR08 ${JSON.stringify(s.screening.cases)}`);
      const cases = await d.db.selectFrom('risk_case' as never).select(['rule_code', 'state'] as never).execute() as { rule_code: string; state: string }[];
      assert.ok(cases.length >= 4 && cases.every((c) => c.state === 'open'));
      // the high-burden watch ran as the settlements were written (not a batch scan afterwards)
      const w = await d.db.selectFrom('risk_warning' as never).select(['found_by'] as never).execute() as { found_by: string }[];
      assert.equal(w.length, s.warnings);
      assert.ok(w.every((x) => x.found_by === 'settlement'));

      // the year's rows in its partitions (migration 050): none in DEFAULT
      assert.deepEqual(await defaultPartitionRows(d.db), { encounter: 0, settlement: 0, posting: 0 });
      // the two funds the year drew on are financed (example amounts), so neither shows a deficit
      const natural = (code: string) => tb.accounts.find((a) => a.account === code)!.natural;
      assert.ok(natural('critical_illness_fund') >= 0, `critical_illness_fund ${natural('critical_illness_fund')}`);
      assert.ok(natural('medical_assistance_fund') >= 0, `medical_assistance_fund ${natural('medical_assistance_fund')}`);
      assert.deepEqual(s.transfers.map((t) => [t.reference, t.kind]), [
        ['DEMO-CI-2022', 'critical_illness_allocation'],
        ['DEMO-MA-2022', 'medical_assistance_appropriation'],
      ]);
      for (const t of s.transfers) assert.match(t.memo, /^示例：通知未规定.*不是政策规定的数额$/);
      const paid = await d.db.selectFrom('enrollment').select(sql<number>`count(*)::int`.as('n')).where('state', '=', 'paid').executeTakeFirstOrThrow();
      assert.equal(s.transfers[0].amountYuan, paid.n * 60, '60 yuan per paid enrollment');
      const ma = s.transfers[1].amountYuan;
      assert.equal(ma % 10_000, 0, 'rounded to 10 000 yuan');
      assert.ok(natural('medical_assistance_fund') < 10_000, 'rounded up to the next 10 000 yuan of what the fund paid');
      const rows = await d.db.selectFrom('fund_transfer').select(['reference', 'amount_fen', 'memo']).orderBy('id').execute();
      assert.deepEqual(rows.map((r) => [r.reference, Number(r.amount_fen) / 100, r.memo]), s.transfers.map((t) => [t.reference, t.amountYuan, t.memo]));
      assert.equal(natural('medical_assistance_appropriation_receivable'), ma);
      const n = await d.db.selectFrom('audit_log').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow();
      assert.ok(n.n > 100, 'the demo is audited as system');
      // the campaign in progress: village targets imported, e-vouchers activated, a half-monthly report to read
      assert.ok(s.campaignSheets.targets >= 1 && s.campaignSheets.activations > 150, JSON.stringify(s.campaignSheets));
      const r = await halfMonthlyReport(d.db, QuoteService.load(), SYSTEM, { town: '500230100', asOf: '2022-01-31' });
      assert.ok(r.villages.length >= 1 && r.villages.every((v) => v.targetSource === 'imported' && v.target > 0));
      assert.ok(r.totals.enrolled > 0 && r.totals.enrolled < r.totals.target, `${r.totals.enrolled} of ${r.totals.target} by the end of January`);
      assert.ok(r.totals.evouchers.activated > 0);
      assert.ok(r.totals.groups.persons > 0);
      // DRG payment (issue #19 item 5): the DRG hospitals' stays grouped from the scheme, the months pre-paid
      assert.equal(s.drg.pack, 'drg-payment/500230/2022');
      assert.equal(s.drg.prepaidMonths, 12);
      const stays = await d.db.selectFrom('settlement as st').innerJoin('encounter as e', 'e.id', 'st.encounter_id').select(sql<number>`count(*)::int`.as('n')).where('e.type', '=', 'inpatient').where('st.hospital_code', 'in', ['H50023002', 'H50010001']).where('st.reversed_at', 'is', null).executeTakeFirstOrThrow();
      assert.ok(s.drg.grouped > 0 && s.drg.grouped === stays.n, `${s.drg.grouped} grouped of ${stays.n}`);
      const m = await drgMetrics(d.db, '500230', 2022);
      assert.ok(m.perHospital.length === 2 && m.perHospital.every((h) => h.cases > 0 && h.cmi !== null && h.paid !== null), JSON.stringify(m.perHospital));
      assert.ok(m.fund.share.value !== null && Number(m.fund.share.value) > 0 && Number(m.fund.share.value) < 1, JSON.stringify(m.fund));
      assert.deepEqual([m.hospitals.publicSecondaryPlus, m.hospitals.paidByGroup], [2, 2]);
    });
    test('a socket is answered while the demo loads (PGlite runs in this thread and must let the event loop turn)', async () => {
      const other = await freshDatabase(backend);
      const server = createServer((_req, res) => res.end('ok'));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
      try {
        const { port } = server.address() as AddressInfo;
        const stages: string[] = [];
        const seeding = seedDemo(other, QuoteService.load(), {
          people: 200,
          onProgress: (stage) => {
            if (stages[stages.length - 1] !== stage) stages.push(stage);
          },
        });
        // one request after another; each notes the stage the seeder was in when it was answered
        const answeredIn: string[] = [];
        let done = false;
        const asking = (async () => {
          while (!done) {
            const r = await fetch(`http://127.0.0.1:${port}/`);
            assert.equal(await r.text(), 'ok');
            answeredIn.push(stages[stages.length - 1] ?? 'starting');
          }
        })();
        const s = await seeding;
        done = true;
        await asking;
        assert.equal(s.persons, 200);
        // every stage of the seeder that talks to the database answered requests meanwhile
        for (const stage of ['persons', 'assessment', 'payments', 'settlements'])
          assert.ok(answeredIn.includes(stage), `requests answered during ${stage}: stages ${stages.join(', ')}; answered in ${[...new Set(answeredIn)].join(', ')}`);
      } finally {
        server.close();
        await other.drop();
      }
    });
  });

describe('demo seeding on pglite while requests arrive (issue #15: short holds of the one session)', () => {
  /** seed in the background, as `npm start` does; with `asking`, foreground statements meanwhile; the settlement waves' sizes */
  const seed = async (asking: boolean) => {
    const d = await freshDatabase('pglite');
    try {
      const marks: number[] = [];
      let done = false;
      let asked = 0;
      const requester = (async () => {
        while (asking && !done) {
          await d.pool.query('SELECT count(*) FROM person');
          asked++;
          await new Promise((r) => setTimeout(r, 20)); // the console's user between two requests
        }
      })();
      // quiet means quiet: the fresh database's own (foreground) statements count as pressing for
      // PRESSED_MS, and a fast machine would settle the whole town within that window
      if (!asking) while (foregroundPressed()) await new Promise((r) => setTimeout(r, 100));
      const s = await inBackground(() => seedDemo(d, QuoteService.load(), { people: 300, onProgress: (stage, i) => stage === 'settlements' && marks.push(i) }));
      done = true;
      await requester;
      const waves = marks.slice(1).map((m, k) => m - marks[k]).filter((n) => n > 0);
      const tb = await trialBalance(d.db);
      return { s, waves: [marks[0], ...waves], asked, tb };
    } finally {
      await d.drop();
    }
  };
  test('small waves while foreground statements arrive, large ones otherwise; the same settlements and ledger either way', async () => {
    const quiet = await seed(false);
    const pressed = await seed(true);
    assert.ok(pressed.asked > 0);
    assert.ok(Math.max(...quiet.waves) > SMALL_WAVE, `quiet waves ${quiet.waves.join(' ')}`);
    assert.ok(Math.max(...pressed.waves) <= SMALL_WAVE, `waves while requests arrive ${pressed.waves.join(' ')}`);
    assert.equal(pressed.s.settlements, quiet.s.settlements);
    assert.equal(pressed.s.encounters, quiet.s.encounters);
    assert.equal(pressed.tb.balanced, true);
    assert.deepEqual(pressed.tb.accounts, quiet.tb.accounts);
  });
});
