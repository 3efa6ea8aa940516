/**
 * High-burden warnings in the database: each person's out-of-pocket cost after the three tiers
 * over the coverage year and the rolling window, in one statement for a set of persons (as their
 * settlements are written: SettlementOptions.afterWrite) or for everyone (the batch scan), the
 * pack's thresholds applied by the pure rule (src/rules/risk/burden.ts), a warning written once
 * per person, year and basis.
 */
import { sql, type Kysely } from 'kysely';
import type { PolicyLibrary } from '../policy/loader.js';
import { assessBurden, burdenRuleOf, type BurdenFacts, type BurdenRule, type BurdenWarning } from '../rules/risk/burden.js';
import type { DB } from '../store/schema.js';
import { riskDb } from './tables.js';

interface FactsRow {
  person_id: string;
  village_code: string;
  region: string;
  coverage_year: number;
  year_burden: string;
  year_n: number;
  last_date: string;
  last_id: string;
  rolling_burden: string;
  rolling_n: number;
  rolling_from: string;
  statuses: string[] | null;
}

export class BurdenWatch {
  private regions: string[] | null = null;
  /** each region and year's rule, worked out once (the policy library does not change while the service runs) */
  private readonly rules = new Map<string, BurdenRule | null>();
  private readonly ruleRows = new Map<string, { region: string; year: number; months: number; min_fen: number }[]>();

  constructor(
    private readonly db: Kysely<DB>,
    private readonly lib: PolicyLibrary,
  ) {}

  private ruleFor(region: string, year: number): BurdenRule | null {
    const key = `${region}/${year}`;
    let r = this.rules.get(key);
    if (r === undefined) {
      const pack = this.lib.packFor(region, year);
      r = pack ? burdenRuleOf(pack) : null;
      this.rules.set(key, r);
    }
    return r;
  }

  /** The rules of every region of the register for the years: [{region, year, months, min_fen}]. */
  private async rulesFor(years: number[]): Promise<{ region: string; year: number; months: number; min_fen: number }[]> {
    if (!this.regions) this.regions = (await this.db.selectFrom('admin_area').select('region').distinct().execute()).map((r) => r.region);
    const key = [...years].sort((a, b) => a - b).join(',');
    const known = this.ruleRows.get(key);
    if (known) return known;
    const out = [];
    for (const region of this.regions)
      for (const year of years) {
        const r = this.ruleFor(region, year);
        if (r) out.push({ region, year, months: r.rollingMonths, min_fen: Math.min(r.general, r.needy) });
      }
    this.ruleRows.set(key, out);
    return out;
  }

  /**
   * The facts of the persons (null: everyone) for the years, as one statement: the year's
   * burden, the rolling window up to the person's latest encounter of that year, the needy
   * statuses valid on that day. Only rows at or above the lowest threshold of their pack.
   */
  async facts(years: number[], persons: string[] | null): Promise<{ facts: BurdenFacts; region: string }[]> {
    const rules = await this.rulesFor(years);
    if (rules.length === 0) return [];
    const personFilter = persons ? sql`AND s.person_id = ANY(${persons.map(Number)}::bigint[])` : sql``;
    const rows = await sql<FactsRow>`
      WITH t AS (SELECT * FROM jsonb_to_recordset(${JSON.stringify(rules)}::jsonb) AS t(region text, year int, months int, min_fen bigint)),
      y AS (
        SELECT s.person_id, s.coverage_year, sum(s.cash_fen) AS year_burden, count(*)::int AS year_n,
               max(s.adm_date) AS last_date, max(s.settlement_id) AS last_id
          FROM risk_settled s
         WHERE s.coverage_year = ANY(${years}::int[]) ${personFilter}
         GROUP BY s.person_id, s.coverage_year)
      SELECT y.person_id::text, p.village_code, a.region, y.coverage_year, y.year_burden::text, y.year_n,
             to_char(y.last_date, 'YYYY-MM-DD') AS last_date, y.last_id::text,
             r.rolling_burden::text, r.rolling_n, to_char((y.last_date - make_interval(months => t.months))::date + 1, 'YYYY-MM-DD') AS rolling_from,
             (SELECT array_agg(DISTINCT ns.status ORDER BY ns.status) FROM needy_status ns
               WHERE ns.person_id = y.person_id AND ns.valid_from <= y.last_date AND (ns.valid_to IS NULL OR ns.valid_to >= y.last_date)) AS statuses
        FROM y
        JOIN person p ON p.id = y.person_id
        JOIN admin_area a ON a.code = p.village_code
        JOIN t ON t.region = a.region AND t.year = y.coverage_year
        CROSS JOIN LATERAL (
          SELECT coalesce(sum(x.cash_fen), 0) AS rolling_burden, count(*)::int AS rolling_n
            FROM risk_settled x
           WHERE x.person_id = y.person_id AND x.adm_date > (y.last_date - make_interval(months => t.months))::date AND x.adm_date <= y.last_date) r
       WHERE y.year_burden >= t.min_fen OR r.rolling_burden >= t.min_fen`.execute(this.db);
    return rows.rows.map((r) => ({
      region: r.region,
      facts: {
        personId: r.person_id,
        villageCode: r.village_code,
        coverageYear: r.coverage_year,
        statuses: r.statuses ?? [],
        yearBurden: Number(r.year_burden),
        yearEncounters: r.year_n,
        yearFrom: `${r.coverage_year}-01-01`,
        yearTo: `${r.coverage_year}-12-31`,
        rollingBurden: Number(r.rolling_burden),
        rollingEncounters: r.rolling_n,
        rollingFrom: r.rolling_from,
        rollingTo: r.last_date,
        lastSettlementId: r.last_id,
      },
    }));
  }

  /** Assess the persons (null: everyone) for the years and write the new warnings; returns the ones written. */
  async assess(years: number[], persons: string[] | null, foundBy: 'settlement' | 'scan'): Promise<(BurdenWarning & { id: string })[]> {
    const found = await this.facts(years, persons);
    const warnings: BurdenWarning[] = [];
    for (const { facts, region } of found) {
      const rule = this.ruleFor(region, facts.coverageYear);
      if (rule) warnings.push(...assessBurden(rule, facts));
    }
    if (warnings.length === 0) return [];
    const written = await riskDb(this.db)
      .insertInto('risk_warning')
      .values(
        warnings.map((w) => ({
          person_id: w.personId,
          village_code: w.villageCode,
          coverage_year: w.coverageYear,
          basis: w.basis,
          period_from: w.periodFrom,
          period_to: w.periodTo,
          burden_fen: w.burden,
          threshold_fen: w.threshold,
          needy: w.needy,
          statuses: w.statuses,
          encounters: w.encounters,
          settlement_id: w.settlementId,
          explanation: JSON.stringify(w.explanation),
          found_by: foundBy,
        })),
      )
      .onConflict((oc) => oc.columns(['person_id', 'coverage_year', 'basis']).doNothing())
      .returning(['id', 'person_id', 'basis', 'coverage_year'])
      .execute();
    const key = (p: string, y: number, b: string) => `${p}/${y}/${b}`;
    const ids = new Map(written.map((r) => [key(r.person_id, r.coverage_year, r.basis), r.id]));
    return warnings.filter((w) => ids.has(key(w.personId, w.coverageYear, w.basis))).map((w) => ({ ...w, id: ids.get(key(w.personId, w.coverageYear, w.basis))! }));
  }

  /** SettlementOptions.afterWrite: the persons of the settlements just written. */
  readonly afterWrite = async (written: { personId: string; year: number }[]): Promise<void> => {
    const years = [...new Set(written.map((w) => w.year))];
    await this.assess(years, [...new Set(written.map((w) => w.personId))], 'settlement');
  };
}
