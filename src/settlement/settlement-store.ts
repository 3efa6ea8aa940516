/**
 * The settlement's statements and rows: what a settlement reads (the encounter with its
 * person, enrollment, needy statuses and accumulators), and how one settlement, or many at
 * once, is written with the accumulators, ledger entry and audit row in one statement. The
 * rules of when to use which are in settlement-service.ts.
 */
import type pg from 'pg';
import { CompiledQuery, type Kysely, type Transaction } from 'kysely';
import { parseDay } from '../dates.js';
import type { Fen } from '../money.js';
import { NEEDY_STATUSES, type CareLocation, type EncounterType, type HospitalLevel, type Tier } from '../policy/vocabulary.js';
import { emptyAccumulators, type Accumulators, type Encounter, type LineSplit } from '../rules/settlement/input.js';
import type { DB } from '../store/schema.js';
import { ACCOUNTS } from '../ledger/ledger.js';

/** A stored accumulator document (fen) as the engine's Accumulators; absent fields are zero. */
export function accumulatorsOf(data: unknown): Accumulators {
  const d = (data ?? {}) as Partial<Accumulators>;
  return { ...emptyAccumulators(), ...d, chronicPaid: { ...(d.chronicPaid ?? {}) } };
}

// ---- what a settlement needs to know ----

export interface ContextRow {
  id: string;
  hospital_code: string;
  person_id: string;
  coverage_year: number;
  type: string;
  setting: string | null;
  date: string;
  location: string;
  referred: boolean;
  disease: string | null;
  total_fen: string;
  full_own_pay_fen: string;
  over_limit_fen: string;
  pre_self_pay_fen: string;
  in_scope_fen: string;
  lines: LineSplit[] | null;
  visit: string | null;
  visit_part: string | null;
  hospital_level: HospitalLevel;
  region: string;
  enrollment_state: string | null;
  tier: string | null;
  benefit_start: string | null;
  benefit_end: string | null;
  statuses: string[] | null;
  residence?: 'rural' | 'urban' | null;
  acc?: unknown;
  acc_version?: number | null;
  /** the encounter's live settlement, if any */
  live_settlement?: string | null;
  /** inpatient visits: what the other live parts of the same admission applied (null: none) */
  stay?: { applied: number | string | null; counted: boolean | null } | null;
}

export interface Context {
  encounterId: string;
  hospitalCode: string;
  personId: string;
  year: number;
  region: string;
  encounter: Encounter;
  /** the platform's visit and part the encounter settles (one live settlement per visit and part), or null */
  visit: { id: string; part: string } | null;
  enrollmentState: string | null;
  tier: Tier | null;
  benefitStart: string | null;
  benefitEnd: string | null;
  statuses: string[];
  /** 户籍类型 from the registers (null: not known — the pack's assumption is tested and the answer warns) */
  residence: 'rural' | 'urban' | null;
  /** the accumulator row and its version (null: no row yet) */
  acc: Accumulators | null;
  version: number | null;
  /** the encounter's live settlement (it cannot be settled again until that is reversed) */
  liveSettlement: string | null;
}

const KNOWN_STATUS = new Set<string>(NEEDY_STATUSES);

export function contextOf(r: ContextRow): Context {
  return {
    encounterId: String(r.id),
    hospitalCode: r.hospital_code,
    personId: String(r.person_id),
    year: r.coverage_year,
    region: r.region,
    encounter: {
      type: r.type as EncounterType,
      setting: r.setting as Encounter['setting'],
      date: parseDay(r.date),
      level: r.hospital_level,
      location: r.location as CareLocation,
      referred: r.referred,
      disease: r.disease,
      costs: { total: Number(r.total_fen), fullOwnPay: Number(r.full_own_pay_fen), overLimitSelfPay: Number(r.over_limit_fen), preSelfPay: Number(r.pre_self_pay_fen), inScope: Number(r.in_scope_fen) },
      lines: r.lines,
      stay: r.stay ? { deductibleApplied: Number(r.stay.applied ?? 0), admissionCounted: r.stay.counted === true } : null,
    },
    visit: r.visit === null || r.visit === undefined ? null : { id: r.visit, part: r.visit_part ?? '' },
    enrollmentState: r.enrollment_state,
    tier: r.tier as Tier | null,
    benefitStart: r.benefit_start,
    benefitEnd: r.benefit_end,
    statuses: [...new Set(r.statuses ?? [])].filter((s) => KNOWN_STATUS.has(s)).sort(),
    residence: r.residence ?? null,
    acc: r.acc === undefined || r.acc === null ? null : accumulatorsOf(r.acc),
    version: r.acc_version ?? null,
    liveSettlement: r.live_settlement == null ? null : String(r.live_settlement),
  };
}

/**
 * The encounters with everything their settlement reads: hospital level, the person's region,
 * the enrollment of the coverage year, the needy statuses valid on the encounter date, and the
 * person's accumulator row for the year with its version, and the encounter's live settlement
 * if it has one (found through the partial unique index settlement_live, a lookup whatever the
 * plan: a LATERAL with LIMIT cannot become a scan of all settlements; in the encounter's year's
 * partition only, migration 050). CONTEXT_READ reads any number of
 * encounters without a lock (acc null: no accumulator row yet); CONTEXT_LOCKED reads one and
 * locks its accumulator row (`FOR UPDATE OF a`: only that row), and gives no row when the
 * accumulator row does not exist yet.
 */
/**
 * An inpatient visit's other live parts (a mid-stay settlement before this part): the deductible
 * their setlinfo shows applied, in fen, and whether they counted the admission; null when none.
 */
const staySql = (visit: string, part: string, type: string): string => `CASE WHEN ${visit} IS NOT NULL AND ${type} = 'inpatient' THEN
    (SELECT json_build_object('applied', sum(round((s2.result->'setlinfo'->>'act_pay_dedc')::numeric * 100)),
                              'counted', bool_or(COALESCE((s2.delta->>'inpatientAdmissions')::int, 0) > 0))
       FROM settlement s2 WHERE s2.visit = ${visit} AND s2.visit_part <> ${part} AND s2.reversed_at IS NULL
     HAVING count(*) > 0) END AS stay`;
const CONTEXT_COLUMNS = `
  e.id, e.hospital_code, e.person_id, e.coverage_year, e.type, e.setting, e.date, e.location, e.referred, e.disease,
  e.total_fen, e.full_own_pay_fen, e.over_limit_fen, e.pre_self_pay_fen, e.in_scope_fen, e.lines, e.visit, e.visit_part,
  h.level AS hospital_level, ar.region, p.residence,
  en.state AS enrollment_state, en.tier, en.benefit_start, en.benefit_end,
  ARRAY(SELECT ns.status FROM needy_status ns
        WHERE ns.person_id = e.person_id AND ns.valid_from <= e.date AND (ns.valid_to IS NULL OR ns.valid_to >= e.date)) AS statuses,
  a.data AS acc, a.version AS acc_version, live.id AS live_settlement,
  ${staySql('e.visit', 'e.visit_part', 'e.type')}`;
const CONTEXT_JOINS = `
  FROM encounter e
  JOIN hospital h ON h.code = e.hospital_code
  JOIN person p ON p.id = e.person_id
  JOIN admin_area ar ON ar.code = p.village_code
  LEFT JOIN enrollment en ON en.person_id = e.person_id AND en.coverage_year = e.coverage_year
  LEFT JOIN LATERAL (SELECT s.id FROM settlement s WHERE s.encounter_id = e.id AND s.coverage_year = e.coverage_year AND s.reversed_at IS NULL LIMIT 1) live ON true`;
const CONTEXT_READ = `SELECT ${CONTEXT_COLUMNS} ${CONTEXT_JOINS}
  LEFT JOIN accumulator a ON a.person_id = e.person_id AND a.coverage_year = e.coverage_year
  WHERE e.id = ANY($1::bigint[])`;
const CONTEXT_LOCKED = `SELECT ${CONTEXT_COLUMNS} ${CONTEXT_JOINS}
  JOIN accumulator a ON a.person_id = e.person_id AND a.coverage_year = e.coverage_year
  WHERE e.id = $1 FOR UPDATE OF a`;
/**
 * The context of an encounter not yet written (a platform visit's, written together with its
 * settlement: writeNewSettlement): what CONTEXT_READ reads besides the encounter's own columns,
 * for the person ($1), coverage year ($2), encounter date ($3) and hospital ($4) it will have,
 * and its visit, part and type ($5, $6, $7: a stay's earlier parts, staySql).
 * The same joins and conditions as CONTEXT_COLUMNS / CONTEXT_JOINS (keep them in step); no row:
 * no such person or hospital; acc null: no accumulator row yet (version 0, empty).
 */
const NEW_CONTEXT_READ = `
  SELECT h.level AS hospital_level, ar.region, p.residence,
         en.state AS enrollment_state, en.tier, en.benefit_start, en.benefit_end,
         ARRAY(SELECT ns.status FROM needy_status ns
               WHERE ns.person_id = p.id AND ns.valid_from <= $3::date AND (ns.valid_to IS NULL OR ns.valid_to >= $3::date)) AS statuses,
         a.data AS acc, a.version AS acc_version,
         ${staySql('$5::text', '$6::text', '$7::text')}
    FROM person p
    JOIN admin_area ar ON ar.code = p.village_code
    JOIN hospital h ON h.code = $4::text
    LEFT JOIN enrollment en ON en.person_id = p.id AND en.coverage_year = $2::int
    LEFT JOIN accumulator a ON a.person_id = p.id AND a.coverage_year = $2::int
   WHERE p.id = $1::bigint`;

/** The accumulator rows of the encounters' persons and years, created empty where missing. */
const ENSURE_ACCUMULATORS = `INSERT INTO accumulator (person_id, coverage_year, data)
  SELECT DISTINCT person_id, coverage_year, '{}'::jsonb FROM encounter WHERE id = ANY($1::bigint[]) ON CONFLICT DO NOTHING`;

/**
 * What every written settlement inserts, from the rows of CTE `from` (one row, or none to
 * write nothing): the settlement row; the journal entry when the funds paid anything, with the
 * lines of settlementLines() — Dr each fund what it paid ($5, $6, $7), Cr payable_hospitals
 * their sum, so the entry balances by construction; and the audit row.
 */
const settlementInserts = (from: string): string => `s AS (
  INSERT INTO settlement (encounter_id, person_id, hospital_code, coverage_year, basic_fund_fen, critical_illness_fen, medical_assistance_fen,
                          cash_fen, total_fen, cash_reason, result, delta, settled_by, visit, visit_part)
  SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12::jsonb, $13, $18, $19 FROM ${from}
  RETURNING id, settled_at
), j AS (
  INSERT INTO journal_entry (memo, source, source_id) SELECT $14, 'settlement', id FROM s WHERE $5::bigint + $6::bigint + $7::bigint <> 0 RETURNING id
), p AS (
  INSERT INTO posting (entry_id, account, amount_fen, coverage_year)
  SELECT j.id, v.account, v.amount, $4
    FROM j, (VALUES ('${ACCOUNTS.basicFund}', $5::bigint), ('${ACCOUNTS.criticalIllnessFund}', $6::bigint),
                    ('${ACCOUNTS.medicalAssistanceFund}', $7::bigint), ('${ACCOUNTS.payableHospitals}', -($5::bigint + $6::bigint + $7::bigint))) AS v(account, amount)
   WHERE v.amount <> 0
), l AS (
  INSERT INTO audit_log (actor, role, action, entity, entity_id, detail) SELECT $20, $15, $16, 'settlement', id::text, $17::jsonb FROM s
)`;

/**
 * One settlement and the person's new accumulators ($21) in one statement, on condition that the
 * accumulator row is still at the version the settlement was computed on ($22): otherwise the
 * update matches nothing, no settlement row is inserted, and no row comes back. The settlement
 * is inserted from the updated row, so its id is drawn while that row is locked.
 */
const WRITE_SETTLEMENT = `
WITH u AS (
  UPDATE accumulator SET data = $21::jsonb, version = version + 1
   WHERE person_id = $2 AND coverage_year = $4 AND version = $22
  RETURNING version
), ${settlementInserts('u')}
SELECT s.id, s.settled_at, u.version FROM s, u`;

const NEW_SELECT = 'SELECT (SELECT id::text FROM e) AS encounter_id, (SELECT id::text FROM s) AS id, (SELECT settled_at FROM s) AS settled_at';

/**
 * A new encounter and its settlement in one statement (a platform visit's part, 2207 / 2304):
 * $1 the encounter row (JSON of its columns), $23 its audit detail, then the settlement as
 * WRITE_SETTLEMENT ($2–$20 as values(), $21 the new accumulators, $22 the version read; the
 * settlement's encounter is the row inserted). The accumulator row is created with the
 * settlement when the person had none for the year (version 0 read), or moved on from the
 * version read; the encounter is inserted whatever becomes of the settlement (unless one is
 * recorded under the same hospital and external id already: then nothing at all is written).
 * Answers the encounter's id (null: not inserted) and the settlement's (null: the accumulators
 * had moved on; the encounter is then settled as any other). A second live settlement of the
 * visit's part fails the whole statement (settlement_live_visit): nothing is written.
 */
const WRITE_NEW_SETTLEMENT = `
WITH e AS (
  INSERT INTO encounter (hospital_code, person_id, coverage_year, type, setting, date, location, referred, disease, total_fen, full_own_pay_fen,
                         over_limit_fen, pre_self_pay_fen, in_scope_fen, lines, external_id, visit, visit_part)
  SELECT r.hospital_code, r.person_id, r.coverage_year, r.type, r.setting, r.date, r.location, r.referred, r.disease, r.total_fen, r.full_own_pay_fen,
         r.over_limit_fen, r.pre_self_pay_fen, r.in_scope_fen, r.lines, r.external_id, r.visit, r.visit_part
    FROM jsonb_populate_record(NULL::encounter, $1::jsonb) AS r
  ON CONFLICT (hospital_code, external_id, coverage_year) DO NOTHING
  RETURNING id
), le AS (
  INSERT INTO audit_log (actor, role, action, entity, entity_id, detail) SELECT $20::text, $15::text, 'create', 'encounter', id::text, $23::jsonb FROM e
), u AS (
  INSERT INTO accumulator AS acc (person_id, coverage_year, data, version)
  SELECT $2::bigint, $4::int, $21::jsonb, 1 FROM e
  ON CONFLICT (person_id, coverage_year) DO UPDATE SET data = EXCLUDED.data, version = acc.version + 1 WHERE acc.version = $22::int
  RETURNING version
), s AS (
  INSERT INTO settlement (encounter_id, person_id, hospital_code, coverage_year, basic_fund_fen, critical_illness_fen, medical_assistance_fen,
                          cash_fen, total_fen, cash_reason, result, delta, settled_by, visit, visit_part)
  SELECT e.id, $2::bigint, $3::text, $4::int, $5::bigint, $6::bigint, $7::bigint, $8::bigint, $9::bigint, $10::text, $11::jsonb, $12::jsonb, $13::text, $18::text, $19::text FROM e, u
  RETURNING id, settled_at, encounter_id
), j AS (
  INSERT INTO journal_entry (memo, source, source_id) SELECT replace($14::text, '{encounter}', s.encounter_id::text), 'settlement', id FROM s WHERE $5::bigint + $6::bigint + $7::bigint <> 0 RETURNING id
), p AS (
  INSERT INTO posting (entry_id, account, amount_fen, coverage_year)
  SELECT j.id, v.account, v.amount, $4::int
    FROM j, (VALUES ('${ACCOUNTS.basicFund}', $5::bigint), ('${ACCOUNTS.criticalIllnessFund}', $6::bigint),
                    ('${ACCOUNTS.medicalAssistanceFund}', $7::bigint), ('${ACCOUNTS.payableHospitals}', -($5::bigint + $6::bigint + $7::bigint))) AS v(account, amount)
   WHERE v.amount <> 0
), l AS (
  INSERT INTO audit_log (actor, role, action, entity, entity_id, detail)
  SELECT $20::text, $15::text, $16::text, 'settlement', id::text, $17::jsonb || jsonb_build_object('encounterId', encounter_id::text) FROM s
)
${NEW_SELECT}`;

/** A re-settlement inside a reversal, whose transaction holds the accumulator row and writes it at the end. */
const WRITE_RESETTLEMENT = `WITH ${settlementInserts('(SELECT 1) AS one')} SELECT id FROM s`;

/**
 * Many settlements in one statement: $1 the settlements (a JSON array of SettlementRecord rows,
 * in the order they were computed), $2 one accumulator row per person and year (its new
 * document, the version the settlements were computed on, and how many settlements move it
 * on), $3 those persons' ids. A person's settlements are written only if their accumulator row is still at that
 * version; the others are left out, and the answer (settlement id per encounter) does not name
 * them. Settlement ids are drawn in the order computed, after the rows are updated (locked).
 */
const WRITE_SETTLEMENTS = `
WITH a AS (
  SELECT * FROM jsonb_to_recordset($2::jsonb) AS a(person_id bigint, coverage_year int, data jsonb, version int, k int)
), lk AS (
  -- the rows locked in one order (person, year) whatever the plan, so two batches never deadlock;
  -- found by the key ($3), not by a scan (the planner takes any function's rows for 100)
  SELECT acc.person_id, acc.coverage_year FROM accumulator acc
   WHERE acc.person_id = ANY($3::bigint[]) AND (acc.person_id, acc.coverage_year) IN (SELECT person_id, coverage_year FROM a)
   ORDER BY acc.person_id, acc.coverage_year
     FOR UPDATE
), u AS (
  UPDATE accumulator acc SET data = a.data, version = acc.version + a.k
    FROM a JOIN lk ON lk.person_id = a.person_id AND lk.coverage_year = a.coverage_year
   WHERE acc.person_id = ANY($3::bigint[])
     AND acc.person_id = a.person_id AND acc.coverage_year = a.coverage_year AND acc.version = a.version
  RETURNING acc.person_id, acc.coverage_year
), i AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS i(n int, encounter_id bigint, person_id bigint, hospital_code text, coverage_year int,
    basic bigint, ci bigint, ma bigint, cash bigint, total bigint, cash_reason text, result jsonb, delta jsonb,
    settled_by text, memo text, role text, action text, detail jsonb, visit text, visit_part text, audit_actor text)
), s AS (
  INSERT INTO settlement (encounter_id, person_id, hospital_code, coverage_year, basic_fund_fen, critical_illness_fen, medical_assistance_fen,
                          cash_fen, total_fen, cash_reason, result, delta, settled_by, visit, visit_part)
  SELECT i.encounter_id, i.person_id, i.hospital_code, i.coverage_year, i.basic, i.ci, i.ma, i.cash, i.total, i.cash_reason, i.result, i.delta, i.settled_by,
         i.visit, i.visit_part
    FROM i JOIN u ON u.person_id = i.person_id AND u.coverage_year = i.coverage_year
   ORDER BY i.n
  RETURNING id, encounter_id, settled_at
), si AS (
  SELECT s.id, i.* FROM s JOIN i ON i.encounter_id = s.encounter_id
), j AS (
  INSERT INTO journal_entry (memo, source, source_id) SELECT si.memo, 'settlement', si.id FROM si WHERE si.basic + si.ci + si.ma <> 0 RETURNING id, source_id
), p AS (
  INSERT INTO posting (entry_id, account, amount_fen, coverage_year)
  SELECT j.id, v.account, v.amount, si.coverage_year
    FROM j JOIN si ON si.id = j.source_id,
         LATERAL (VALUES ('${ACCOUNTS.basicFund}', si.basic), ('${ACCOUNTS.criticalIllnessFund}', si.ci),
                         ('${ACCOUNTS.medicalAssistanceFund}', si.ma), ('${ACCOUNTS.payableHospitals}', -(si.basic + si.ci + si.ma))) AS v(account, amount)
   WHERE v.amount <> 0
), l AS (
  INSERT INTO audit_log (actor, role, action, entity, entity_id, detail) SELECT si.audit_actor, si.role, si.action, 'settlement', si.id::text, si.detail FROM si
)
SELECT id, encounter_id, settled_at FROM s`;

/** The statements of one settlement, for the benchmark's pgbench scripts (bench/record/pgbench-scripts.ts), which run them as they are. */
export const SETTLEMENT_SQL = { read: CONTEXT_READ, locked: CONTEXT_LOCKED, write: WRITE_SETTLEMENT } as const;

/** Runs a statement on a Kysely connection or, named (prepared once per connection), on a pg client. */
export type Runner = <R>(name: string, text: string, values: unknown[]) => Promise<R[]>;
export const onKysely =
  (db: Kysely<DB> | Transaction<DB>): Runner =>
  async <R>(_name: string, text: string, values: unknown[]) =>
    (await db.executeQuery<R>(CompiledQuery.raw(text, values))).rows;
export const onClient =
  (client: pg.PoolClient): Runner =>
  async <R>(name: string, text: string, values: unknown[]) =>
    (await client.query({ name, text, values })).rows as R[];

// ---- reading ----

/** The encounters' contexts, not locked; each one's accumulator row is created first when missing. */
export async function readContexts(run: Runner, encounterIds: readonly string[]): Promise<Map<string, ContextRow>> {
  const rows = await run<ContextRow>('yibao_settlement_read', CONTEXT_READ, [encounterIds]);
  const out = new Map<string, ContextRow>();
  const missing: string[] = []; // encounters whose person has no accumulator row for the year yet
  for (const r of rows) {
    if (r.acc_version === null || r.acc_version === undefined) missing.push(String(r.id));
    else out.set(String(r.id), r);
  }
  if (missing.length) {
    await run('yibao_settlement_accumulators', ENSURE_ACCUMULATORS, [missing]);
    for (const r of await run<ContextRow>('yibao_settlement_read', CONTEXT_READ, [missing])) out.set(String(r.id), r);
  }
  return out;
}

/** One encounter's context with its accumulator row locked (created first when missing); undefined: no such encounter. */
export async function readContextLocked(run: Runner, encounterId: string): Promise<ContextRow | undefined> {
  let [row] = await run<ContextRow>('yibao_settlement_context', CONTEXT_LOCKED, [encounterId]);
  if (!row) {
    await run('yibao_settlement_accumulators', ENSURE_ACCUMULATORS, [[encounterId]]);
    [row] = await run<ContextRow>('yibao_settlement_context', CONTEXT_LOCKED, [encounterId]);
  }
  return row;
}

/** The context of a new encounter's person, year, date and hospital (NEW_CONTEXT_READ); undefined: no such person or hospital. */
export async function readNewContext(run: Runner, at: { personId: string; year: number; date: string; hospitalCode: string; visit: string | null; visitPart: string | null; type: string }): Promise<Omit<ContextRow, EncounterColumn> | undefined> {
  const [row] = await run<Omit<ContextRow, EncounterColumn>>('yibao_settlement_read_new', NEW_CONTEXT_READ, [at.personId, at.year, at.date, at.hospitalCode, at.visit, at.visitPart, at.type]);
  return row;
}
/** The encounter's own columns of a ContextRow. */
export type EncounterColumn = 'id' | 'hospital_code' | 'person_id' | 'coverage_year' | 'type' | 'setting' | 'date' | 'location' | 'referred' | 'disease' | 'total_fen' | 'full_own_pay_fen' | 'over_limit_fen' | 'pre_self_pay_fen' | 'in_scope_fen' | 'lines' | 'visit' | 'visit_part';

// ---- writing ----

/** One settlement as written: the row, its ledger amounts, its audit. */
export interface SettlementRecord {
  encounterId: string;
  personId: string;
  hospitalCode: string;
  year: number;
  basicFund: Fen;
  criticalIllness: Fen;
  medicalAssistance: Fen;
  cash: Fen;
  total: Fen;
  cashReason: string | null;
  /** the answer as stored (and given to the caller) */
  result: unknown;
  delta: Accumulators;
  /** whose settlement it is (a re-settlement keeps the original's) */
  settledBy: string;
  /** who did this write, for the audit log (a re-settlement: who reversed) */
  auditActor: string;
  role: string;
  action: string;
  detail: Record<string, unknown>;
  /** the platform's visit and part (settlement_live_visit), or null */
  visit: { id: string; part: string } | null;
}

const memoOf = (r: SettlementRecord): string => `就诊 ${r.encounterId} 结算（${r.hospitalCode}）`;

function values(r: SettlementRecord): unknown[] {
  return [
    r.encounterId,
    r.personId,
    r.hospitalCode,
    r.year,
    r.basicFund,
    r.criticalIllness,
    r.medicalAssistance,
    r.cash,
    r.total,
    r.cashReason,
    JSON.stringify(r.result),
    JSON.stringify(r.delta),
    r.settledBy,
    memoOf(r),
    r.role,
    r.action,
    JSON.stringify(r.detail),
    r.visit?.id ?? null,
    r.visit?.part ?? null,
    r.auditActor,
  ];
}

/** A settlement written: its id, and when (settled_at, as stored). */
export interface Written {
  id: string;
  settledAt: Date;
}

/** One settlement moving the accumulator row from `version` to `after`; null (nothing written) when the row is no longer at that version. */
export async function writeSettlement(run: Runner, r: SettlementRecord, after: Accumulators, version: number): Promise<Written | null> {
  const rows = await run<{ id: string; settled_at: Date | string }>('yibao_settlement_write', WRITE_SETTLEMENT, [...values(r), JSON.stringify(after), version]);
  return rows.length ? { id: String(rows[0].id), settledAt: new Date(rows[0].settled_at) } : null;
}

/** A re-settlement inside a reversal's transaction (the accumulator row is left alone). */
export async function writeResettlement(run: Runner, r: SettlementRecord): Promise<string> {
  const rows = await run<{ id: string }>('yibao_settlement_rewrite', WRITE_RESETTLEMENT, values(r));
  return String(rows[0].id);
}

/**
 * A new encounter (its row's columns, and its audit detail) and its settlement in one statement
 * (WRITE_NEW_SETTLEMENT). `r.encounterId` is not used (the encounter's id is drawn here); the
 * settlement's audit detail and ledger memo get it. Answers the encounter's id (null: one is
 * recorded under its external id already, nothing written) and the settlement written (null:
 * the accumulator row was no longer at `version`; the encounter is written, unsettled).
 */
export async function writeNewSettlement(
  run: Runner,
  encounter: Record<string, unknown>,
  encounterDetail: Record<string, unknown>,
  r: SettlementRecord,
  after: Accumulators,
  version: number,
  also?: AlsoRecord,
): Promise<{ encounterId: string | null; written: Written | null; also: Record<string, unknown> | null }> {
  const v = values({ ...r, encounterId: '{encounter}' });
  v[0] = JSON.stringify(encounter);
  const params = [...v, JSON.stringify(after), version, JSON.stringify(encounterDetail), ...(also?.values ?? [])];
  const rows = also
    ? await run<{ encounter_id: string | null; id: string | null; settled_at: Date | string | null; also: Record<string, unknown> | null }>(`yibao_settlement_write_new_${also.name}`, writeNewWith(also.cte), params)
    : await run<{ encounter_id: string | null; id: string | null; settled_at: Date | string | null; also?: Record<string, unknown> | null }>('yibao_settlement_write_new', WRITE_NEW_SETTLEMENT, params);
  const row = rows[0];
  return { encounterId: row?.encounter_id ?? null, written: row?.id ? { id: String(row.id), settledAt: new Date(row.settled_at!) } : null, also: row?.also ?? null };
}

/**
 * A higher room's record of a new settlement, written by the settlement's own statement (so both
 * or neither are committed, in one commit): `cte` is one data-modifying statement over CTE `s`
 * (the settlement written: id, settled_at, encounter_id; no row when none was) and the
 * settlement's own parameters ($3 hospital, $5–$7 the funds' fen, …), its own values from $24 on;
 * its RETURNING row (as JSON) is answered when it wrote its record. `name` names the prepared statement.
 */
export interface AlsoRecord {
  name: string;
  cte: string;
  values: unknown[];
}

const writeNewWith = (cte: string): string => WRITE_NEW_SETTLEMENT.replace(NEW_SELECT, `, x AS (\n${cte}\n)\n${NEW_SELECT}, (SELECT to_jsonb(x) FROM x LIMIT 1) AS also`);

/** An accumulator row moved on by a batch: the new document, the version read, how many settlements. */
export interface AccumulatorMove {
  personId: string;
  year: number;
  after: Accumulators;
  version: number;
  settlements: number;
}

/** Many settlements in one statement; the settlement written for each encounter (a person whose row moved on meanwhile: none of theirs). */
export async function writeSettlements(run: Runner, rs: readonly SettlementRecord[], moves: readonly AccumulatorMove[]): Promise<Map<string, Written>> {
  const rows = await run<{ id: string; encounter_id: string; settled_at: Date | string }>('yibao_settlement_write_many', WRITE_SETTLEMENTS, [
    JSON.stringify(
      rs.map((r, n) => ({
        n,
        encounter_id: r.encounterId,
        person_id: r.personId,
        hospital_code: r.hospitalCode,
        coverage_year: r.year,
        basic: r.basicFund,
        ci: r.criticalIllness,
        ma: r.medicalAssistance,
        cash: r.cash,
        total: r.total,
        cash_reason: r.cashReason,
        result: r.result,
        delta: r.delta,
        settled_by: r.settledBy,
        memo: memoOf(r),
        role: r.role,
        action: r.action,
        detail: r.detail,
        visit: r.visit?.id ?? null,
        visit_part: r.visit?.part ?? null,
        audit_actor: r.auditActor,
      })),
    ),
    JSON.stringify(moves.map((m) => ({ person_id: m.personId, coverage_year: m.year, data: m.after, version: m.version, k: m.settlements }))),
    [...new Set(moves.map((m) => m.personId))].sort((x, y) => Number(x) - Number(y)),
  ]);
  return new Map(rows.map((x) => [String(x.encounter_id), { id: String(x.id), settledAt: new Date(x.settled_at) }]));
}
