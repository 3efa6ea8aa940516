/** The tables of cross-area settlement (migration 031), typed for Kysely beside the store's own. */
import type { ColumnType, Kysely, Transaction } from 'kysely';
import type { DB } from '../store/schema.js';

type Timestamp = ColumnType<Date, string | undefined, string>;
type Json = ColumnType<unknown, string, string>;

export interface AreaFilingTable {
  filing_id: string;
  insured_area: string;
  treat_area: string;
  id_number: string;
  name: string;
  kind: 'outpatient' | 'inpatient' | 'all';
  valid_from: ColumnType<Date, string, string>;
  valid_to: ColumnType<Date | null, string | null, string | null>;
  reason: string | null;
  /** a withdrawal (migration 044): the filing it ends from valid_from on */
  withdraws: ColumnType<string | null, string | null | undefined, never>;
  filed_by: ColumnType<string | null, string | null | undefined, never>;
  created_at: Timestamp;
}

export type ClaimState = 'pending' | 'settled' | 'refused' | 'abandoned' | 'reversed';
export interface AreaClaimTable {
  setl_id: string;
  hospital_code: string;
  msgid: string;
  insured_area: string;
  kind: 'outpatient' | 'inpatient';
  state: ClaimState;
  request: Json;
  result: ColumnType<unknown, string | null | undefined, string | null>;
  fund_fen: ColumnType<string | null, number | null | undefined, number | null>;
  setl_time: ColumnType<Date | null, string | null | undefined, string | null>;
  reversed_by: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export type InsuredState = 'settled' | 'confirmed' | 'reversed' | 'cancelled';
export interface AreaSettlementTable {
  setl_id: string;
  treat_area: string;
  hospital_code: string;
  encounter_id: string | null;
  settlement_id: string | null;
  state: InsuredState;
  result: ColumnType<unknown, string | null | undefined, string | null>;
  fund_fen: ColumnType<string | null, number | null | undefined, number | null>;
  setl_time: ColumnType<Date | null, string | null | undefined, string | null>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface AreaClearingTable {
  month: string;
  insured_area: string;
  treat_area: string;
  count: number;
  total_fen: ColumnType<string, number, number>;
  digest: string;
  statement: Json;
  entry_id: string | null;
  agreed_at: Timestamp;
}

export interface AreasDB extends DB {
  area_filing: AreaFilingTable;
  area_claim: AreaClaimTable;
  area_settlement: AreaSettlementTable;
  area_clearing: AreaClearingTable;
}

export type ADb = Kysely<AreasDB> | Transaction<AreasDB>;

/** The store's database seen with the cross-area tables too. */
export const withAreas = (db: Kysely<DB>): Kysely<AreasDB> => db.withTables<Omit<AreasDB, keyof DB>>() as unknown as Kysely<AreasDB>;
/** The same database as the store's own type (for the store's helpers: audit, ledger). */
export const plain = (db: ADb): Kysely<DB> => db as unknown as Kysely<DB>;
