/**
 * Room src/drg/ — payment by group (DRG, later DIP) on the books: the stays grouped
 * (src/settlement/drg-grouping.ts), the catalogue of an area and year, the monthly pre-payment
 * and the annual clearing posted to the ledger, and the figures the notices measure.
 * May import: src/hospitals, src/settlement and everything below them.
 *
 * This file: the cases of an area's year as the payment runs read them, and the catalogue a
 * pack names — computed from a base year's settlements (a DRG's average cost over the average
 * cost of all cases) or given as data (a published table, a DIP score catalogue).
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import { InputError } from '../errors.js';
import type { PaymentPack } from '../policy/drg-payment-pack.js';
import { catalogueOf, drgCatalogue, relativeWeights, type PaymentCatalogue, type WeightTable } from '../rules/drg/payment.js';
import type { DB } from '../store/schema.js';

type Db = Kysely<DB> | Transaction<DB>;

/** One stay grouped in an area's year, with its live settlement (null: reversed, none left). */
export interface PayableCase {
  encounterId: string;
  settlementId: string | null;
  hospitalCode: string;
  dischargeDate: string;
  status: string;
  drg: string | null;
  /** the live settlement's total medical cost (the item-based amount), fen; 0 without one */
  costFen: number;
}

/** The grouped stays of an area's year at the pack's hospitals (discharged up to `until`, when given). */
export async function payableCases(db: Db, pack: PaymentPack, year: number, until?: string): Promise<PayableCase[]> {
  let q = db
    .selectFrom('drg_case as c')
    .leftJoin('settlement as s', (j) => j.onRef('s.encounter_id', '=', 'c.encounter_id').on('s.reversed_at', 'is', null))
    .select(['c.encounter_id', 's.id as settlement_id', 'c.hospital_code', 'c.discharge_date', 'c.status', 'c.drg', 's.total_fen'])
    .where('c.region', '=', pack.region)
    .where('c.coverage_year', '=', year)
    .where('c.hospital_code', 'in', pack.hospitals.value);
  if (until) q = q.where('c.discharge_date', '<=', until);
  const rows = await q.orderBy('c.discharge_date').orderBy('c.encounter_id').execute();
  return rows.map((r) => ({
    encounterId: String(r.encounter_id),
    settlementId: r.settlement_id === null ? null : String(r.settlement_id),
    hospitalCode: r.hospital_code,
    dischargeDate: r.discharge_date,
    status: r.status,
    drg: r.status === 'success' ? r.drg : null,
    costFen: r.total_fen === null ? 0 : Number(r.total_fen),
  }));
}

export interface Catalogue {
  catalogue: PaymentCatalogue;
  /** the weight table, when computed from a base year */
  weights: WeightTable | null;
}

/** The catalogue of a pack: from its base year's settled, grouped stays, or as its data gives it. */
export async function catalogueFor(db: Db, pack: PaymentPack): Promise<Catalogue> {
  const spec = pack.catalogue.value;
  const source = { ...pack.catalogue, value: spec.from === 'data' ? 'the groups given in the pack' : `the base year ${spec.baseYear}'s settlements` };
  if (spec.from === 'data') return { catalogue: catalogueOf(pack.kind, pack.name, spec.overallAverageCostFen, spec.groups, source), weights: null };
  const rows = await db
    .selectFrom('drg_case as c')
    .innerJoin('settlement as s', (j) => j.onRef('s.encounter_id', '=', 'c.encounter_id').on('s.reversed_at', 'is', null))
    .select(['c.drg', 's.total_fen'])
    .where('c.region', '=', pack.region)
    .where('c.coverage_year', '=', spec.baseYear)
    .where('c.status', '=', 'success')
    .where('c.hospital_code', 'in', pack.hospitals.value)
    .where(sql<boolean>`c.drg is not null`)
    .execute();
  if (rows.length === 0) throw new InputError('catalogue', `${pack.id}: no grouped, settled stay of the base year ${spec.baseYear} at the pack's hospitals: no weight can be computed yet`);
  const weights = relativeWeights(
    rows.map((r) => ({ drg: r.drg!, costFen: Number(r.total_fen) })),
    {
      ...(spec.minCases ? { minCases: { ...pack.catalogue, key: 'catalogue.minCases', value: spec.minCases } } : {}),
      ...(spec.trim ? { trim: { low: { ...pack.catalogue, key: 'catalogue.trim.low', value: spec.trim.low }, high: { ...pack.catalogue, key: 'catalogue.trim.high', value: spec.trim.high } } } : {}),
    },
  );
  return { catalogue: drgCatalogue(weights, `${pack.name}：${spec.baseYear}年度权重`, source), weights };
}
