/** Table types of the risk room (migration 027), added to the database's types with Kysely's withTables. */
import type { ColumnType, Generated, JSONColumnType, Kysely, Transaction } from 'kysely';
import type { DB } from '../store/schema.js';

/** a timestamp with a default: optional on insert */
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Big = ColumnType<string, number | string | bigint, number | string | bigint>;
type DateCol = ColumnType<string, string, string>;

export interface RiskWarningTable {
  id: Generated<string>;
  person_id: Big;
  village_code: string;
  coverage_year: number;
  basis: 'coverage_year' | 'rolling_12_months';
  period_from: DateCol;
  period_to: DateCol;
  burden_fen: Big;
  threshold_fen: Big;
  needy: boolean;
  statuses: string[];
  encounters: number;
  settlement_id: Big | null;
  explanation: JSONColumnType<object>;
  found_by: 'settlement' | 'scan';
  created_at: Timestamp;
}

export interface RiskCaseTable {
  id: Generated<string>;
  rule_code: string;
  subject: string;
  coverage_year: number;
  hospital_code: string | null;
  person_id: Big | null;
  village_code: string | null;
  settlement_ids: ColumnType<string[], string[] | undefined, string[]>;
  fee_lines: JSONColumnType<{ mdtrt_id: string; feedetl_sn: string }[]>;
  amount_fen: Big;
  detail: JSONColumnType<object>;
  state: Generated<'open' | 'reviewed' | 'confirmed' | 'dismissed'>;
  recovered_fen: ColumnType<string, number | string | undefined, number | string>;
  recovery_entry: Big | null;
  found_at: Timestamp;
  updated_at: Timestamp;
}

export interface RiskCaseEventTable {
  id: Generated<string>;
  case_id: Big;
  from_state: string;
  to_state: string;
  actor: string;
  note: string | null;
  amount_fen: Big | null;
  at: Timestamp;
}

export interface AssistanceApplicationTable {
  id: Generated<string>;
  person_id: Big;
  coverage_year: number;
  warning_id: Big | null;
  reason: string;
  documents: JSONColumnType<{ name: string; reference?: string }[]>;
  state: Generated<'open' | 'approved' | 'rejected'>;
  requested_fen: Big | null;
  approved_fen: Big | null;
  decision: JSONColumnType<object> | null;
  referrals: ColumnType<string[], string[] | undefined, string[]>;
  entry_id: Big | null;
  created_by: string;
  created_at: Timestamp;
  decided_by: string | null;
  decided_at: Timestamp | null;
}

export type RiskTables = {
  risk_warning: RiskWarningTable;
  risk_case: RiskCaseTable;
  risk_case_event: RiskCaseEventTable;
  assistance_application: AssistanceApplicationTable;
};

export type RiskDB = DB & RiskTables;
export type RiskDb = Kysely<RiskDB>;

export function riskDb(db: Kysely<DB> | Transaction<DB>): Kysely<RiskDB> {
  return (db as Kysely<DB>).withTables<RiskTables>();
}
