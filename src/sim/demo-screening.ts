/**
 * The demo's fraud-screening hits (issue #18), so that 基金监管 has cases to open: a few
 * realistic irregularities planted in the settled year, then the area's screening run once.
 *
 * - 死亡后结算 (FR02): two residents the register later records as dead (死亡日期, as the civil
 *   affairs' death list would bring it), three weeks before an encounter that was still settled
 *   on their cards (冒名就医).
 * - 分解住院 (FR08): two residents' inpatient stays (慢阻肺急性加重, J44.100) discharged and
 *   re-admitted at the same hospital with the same diagnosis a week later, recorded and settled
 *   through the settlement service (with the burden watch, as every demo settlement).
 *
 * (Overlapping stays in two hospitals, FR01, need the platform's admission and discharge records
 * of the visits; the demo's encounters have none, so none is planted.) Every change is audited
 * as "system" with what it plants; the people are drawn by a fixed rule from the settled year, so
 * a seeding is reproducible. Example data: the irregularities are made up.
 */
import { sql } from 'kysely';
import { audit } from '../access/audit.js';
import { SYSTEM } from '../access/roles.js';
import type { Database } from '../store/db.js';
import type { QuoteService } from '../quotes/quote-service.js';
import type { SettlementService } from '../settlement/settlement-service.js';
import { screenFor } from '../risk/screening.js';

export interface DemoScreening {
  /** persons given a date of death before a settled encounter */
  deaths: number;
  /** re-admissions recorded and settled */
  readmissions: number;
  /** cases the screening found, by rule */
  cases: Record<string, number>;
}

const addDays = (date: string, n: number): string => new Date(Date.parse(`${date}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

export async function plantScreeningHits(database: Database, quotes: QuoteService, settlements: SettlementService, o: { year: number; region: string }): Promise<DemoScreening> {
  const db = database.db;
  // 死亡后结算: the two oldest residents with a settled outpatient visit between April and October
  const { rows: dead } = await sql<{ person_id: string; date: string }>`
    SELECT DISTINCT ON (p.birth_date, p.id) p.id::text AS person_id, to_char(e.date, 'YYYY-MM-DD') AS date
      FROM settlement s JOIN encounter e ON e.id = s.encounter_id JOIN person p ON p.id = s.person_id
     WHERE s.reversed_at IS NULL AND s.coverage_year = ${o.year} AND e.type = 'general_outpatient' AND p.date_of_death IS NULL
       AND e.date BETWEEN make_date(${o.year}, 4, 1) AND make_date(${o.year}, 10, 31) AND s.basic_fund_fen > 0
     ORDER BY p.birth_date, p.id, e.date
     LIMIT 2`.execute(db);
  for (const d of dead) {
    const death = addDays(d.date, -21);
    await db.updateTable('person').set({ date_of_death: death }).where('id', '=', d.person_id).execute();
    await audit(db, SYSTEM, 'demo.date_of_death', 'person', d.person_id, { dateOfDeath: death, note: '示例：演示数据中登记的死亡日期（其后仍有结算）' });
  }
  // 分解住院: two residents with a settled inpatient stay get a stay for an exacerbation of COPD
  // (J44.100) three weeks later, discharged, and re-admitted with the same diagnosis a week after
  const { rows: stays } = await sql<{ person_id: string; hospital_code: string; date: string }>`
    SELECT s.person_id::text, s.hospital_code, to_char(e.date, 'YYYY-MM-DD') AS date
      FROM settlement s JOIN encounter e ON e.id = s.encounter_id JOIN person p ON p.id = s.person_id
     WHERE s.reversed_at IS NULL AND s.coverage_year = ${o.year} AND e.type = 'inpatient' AND p.date_of_death IS NULL
       AND e.date BETWEEN make_date(${o.year}, 2, 1) AND make_date(${o.year}, 10, 31)
       AND NOT EXISTS (SELECT 1 FROM encounter x WHERE x.person_id = s.person_id AND x.coverage_year = ${o.year} AND x.type = 'inpatient' AND x.date > e.date)
     ORDER BY p.birth_date, s.id
     LIMIT 2`.execute(db);
  const stay = (s: (typeof stays)[number], date: string, externalId: string) => {
    const fen = 580_000; // a county hospital's COPD stay, 5 800 yuan (example)
    return { hospitalCode: s.hospital_code, personId: s.person_id, coverageYear: o.year, type: 'inpatient' as const, date, disease: 'J44.100', costs: { total: fen / 100, fullOwnPay: 0, overLimitSelfPay: 0, preSelfPay: 0, inScope: fen / 100 }, externalId };
  };
  const made: ({ id: string } | { error: Error })[] = [];
  // the first stays, settled, then the re-admissions (each person's settlements in date order)
  for (const pass of [21, 28])
    for (const m of await settlements.createEncounters(SYSTEM, stays.map((s, i) => stay(s, addDays(s.date, pass), `DEMO-READMIT-${i}-${pass}`)))) {
      if ('id' in m) await settlements.settle(SYSTEM, m.id, { trace: false });
      if (pass === 28) made.push(m);
    }
  const readmissions = made.filter((m) => 'id' in m).length;
  const run = await screenFor(db, quotes.lib, SYSTEM, { year: o.year, region: o.region });
  return { deaths: dead.length, readmissions, cases: Object.fromEntries(run.rules.filter((r) => r.found > 0).map((r) => [r.code, r.found])) };
}
