/** Table types for Kysely, matching src/store/migrations/*.sql. Money columns are integer fen. */
import type { ColumnType, Generated, JSONColumnType } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
/** bigint columns come back from pg as strings; we parse them where read. */
type Big = ColumnType<string, number | string | bigint, number | string | bigint>;
type BigId = ColumnType<string, never, never>;
type DateCol = ColumnType<string, string, string>;

export interface AdminAreaTable {
  code: string;
  name: string;
  level: 'county' | 'township' | 'village';
  parent_code: string | null;
  region: string;
}

export interface HouseholdTable {
  id: Generated<string>;
  village_code: string;
  house_no: string;
  address: string | null;
}

export interface PersonTable {
  id: Generated<string>;
  id_number: string;
  name: string;
  gender: 'male' | 'female';
  birth_date: DateCol;
  household_id: Big | null;
  village_code: string;
  kind: string;
  graduation_year: number | null;
  /** 户籍类型 (migration 022); null: not known */
  residence: Generated<'rural' | 'urban' | null>;
  /** 死亡日期 (migration 027) */
  date_of_death?: ColumnType<string | null, string | null | undefined, string | null>;
  version: Generated<number>;
  created_at: Generated<Timestamp>;
  updated_at: Generated<Timestamp>;
}

export interface RegisterHistoryTable {
  id: Generated<string>;
  entity: string;
  entity_id: Big;
  changed_at: Generated<Timestamp>;
  changed_by: string;
  before: JSONColumnType<object> | null;
  after: JSONColumnType<object> | null;
}

export interface NeedyStatusTable {
  id: Generated<string>;
  person_id: Big;
  status: string;
  source: 'civil_affairs' | 'rural_revitalization' | 'disability_federation' | 'veterans_affairs' | 'medical_security';
  valid_from: DateCol;
  valid_to: DateCol | null;
  reference: string | null;
  created_at: Generated<Timestamp>;
}

export interface ImportBatchTable {
  id: Generated<string>;
  kind: string;
  file_name: string;
  file_sha256: string;
  rows_total: number;
  rows_ok: number;
  rows_bad: number;
  rows_unchanged: Generated<number>;
  created_by: string;
  created_at: Generated<Timestamp>;
}

export interface EnrollmentTable {
  id: Generated<string>;
  person_id: Big;
  coverage_year: number;
  region: string;
  pack: string;
  tier: string | null;
  state: 'assessed' | 'paid' | 'refused' | 'blocked';
  standard_fen: Big;
  assistance_fen: Big | null;
  due_fen: Big | null;
  borne_fen: Big | null;
  subsidy_fen: Big | null;
  benefit_start: DateCol | null;
  benefit_end: DateCol | null;
  waiting_days: number | null;
  refusal_code: string | null;
  block_reason: string | null;
  quote: JSONColumnType<object>;
  paid_fen: Generated<Big>;
  paid_on: DateCol | null;
  guardian_person_id: Big | null;
  version: Generated<number>;
  created_at: Generated<Timestamp>;
  updated_at: Generated<Timestamp>;
}

export interface PaymentTable {
  id: Generated<string>;
  reference: string;
  channel: 'online' | 'offline' | 'tax_bureau' | 'medical_assistance';
  enrollment_id: Big;
  amount_fen: Big;
  paid_on: DateCol;
  recorded_by: string;
  recorded_at: Generated<Timestamp>;
}

export interface EmployeeInsuranceTable {
  id_number: string;
  coverage_year: number;
  source: string;
  /** the day the person's employee insurance ended (migration 022); null: insured */
  ended_on: Generated<DateCol | null>;
}

export interface DuplicateFlagTable {
  id: Generated<string>;
  person_id: Big | null;
  id_number: string;
  coverage_year: number;
  reason: 'same_id_twice' | 'employee_insurance';
  detail: string | null;
  created_at: Generated<Timestamp>;
  resolved_at: Timestamp | null;
}

export interface HospitalTable {
  code: string;
  name: string;
  level: 'primary' | 'secondary' | 'tertiary';
  region: string;
  /** migration 030: 公立 / 民营; null when not recorded */
  ownership: ColumnType<'public' | 'private' | null, 'public' | 'private' | null | undefined, 'public' | 'private' | null>;
}

export interface EncounterTable {
  id: Generated<string>;
  hospital_code: string;
  person_id: Big;
  coverage_year: number;
  type: string;
  setting: string | null;
  date: DateCol;
  location: Generated<string>;
  referred: Generated<boolean>;
  disease: string | null;
  total_fen: Big;
  full_own_pay_fen: Big;
  over_limit_fen: Big;
  pre_self_pay_fen: Big;
  in_scope_fen: Big;
  lines: JSONColumnType<object> | null;
  external_id: string | null;
  /** the platform's visit (fsi_mdtrt.mdtrt_id) and the part of it settled (outpatient: chrg_bchno; inpatient: '') */
  visit: string | null;
  visit_part: string | null;
  /** a platform setl_id given before migration 011; otherwise the setl_id is `S<id>` */
  setl_id: string | null;
  created_at: Generated<Timestamp>;
}

export interface AccumulatorTable {
  person_id: Big;
  coverage_year: number;
  data: JSONColumnType<Record<string, unknown>>;
  version: Generated<number>;
}

export interface SettlementTable {
  id: Generated<string>;
  encounter_id: Big;
  person_id: Big;
  hospital_code: string;
  coverage_year: number;
  basic_fund_fen: Big;
  critical_illness_fen: Big;
  medical_assistance_fen: Big;
  cash_fen: Big;
  total_fen: Big;
  cash_reason: string | null;
  result: JSONColumnType<object>;
  delta: JSONColumnType<Record<string, unknown>>;
  settled_at: Generated<Timestamp>;
  settled_by: string;
  reversed_at: Timestamp | null;
  reversed_by: string | null;
  /** the encounter's visit and part: one live settlement per visit and part (settlement_live_visit) */
  visit: string | null;
  visit_part: string | null;
  /** what asked for the reversal (a platform message: fsi:<hospital>:<msgid>) */
  reversal_ref: string | null;
}

export interface AccountTable {
  code: string;
  name: string;
  kind: 'asset' | 'liability' | 'income' | 'expense' | 'equity';
}

export interface JournalEntryTable {
  id: Generated<string>;
  at: Generated<Timestamp>;
  memo: string;
  source: string;
  source_id: Big | null;
  /** the hospital a recovery entry is owed back by (043) */
  hospital_code: Generated<string | null>;
}

export interface PostingTable {
  id: Generated<string>;
  entry_id: Big;
  account: string;
  amount_fen: Big;
  /** the partition (migration 050): the entry's coverage year; by default the calendar year posted */
  coverage_year: Generated<number>;
}

export interface FundTransferTable {
  id: Generated<string>;
  reference: string;
  kind: 'critical_illness_allocation' | 'medical_assistance_appropriation';
  coverage_year: number;
  amount_fen: Big;
  memo: string | null;
  entry_id: Big;
  recorded_by: string;
  recorded_at: Generated<Timestamp>;
}

export interface AppUserTable {
  id: Generated<string>;
  username: string;
  display_name: string;
  password_hash: string | null;
  role: 'admin' | 'policy_officer' | 'clerk' | 'hospital' | 'auditor' | 'finance' | 'medical_assistance';
  villages: Generated<string[]>;
  hospital_code: string | null;
  active: Generated<boolean>;
  created_at: Generated<Timestamp>;
  /** failed log-ins in a row (migration 021) */
  failed_logins: Generated<number>;
  /** locked out until then after repeated failures (migration 021) */
  locked_until: Timestamp | null;
}

export interface ApiTokenTable {
  id: Generated<string>;
  user_id: Big;
  token_sha256: string;
  label: string;
  kind: 'session' | 'api';
  expires_at: Timestamp | null;
  created_at: Generated<Timestamp>;
  revoked_at: Timestamp | null;
}

export interface AuditLogTable {
  id: Generated<string>;
  at: Generated<Timestamp>;
  actor: string;
  role: string;
  action: string;
  entity: string;
  entity_id: string | null;
  detail: JSONColumnType<object> | null;
}

export interface SchemaMetaTable {
  key: string;
  value: string;
}

export interface FsiHospitalTable {
  hospital_code: string;
  sign_required: Generated<boolean>;
  sign_key: string | null;
}
export interface FsiSignInTable {
  sign_no: string;
  hospital_code: string;
  opter_no: string;
  mac: string;
  ip: string;
  sign_time: Generated<Timestamp>;
  sign_out_time: Timestamp | null;
}
export interface FsiMessageTable {
  hospital_code: string;
  msgid: string;
  infno: string;
  input: JSONColumnType<object> | null;
  reply: JSONColumnType<object> | null;
  effect: JSONColumnType<object> | null;
  received_at: Generated<Timestamp>;
}
export interface FsiMdtrtTable {
  mdtrt_id: string;
  hospital_code: string;
  /** null for a person insured in another area (insuplc_admdvs, away_psn_no: migration 054) */
  person_id: Big | null;
  insuplc_admdvs: string | null;
  away_psn_no: string | null;
  kind: 'outpatient' | 'inpatient';
  ipt_otp_no: string;
  insutype: string;
  med_type: string | null;
  begntime: string;
  endtime: string | null;
  dise_codg: string | null;
  dise_name: string | null;
  info: JSONColumnType<object> | null;
  state: Generated<'open' | 'discharged' | 'cancelled'>;
  msgid: string;
  created_at: Generated<Timestamp>;
}
export interface FsiFeeTable {
  mdtrt_id: string;
  feedetl_sn: string;
  chrg_bchno: string | null;
  amount_fen: Big;
  line: JSONColumnType<object>;
  cancelled_at: Timestamp | null;
  /** generated from line (043): never written */
  med_list_codg: Generated<string | null>;
  fee_ocur_time: Generated<string | null>;
  cnt: Generated<string | null>;
  pric: Generated<string | null>;
  line_key: Generated<string | null>;
  day_key: Generated<string | null>;
}

export interface VillageTargetTable {
  coverage_year: number;
  village_code: string;
  enrollment_target: number;
  evoucher_target: number | null;
  import_batch_id: Big | null;
  updated_by: string;
  updated_at: Generated<Timestamp>;
}

export interface EvoucherActivationTable {
  person_id: Big;
  activated_on: DateCol;
  channel: 'wechat' | 'alipay' | 'nhsa_app' | 'bank' | 'offline' | 'other';
  import_batch_id: Big | null;
  recorded_by: string;
  recorded_at: Generated<Timestamp>;
}

/** The CHS-DRG grouping of an inpatient settlement (migration 029). */
export interface DrgCaseTable {
  encounter_id: string;
  settlement_id: string;
  hospital_code: string;
  region: string;
  coverage_year: number;
  discharge_date: DateCol;
  record: JSONColumnType<object>;
  scheme: string;
  status: string;
  mdc: string | null;
  adrg: string | null;
  drg: string | null;
  explanation: JSONColumnType<object>;
  source: string;
  grouped_at: Generated<Timestamp>;
  grouped_by: string;
}

/** A DRG payment run: a month's pre-payment or the year's clearing (migration 029). */
export interface DrgPaymentRunTable {
  id: Generated<string>;
  region: string;
  coverage_year: number;
  kind: 'month' | 'year';
  month: number | null;
  pack: string;
  method: JSONColumnType<object>;
  catalogue: JSONColumnType<object>;
  budget_fen: Big | null;
  memo: string;
  at: Generated<Timestamp>;
  by_user: string;
}

/** What one run paid for one case (migration 029). */
export interface DrgCasePaymentTable {
  run_id: Big;
  encounter_id: Big;
  settlement_id: Big | null;
  hospital_code: string;
  grp: string | null;
  category: string;
  points_e2: Big;
  cost_fen: Big;
  payment_fen: Big;
  adjustment_fen: Big;
  steps: JSONColumnType<object>;
  entry_id: Big | null;
}

export interface FsiGatewayKeyTable {
  access_key: string;
  user_id: Big;
  hospital_code: string;
  label: string;
  secret_enc: string;
  created_by: string;
  created_at: Generated<Timestamp>;
  revoked_at: Timestamp | null;
}
export interface FsiGatewayNonceTable {
  access_key: string;
  nonce: string;
  seen_at: Generated<Date>;
}

/** 医保目录 (migration 024): one item of the catalogue for a region from a day. */
export interface CatalogueItemTable {
  med_list_codg: string;
  region: string;
  begndate: DateCol;
  enddate: DateCol | null;
  name: string;
  list_type: string;
  chrgitm_lv: '01' | '02' | '03';
  med_chrgitm_type: string;
  price_cap_fen: Big | null;
  selfpay_prop: string | null;
  memo: string | null;
  example: Generated<boolean>;
  ver: Big;
  rid: string;
  crte_time: Generated<Timestamp>;
  updt_time: Generated<Timestamp>;
}

/** The catalogue downloads' reference lists (1307–1315, migration 041): one imported row of a list's file. */
export interface ReferenceListItemTable {
  infno: string;
  code: string;
  cells: unknown;
  example: Generated<boolean>;
  ver: Big;
  rid: string;
  crte_time: Generated<Timestamp>;
  updt_time: Generated<Timestamp>;
}

/** 9101 文件上传 (migration 038): a hospital's uploaded file, append-only. */
export interface FsiFileTable {
  file_qury_no: string;
  hospital_code: string;
  msgid: string;
  filename: string;
  sha256: string;
  content: Buffer;
  created_at: Generated<Timestamp>;
}

export interface DB {
  admin_area: AdminAreaTable;
  household: HouseholdTable;
  person: PersonTable;
  register_history: RegisterHistoryTable;
  needy_status: NeedyStatusTable;
  import_batch: ImportBatchTable;
  enrollment: EnrollmentTable;
  payment: PaymentTable;
  employee_insurance: EmployeeInsuranceTable;
  duplicate_flag: DuplicateFlagTable;
  hospital: HospitalTable;
  encounter: EncounterTable;
  accumulator: AccumulatorTable;
  settlement: SettlementTable;
  account: AccountTable;
  journal_entry: JournalEntryTable;
  posting: PostingTable;
  fund_transfer: FundTransferTable;
  app_user: AppUserTable;
  api_token: ApiTokenTable;
  audit_log: AuditLogTable;
  schema_meta: SchemaMetaTable;
  fsi_hospital: FsiHospitalTable;
  fsi_sign_in: FsiSignInTable;
  fsi_message: FsiMessageTable;
  fsi_mdtrt: FsiMdtrtTable;
  fsi_fee: FsiFeeTable;
  village_target: VillageTargetTable;
  evoucher_activation: EvoucherActivationTable;
  drg_case: DrgCaseTable;
  drg_payment_run: DrgPaymentRunTable;
  drg_case_payment: DrgCasePaymentTable;

  fsi_gateway_key: FsiGatewayKeyTable;
  fsi_gateway_nonce: FsiGatewayNonceTable;
  catalogue_item: CatalogueItemTable;
  fsi_file: FsiFileTable;
  reference_list_item: ReferenceListItemTable;
}

/** Unused marker so the id type alias stays documented. */
export type { BigId };
