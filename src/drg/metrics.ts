/**
 * The figures the notices measure of payment by group, for one area and year (issue #19 item 4):
 * sums in SQL (numeric), the shares and per-hospital ratios by src/rules/drg/metrics.ts, each
 * target of policies/drg/targets beside the figure it measures, with its quote.
 */
import { sql, type Kysely } from 'kysely';
import { InputError } from '../errors.js';
import { paymentPackOf } from '../policy/drg-payment-pack.js';
import { loadDrgTargets, targetsFor, type DrgTarget } from '../policy/drg-targets.js';
import { fundShare, hospitalCoverage, hospitalMetrics, meets, type FundShare, type HospitalCoverage, type HospitalFacts, type HospitalMetrics } from '../rules/drg/metrics.js';
import type { DB } from '../store/schema.js';
import { catalogueFor } from './catalogue.js';

export interface TargetLine extends DrgTarget {
  /** whether it binds the area (national, or the area's province); others are shown for comparison */
  binds: boolean;
  /** the figure measured beside it (null: context only, or nothing to measure yet) */
  actual: string | null;
  met: boolean | null;
}

export interface HospitalLine extends HospitalMetrics {
  name: string;
  level: HospitalFacts['level'];
  ownership: HospitalFacts['ownership'];
  paidBy: HospitalFacts['paidBy'];
}

export interface DrgMetrics {
  region: string;
  year: number;
  /** the payment pack read (null: the area pays no hospital by group this year) */
  pack: string | null;
  method: 'DRG' | 'DIP' | null;
  catalogue: string | null;
  fund: FundShare;
  hospitals: HospitalCoverage;
  targets: TargetLine[];
  perHospital: HospitalLine[];
}

const big = (v: unknown): bigint => BigInt(String(v ?? 0));

export async function drgMetrics(db: Kysely<DB>, region: string, year: number, paymentDir?: string, targetsFile?: string): Promise<DrgMetrics> {
  if (!/^\d{6}$/.test(region)) throw new InputError('region', 'expected a 6-digit region code');
  if (!Number.isInteger(year) || year < 2000 || year > 2100) throw new InputError('year', 'expected a year 2000 to 2100');
  const pack = paymentPackOf(region, year, paymentDir);
  const paid = new Set(pack?.hospitals.value ?? []);
  const hs = await db.selectFrom('hospital').select(['code', 'name', 'level', 'ownership']).where('region', '=', region).orderBy('code').execute();
  const facts: HospitalFacts[] = hs.map((h) => ({ code: h.code, name: h.name, level: h.level, ownership: h.ownership, paidBy: paid.has(h.code) ? pack!.kind : null }));

  // the basic fund's inpatient spending of the area's year, live settlements, by hospital
  const spend = await db
    .selectFrom('settlement as s')
    .innerJoin('encounter as e', 'e.id', 's.encounter_id')
    .innerJoin('hospital as h', 'h.code', 'e.hospital_code')
    .select(['e.hospital_code', sql<string>`sum(s.basic_fund_fen)::numeric`.as('fund')])
    .where('h.region', '=', region)
    .where('s.coverage_year', '=', year)
    .where('e.type', '=', 'inpatient')
    .where('s.reversed_at', 'is', null)
    .groupBy('e.hospital_code')
    .execute();
  // the group adjustments posted by the area's runs of the year (month runs + the clearing's final − prepaid)
  const adj = await db
    .selectFrom('drg_case_payment as p')
    .innerJoin('drg_payment_run as r', 'r.id', 'p.run_id')
    .select(sql<string>`coalesce(sum(p.adjustment_fen), 0)::numeric`.as('adj'))
    .where('r.region', '=', region)
    .where('r.coverage_year', '=', year)
    .executeTakeFirstOrThrow();
  let all = big(adj.adj);
  let grouped = big(adj.adj);
  for (const r of spend) {
    all += big(r.fund);
    if (paid.has(r.hospital_code)) grouped += big(r.fund);
  }
  const fund = fundShare(Number(grouped), Number(all));
  const coverage = hospitalCoverage(facts);

  // per hospital paid by group: the grouped stays with a live settlement, weighed by the catalogue
  let catalogueName: string | null = null;
  const perHospital: HospitalLine[] = [];
  if (pack) {
    let weightOf: (drg: string | null) => number | undefined = () => undefined;
    try {
      const { catalogue } = await catalogueFor(db, pack);
      catalogueName = catalogue.name;
      weightOf = (drg) => (drg === null ? undefined : catalogue.group(drg)?.pointsE2);
    } catch (e) {
      if (!(e instanceof InputError)) throw e; // no base-year case yet: cases counted, no weight
    }
    const rows = await db
      .selectFrom('drg_case as c')
      .innerJoin('settlement as s', (j) => j.onRef('s.encounter_id', '=', 'c.encounter_id').on('s.reversed_at', 'is', null))
      .select(['c.hospital_code', 'c.drg', 'c.status', sql<number | null>`(c.record->>'losDays')::int`.as('los'), sql<string>`count(*)`.as('n'), sql<string>`sum(s.total_fen)::numeric`.as('cost')])
      .where('c.region', '=', region)
      .where('c.coverage_year', '=', year)
      .where('c.hospital_code', 'in', [...paid])
      .groupBy(['c.hospital_code', 'c.drg', 'c.status', sql`(c.record->>'losDays')::int`])
      .execute();
    const runs = await db
      .selectFrom('drg_case_payment as p')
      .innerJoin('drg_payment_run as r', 'r.id', 'p.run_id')
      .select(['p.hospital_code', 'r.kind', sql<string>`count(*)`.as('n'), sql<string>`sum(p.payment_fen)::numeric`.as('pay'), sql<string>`sum(p.cost_fen)::numeric`.as('cost')])
      .where('r.region', '=', region)
      .where('r.coverage_year', '=', year)
      .where('p.category', '<>', 'reversed')
      .groupBy(['p.hospital_code', 'r.kind'])
      .execute();
    for (const h of facts.filter((f) => f.paidBy !== null)) {
      let cases = 0, weighted = 0, points = 0n, cost = 0n, los = 0, losPoints = 0n;
      for (const r of rows.filter((x) => x.hospital_code === h.code)) {
        const n = Number(r.n);
        cases += n;
        const w = r.status === 'success' ? weightOf(r.drg) : undefined;
        if (w === undefined) continue;
        weighted += n;
        points += BigInt(w) * BigInt(n);
        cost += big(r.cost);
        if (r.los !== null) {
          los += r.los * n;
          losPoints += BigInt(w) * BigInt(n);
        }
      }
      const mine = runs.filter((r) => r.hospital_code === h.code);
      const run = mine.find((r) => r.kind === 'year') ?? mine.find((r) => r.kind === 'month');
      const m = hospitalMetrics({
        code: h.code,
        cases,
        weightedCases: weighted,
        pointsE2: points,
        weightedCostFen: Number(cost),
        losDays: los,
        losPointsE2: losPoints,
        paid: run ? { cases: Number(run.n), paymentFen: Number(run.pay), costFen: Number(run.cost), run: run.kind } : null,
      });
      perHospital.push({ ...m, name: h.name, level: h.level, ownership: h.ownership, paidBy: h.paidBy });
    }
  }

  const binding = new Set(targetsFor(region, targetsFile).map((t) => t.key));
  const targets: TargetLine[] = loadDrgTargets(targetsFile).map((t) => ({ ...t, binds: binding.has(t.key) })).map((t) => {
    if (t.measure === 'fund_share') return { ...t, actual: fund.share.value, met: meets(grouped, all, t.share!) };
    if (t.measure === 'public_hospitals') return { ...t, actual: coverage.groupShare.value, met: meets(coverage.paidByGroup, coverage.publicSecondaryPlus, t.share!) };
    if (t.measure === 'drg_hospitals') return { ...t, actual: coverage.drgShare.value, met: meets(coverage.paidByDrg, coverage.publicSecondaryPlus, t.share!) };
    return { ...t, actual: null, met: null };
  });
  return { region, year, pack: pack?.id ?? null, method: pack?.kind ?? null, catalogue: catalogueName, fund, hospitals: coverage, targets, perHospital };
}
