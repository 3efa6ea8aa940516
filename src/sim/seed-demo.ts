/**
 * Room src/sim/ — the generated town (population, encounters) and the demo seeding.
 * May import: every domain room and below; never src/http or src/cli.
 *
 * The demo: on first start with an empty database, a generated town of 丰都县 (villages,
 * households, ~30 000 people with realistic shares of needy statuses), its 2022 enrollment
 * campaign assessed by the engine, payments on their dates as a payment file (re-quoted as the payment service does), and
 * a year of encounters settled through the settlement service, then the money that finances
 * 大病保险 and 医疗救助 as fund transfers (example amounts: the notices give none), and the
 * town's campaign sheets (village targets, e-voucher activations; src/sim/campaign-sheets.ts). The
 * settlements are watched for high burdens as they are written (BurdenWatch, as the server wires
 * it), and a few screening hits are planted and screened (src/sim/demo-screening.ts) — so a
 * newcomer sees a living system. Everything goes through the same services the API uses, and is audited as "system".
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import type { Database } from '../store/db.js';
import { foregroundPressed, isBackground } from '../store/priority.js';
import { AuthService } from '../access/auth.js';
import { SYSTEM, type Role } from '../access/roles.js';
import { recordTransfer, type TransferKind } from '../ledger/fund-transfers.js';
import { ACCOUNTS } from '../ledger/ledger.js';
import { formatYuan } from '../money.js';
import type { QuoteService } from '../quotes/quote-service.js';
import { SettlementService } from '../settlement/settlement-service.js';
import type { EncounterRequest } from '../settlement/requests.js';
import { demoDrg, type DemoDrg } from './demo-drg.js';
import { importPaymentFile } from '../monitoring/payment-file.js';
import { openSheetWriter } from '../sheets.js';
import { loadCampaignSheets } from './campaign-sheets.js';
import { loadTown } from './load-town.js';
import { generateTown } from './population.js';
import { assessYear } from '../campaign/assessment.js';
import { importCatalogue } from '../hospitals/catalogue/import.js';
import { DEFAULT_POLICY_DIR } from '../policy/loader.js';
import { BurdenWatch } from '../risk/burden-watch.js';
import { plantScreeningHits, type DemoScreening } from './demo-screening.js';

/** The same calendar day `n` years later (29 February → 1 March), as YYYY-MM-DD text. */
const addYears = (date: string, n: number): string => `${Number(date.slice(0, 4)) + n}${date.slice(4)}`;

export interface DemoOptions {
  people: number;
  coverageYear?: number;
  /** settle at most this many encounters (the rest stay unsettled); default all */
  maxEncounters?: number;
  onProgress?: (stage: string, done: number, total: number) => void;
}

export interface DemoUser {
  username: string;
  password: string;
  role: Role;
  scope: string;
}

export interface DemoSummary {
  persons: number;
  enrollments: number;
  payments: number;
  paymentProblems: number;
  encounters: number;
  settlements: number;
  /** the example transfers into the critical-illness and medical-assistance funds */
  transfers: DemoTransfer[];
  /** the inpatient stays grouped by CHS-DRG and the month pre-payments run (src/sim/demo-drg.ts) */
  drg: DemoDrg;
  /** high-burden warnings written as the settlements arrived */
  warnings: number;
  /** the planted screening hits and the cases the screening found */
  screening: DemoScreening;
  users: DemoUser[];
  /** villages with an imported target, and e-voucher activations (the demo's campaign sheets) */
  campaignSheets: { targets: number; activations: number };
  seconds: number;
}

export interface DemoTransfer {
  reference: string;
  kind: TransferKind;
  amountYuan: number;
  memo: string;
}

/** Encounters recorded and settled together: a wave; while requests arrive on PGlite, a small one. */
export const WAVE = 256;
export const SMALL_WAVE = 32;

/** The example per-capita allocation to 大病保险 (yuan): the notices set no amount. */
export const DEMO_CRITICAL_ILLNESS_PER_CAPITA_YUAN = 60;

/** Demo accounts: their passwords are printed at start-up, and are for the demo only. */
export const DEMO_USERS: (DemoUser & { villages?: string[]; hospitalCode?: string })[] = [
  { username: 'admin', password: 'demo-admin-2022', role: 'admin', scope: 'everything' },
  { username: 'policy', password: 'demo-policy-2022', role: 'policy_officer', scope: 'read, run the campaign' },
  { username: 'clerk', password: 'demo-clerk-2022', role: 'clerk', scope: '兴义镇 (500230100)', villages: ['500230100'] },
  { username: 'auditor', password: 'demo-auditor-2022', role: 'auditor', scope: 'read-only' },
  { username: 'hospital', password: 'demo-hospital-2022', role: 'hospital', scope: '丰都县人民医院 (H50023002)', hospitalCode: 'H50023002' },
  { username: 'finance', password: 'demo-finance-2022', role: 'finance', scope: 'the funds: statements, payments, receipts, projections' },
];

/** Planner statistics for the tables just loaded (migration 022's refresh_statistics, as their owner). */
export async function refreshStatistics(db: Database['db']): Promise<void> {
  await sql`SELECT refresh_statistics()`.execute(db);
}

export async function isEmpty(database: Database): Promise<boolean> {
  const r = await database.db.selectFrom('person').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow();
  return r.n === 0;
}

/** The demo's catalogue: example rows (policies/catalogue/README.md), not a published catalogue. */
export const DEMO_CATALOGUE = join(DEFAULT_POLICY_DIR, 'catalogue', 'example-500230.csv');

export async function seedDemo(database: Database, quotes: QuoteService, o: DemoOptions): Promise<DemoSummary> {
  const t0 = performance.now();
  const year = o.coverageYear ?? 2022;
  const progress = o.onProgress ?? (() => {});
  const db = database.db;
  const town = generateTown({ people: o.people, coverageYear: year });
  await loadTown(db, town, (done, total, what) => progress(what, done, total));
  await refreshStatistics(db); // the tables were empty: plans for what they hold now

  const auth = new AuthService(db);
  for (const u of DEMO_USERS)
    if (!(await db.selectFrom('app_user').select('id').where('username', '=', u.username).executeTakeFirst()))
      await auth.createUser(SYSTEM, { username: u.username, displayName: `演示：${u.scope}`, password: u.password, role: u.role, villages: u.villages, hospitalCode: u.hospitalCode });

  // the town's breakdown sheet (village targets) and the e-voucher activation list, through the monitoring imports
  progress('campaign sheets', 0, 1);
  const sheets = await loadCampaignSheets(db, town);
  progress('campaign sheets', 1, 1);
  // the example catalogue (医保目录, every row marked example:), so the hospitals' fee lines are classified by code
  await importCatalogue(db, SYSTEM, { path: DEMO_CATALOGUE });

  // the tier each person chose goes into the first assessment (regions without tiers ignore it)
  const chosenTiers = new Map(town.persons.filter((p) => p.tier === 'tier2').map((p) => [p.idNumber, 'tier2']));
  const assessed = await assessYear(db, quotes, { coverageYear: year, actor: SYSTEM, chosenTiers, onProgress: (d, t) => progress('assessment', d, t) });
  await refreshStatistics(db);

  // the payments as the tax bureau's file of the year, imported in batches through the payment-file
  // import (each re-quoted on its date, as a single payment is). A newborn whose household has
  // already paid for an adult who can be its guardian follows that guardian and pays nothing.
  const payers = town.persons.filter((p) => p.payment);
  let payments = 0;
  let paymentProblems = 0;
  const stored = new Map(
    (await db.selectFrom('enrollment as e').innerJoin('person as p', 'p.id', 'e.person_id').select(['p.id_number', 'e.state', 'e.quote']).where('e.coverage_year', '=', year).execute()).map((r) => [r.id_number, r]),
  );
  const paidAdults = new Map<string, string[]>(); // household → birth dates of adults paid so far
  const dir = mkdtempSync(join(tmpdir(), 'yibao-demo-payments-'));
  try {
    const file = join(dir, `缴费明细-${year}.csv`);
    const w = await openSheetWriter(file, '缴费明细');
    await w.write(['流水号', '身份证号', '缴费金额', '缴费日期', '缴费渠道', '年度']);
    let rows = 0;
    for (let i = 0; i < payers.length; i++) {
      const p = payers[i];
      const e = stored.get(p.idNumber);
      if (!e || e.state !== 'assessed') continue; // blocked (employee insurance) or refused: nothing to pay
      const house = `${p.villageCode}/${p.houseNo}`;
      if (p.kind === 'newborn' && p.birthDate.startsWith(`${year}-`) && (paidAdults.get(house) ?? []).some((b) => addYears(b, 18) <= p.birthDate)) continue;
      const q = quotes.contribution({ ...(e.quote as { request: Record<string, unknown> }).request, paidOn: p.payment!.paidOn, trace: false });
      if (!q.accepted || q.individualDue === null) {
        paymentProblems++; // refused by the rules for that date
        continue;
      }
      const ownDue = q.individualDue;
      await w.write([`DEMO${year}${String(i).padStart(7, '0')}`, p.idNumber, formatYuan(Math.round((ownDue === 0 ? (q.contributionAssistance ?? 0) : ownDue) * 100)), p.payment!.paidOn, ownDue === 0 ? '医疗救助' : p.payment!.channel === 'online' ? '线上' : '线下', year]);
      rows++;
      if (p.kind !== 'newborn') paidAdults.set(house, [...(paidAdults.get(house) ?? []), p.birthDate]);
    }
    await w.close();
    // batch by batch (atomic: false): the file is the demo's own, and the service shows each batch as it lands
    const r = await importPaymentFile(db, quotes, SYSTEM, { path: file, batchSize: 1000, atomic: false, onBatch: (n) => progress('payments', n, rows) });
    payments = r.inserted;
    paymentProblems += r.bad;
    if (process.env.YIBAO_DEMO_DEBUG && r.bad) console.error('payments', r.problems.slice(0, 10));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  progress('payments', payers.length, payers.length);

  // A year of encounters, each person's settled in date order. They go in waves that hold at
  // most one encounter of each person: a wave's encounters are recorded, then settled all at
  // once, so the settlement service reads and writes them together (its batches); a person's
  // next encounter waits for the next wave.
  // the high-burden watch runs as each batch of settlements is written, as in the server
  const settlementService = new SettlementService(database, quotes, { afterWrite: new BurdenWatch(db, quotes.lib).afterWrite });
  const personIds = await db.selectFrom('person').select(['id', 'id_number']).execute();
  const pid = new Map(personIds.map((r) => [r.id_number, r.id]));
  const encs = town.encounters.slice(0, o.maxEncounters ?? town.encounters.length);
  let settlements = 0;
  // a wave's encounters are recorded in one batch (one insert); one the rules refuse is not recorded
  const request = (i: number): EncounterRequest => {
    const g = encs[i];
    const person = town.persons[g.person];
    return {
      hospitalCode: g.hospital,
      personId: pid.get(person.idNumber),
      coverageYear: year,
      type: g.type,
      ...(g.setting ? { setting: g.setting } : {}),
      date: g.date,
      location: g.location,
      referred: g.referred,
      ...(g.disease ? { disease: g.disease } : {}),
      costs: { total: g.costs.total / 100, fullOwnPay: g.costs.fullOwnPay / 100, overLimitSelfPay: g.costs.overLimitSelfPay / 100, preSelfPay: g.costs.preSelfPay / 100, inScope: g.costs.inScope / 100 },
      externalId: `DEMO-${i}`,
    };
  };
  // On PGlite's one session a request waits for the loader's holder in progress (the priority of
  // src/store/priority.ts cannot pre-empt it): while requests are arriving the waves are small
  // (short holds: one insert of a few encounters, one batch of their settlements), otherwise
  // large (fewer round trips). Only when the demo runs as background work (`npm start`): run in
  // the foreground (a test, the CLI) its own statements are what presses.
  const shared = database.kind === 'pglite' && isBackground();
  const pressed = (): boolean => shared && foregroundPressed();
  const waveSize = (): number => (pressed() ? SMALL_WAVE : WAVE);
  let wave: number[] = [];
  const inWave = new Set<number>();
  const flush = async (): Promise<void> => {
    const ids = (await settlementService.createEncounters(SYSTEM, wave.map(request))).flatMap((r) => ('id' in r ? [r.id] : []));
    const settled = await Promise.allSettled(ids.map((id) => settlementService.settle(SYSTEM, id, { trace: false })));
    settlements += settled.filter((r) => r.status === 'fulfilled').length; // one the rules refuse stays unsettled
    wave = [];
    inWave.clear();
  };
  // The settlement's tables start empty, and the embedded database runs no autovacuum: planner
  // statistics each time they have grown fourfold, so the batches' plans fit what they hold.
  let analyzedAt = 1000;
  for (let i = 0; i < encs.length; i++) {
    if (inWave.has(encs[i].person) || wave.length >= waveSize()) {
      await flush();
      progress('settlements', i, encs.length);
      // (while requests arrive, put off up to twice as far: the statistics hold the session for long)
      if (i >= analyzedAt && (!pressed() || i >= analyzedAt * 2)) {
        await sql`SELECT refresh_settlement_statistics()`.execute(db); // migration 035: the settlement's tables only
        analyzedAt = i * 4;
      }
    }
    wave.push(i);
    inWave.add(encs[i].person);
  }
  await flush();
  progress('settlements', encs.length, encs.length);
  await refreshStatistics(db);
  // the planted screening hits (their settlements before the funds' financing is worked out)
  progress('screening', 0, 1);
  const screening = await plantScreeningHits(database, quotes, settlementService, { year, region: town.county });
  progress('screening', 1, 1);
  const transfers = await demoTransfers(database, year);
  const drg = await demoDrg(db, town.county, year);
  const warnings = Number((await sql<{ n: string }>`SELECT count(*)::text AS n FROM risk_warning WHERE coverage_year = ${year}`.execute(db)).rows[0].n);
  await db.insertInto('schema_meta').values({ key: 'demo', value: JSON.stringify({ people: o.people, year, at: new Date().toISOString() }) }).onConflict((oc) => oc.column('key').doNothing()).execute();
  return {
    persons: town.persons.length,
    enrollments: assessed.persons,
    payments,
    paymentProblems,
    encounters: encs.length,
    settlements,
    transfers,
    drg,
    warnings,
    screening,
    users: DEMO_USERS.map(({ username, password, role, scope }) => ({ username, password, role, scope })),
    campaignSheets: sheets,
    seconds: (performance.now() - t0) / 1000,
  };
}

/**
 * What finances the two funds the demo year drew on, recorded through the transfer service.
 * The notices give no amounts, so both are examples and their memos say so: 大病保险 gets an
 * allocation from the basic fund of 60 yuan per paid enrollment; the medical-assistance fund a
 * fiscal appropriation of what it paid in the demo (contributions for assisted persons and its
 * settlement payments), rounded up to the next 10 000 yuan. Idempotent by reference, so a
 * resumed seeding records them once.
 */
async function demoTransfers(database: Database, year: number): Promise<DemoTransfer[]> {
  const db = database.db;
  const out: DemoTransfer[] = [];
  const paid = await db.selectFrom('enrollment').select(sql<number>`count(*)::int`.as('n')).where('coverage_year', '=', year).where('state', '=', 'paid').executeTakeFirstOrThrow();
  const perCapita = DEMO_CRITICAL_ILLNESS_PER_CAPITA_YUAN;
  if (paid.n > 0) {
    const memo = `示例：通知未规定大病保险筹资标准，按每人${perCapita}元示例划转（${paid.n}人参保缴费 × ${perCapita}元），不是政策规定的数额`;
    const r = await recordTransfer(db, SYSTEM, { kind: 'critical_illness_allocation', reference: `DEMO-CI-${year}`, coverageYear: year, amountYuan: formatYuan(paid.n * perCapita * 100), memo });
    out.push({ reference: r.reference, kind: r.kind, amountYuan: r.amountYuan, memo });
  }
  // what the medical-assistance fund paid: its debit balance, as nothing else credits it (except this transfer)
  const spent = await db
    .selectFrom('posting as p')
    .innerJoin('journal_entry as j', 'j.id', 'p.entry_id')
    .select(sql<string>`coalesce(sum(p.amount_fen), 0)`.as('fen'))
    .where('p.account', '=', ACCOUNTS.medicalAssistanceFund)
    .where('j.source', '<>', 'fund_transfer')
    .executeTakeFirstOrThrow();
  const spentFen = Number(spent.fen);
  if (spentFen > 0) {
    const step = 10_000 * 100;
    const amountFen = Math.ceil(spentFen / step) * step;
    const memo = `示例：通知未规定医疗救助财政资金数额，按演示中医疗救助基金的支出（资助参保和医疗救助待遇共${formatYuan(spentFen)}元）向上取整到万元示例拨入，不是政策规定的数额`;
    const r = await recordTransfer(db, SYSTEM, { kind: 'medical_assistance_appropriation', reference: `DEMO-MA-${year}`, coverageYear: year, amountYuan: formatYuan(amountFen), memo });
    out.push({ reference: r.reference, kind: r.kind, amountYuan: r.amountYuan, memo });
  }
  return out;
}
