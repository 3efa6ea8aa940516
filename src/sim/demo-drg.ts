/**
 * The demo town's DRG payment (issue #19 item 5): every live inpatient settlement at a hospital
 * the area's payment pack pays by group gets a discharge record drawn from the CHS-DRG scheme
 * (src/sim/drg-records.ts, seeded, so the same town gets the same records), grouped and stored
 * as the hospital's settlement list would be (source 'demo'); then the monthly pre-payments of
 * the year are run, so the console's DRG付费 page shows cases, CMI, 结余 / 超支 and the shares.
 * The annual clearing is left to the user (POST /api/v1/drg/clearings, one click away).
 * The records are the scheme's, not the persons': sex and age come with the drawn record.
 */
import type { Kysely } from 'kysely';
import { SYSTEM } from '../access/roles.js';
import { prepayMonth } from '../drg/payment-runs.js';
import { loadDrgScheme } from '../policy/drg-compile.js';
import { paymentPackOf } from '../policy/drg-payment-pack.js';
import { storeGrouping } from '../settlement/drg-grouping.js';
import type { DB } from '../store/schema.js';
import { DrgRecordMaker } from './drg-records.js';
import { Rng } from './random.js';

export interface DemoDrg {
  pack: string | null;
  grouped: number;
  prepaidMonths: number;
}

export async function demoDrg(db: Kysely<DB>, region: string, year: number, seed = 19): Promise<DemoDrg> {
  const pack = paymentPackOf(region, year);
  if (!pack) return { pack: null, grouped: 0, prepaidMonths: 0 };
  const stays = await db
    .selectFrom('settlement as s')
    .innerJoin('encounter as e', 'e.id', 's.encounter_id')
    .select(['s.id', 'e.external_id', 'e.date'])
    .where('s.coverage_year', '=', year)
    .where('e.type', '=', 'inpatient')
    .where('s.reversed_at', 'is', null)
    .where('s.hospital_code', 'in', pack.hospitals.value)
    .orderBy('s.id')
    .execute();
  const maker = new DrgRecordMaker(loadDrgScheme());
  const rng = new Rng(seed);
  let grouped = 0;
  for (const s of stays) {
    const record = maker.realistic(rng, s.external_id ?? `DEMO-S${s.id}`);
    await storeGrouping(db, SYSTEM, { settlementId: String(s.id), record, source: 'demo' });
    grouped++;
  }
  let prepaidMonths = 0;
  if (grouped > 0)
    for (let month = 1; month <= 12; month++) {
      await prepayMonth(db, SYSTEM, region, year, month);
      prepaidMonths++;
    }
  return { pack: pack.id, grouped, prepaidMonths };
}
