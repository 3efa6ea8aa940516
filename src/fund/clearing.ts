/**
 * Room src/fund/ — the fund kept safe: clearing with hospitals, money received, bottom lines and budget.
 * May import: src/settlement, src/ledger, src/access, src/store, src/quotes, src/rules, src/policy and the base.
 *
 * Clearing with hospitals (结算清算). A monthly statement of one hospital is drawn from its
 * settlements: the live settlements of encounters up to the month's end that no statement has
 * cleared yet, and — carried back — the reversals of settlements an earlier statement cleared
 * (a reversal after clearing is deducted in the next statement), and the recoveries the hospital owes
 * back on confirmed screening cases (journal entries 'recovery' naming the hospital, 043) not yet
 * deducted: the next statement drawn deducts them, whatever its month. Counts and amounts by encounter
 * type (with the platform's clr_type) and by fund. The finance role approves a statement: the
 * statement and the settlements it clears are written once (a settlement is cleared once and its
 * reversal carried once: the primary key of clearing_item). The payment of an approved statement
 * posts Dr 应付定点医疗机构款 (payable_hospitals) / Cr 基金专户银行存款 (fund_bank), idempotent by
 * its reference: the same payment again writes nothing (`replayed: true`).
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import { z } from 'zod';
import { ConflictError, NotFoundError } from '../errors.js';
import { fenToYuan, type Fen } from '../money.js';
import { parseBody } from '../request-input.js';
import { isUniqueViolation, onceMoreIfRaced } from '../store/pg-errors.js';
import type { DB } from '../store/schema.js';
import { audit } from '../access/audit.js';
import { requireHospital, type Actor } from '../access/roles.js';
import { ACCOUNTS, post } from '../ledger/ledger.js';

type Db = Kysely<DB> | Transaction<DB>;

export const FUND_BANK = ACCOUNTS.fundBank;

/** The platform's 清算类别 (clr_type, code table 6.23) of each encounter type. */
export const CLR_TYPES: Record<string, string> = {
  general_outpatient: '11',
  chronic_special_outpatient: '14',
  hypertension_diabetes: '15',
  inpatient: '21',
  maternity: '51',
};

export const month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month written YYYY-MM');
export const hospitalCode = z.string().trim().min(1).max(30);

/** One line of a statement: an encounter type's settlements and what each fund paid. */
export interface StatementLine {
  /** 'settled': cleared by this statement; 'reversed': a reversal of a settlement cleared before, deducted; 'recovered': recoveries of confirmed cases, deducted */
  kind: 'settled' | 'reversed' | 'recovered';
  encounterType: string;
  clrType: string;
  settlements: number;
  /** settlements (or recoveries) on the line; amounts signed: reversals and recoveries negative */
  totalFen: Fen;
  basicFundFen: Fen;
  criticalIllnessFen: Fen;
  medicalAssistanceFen: Fen;
  cashFen: Fen;
  fundFen: Fen;
}

export interface Statement {
  hospitalCode: string;
  hospitalName: string;
  month: string;
  /** open: drawn now from the settlements; approved: as approved; paid: approved and paid */
  state: 'open' | 'approved' | 'paid';
  statementId: string | null;
  settlements: number;
  reversals: number;
  /** recoveries of confirmed screening cases deducted */
  recoveries: number;
  totalFen: Fen;
  /** what the funds owe the hospital by this statement: cleared less carried reversals and recoveries */
  fundTotalFen: Fen;
  fundTotal: number;
  byFund: { basicFundFen: Fen; criticalIllnessFen: Fen; medicalAssistanceFen: Fen };
  lines: StatementLine[];
  approvedBy: string | null;
  approvedAt: string | null;
  payment: { reference: string; amountFen: Fen; paidOn: string; entryId: string | null } | null;
  /** the settlement ids the statement clears or carries (open statements only; in the table once approved) */
  items?: { settlementId: string; kind: 'settled' | 'reversed'; fundFen: Fen }[];
  /** the recovery entries an open statement deducts (negative fundFen) */
  recoveryItems?: { entryId: string; caseId: string | null; fundFen: Fen }[];
}

function lastDay(m: string): string {
  const [y, mo] = m.split('-').map(Number);
  const d = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  return `${m}-${String(d).padStart(2, '0')}`;
}

interface ItemRow {
  id: string;
  kind: 'settled' | 'reversed' | 'recovered';
  /** a recovery's case (journal_entry.source_id) */
  source?: string | null;
  type: string;
  total: string;
  basic: string;
  ci: string;
  ma: string;
  cash: string;
}

/** The settlements an open statement of the month would clear and carry, read now. */
async function openItems(db: Db, hospital: string, m: string): Promise<ItemRow[]> {
  const { rows } = await sql<ItemRow>`
    SELECT s.id::text AS id, 'settled' AS kind, e.type, s.total_fen AS total, s.basic_fund_fen AS basic,
           s.critical_illness_fen AS ci, s.medical_assistance_fen AS ma, s.cash_fen AS cash
      FROM settlement s JOIN encounter e ON e.id = s.encounter_id
     WHERE s.hospital_code = ${hospital} AND s.reversed_at IS NULL AND e.date <= ${lastDay(m)}::date
       AND NOT EXISTS (SELECT 1 FROM clearing_item c WHERE c.settlement_id = s.id AND c.kind = 'settled')
    UNION ALL
    SELECT s.id::text, 'reversed', e.type, -s.total_fen, -s.basic_fund_fen, -s.critical_illness_fen, -s.medical_assistance_fen, -s.cash_fen
      FROM settlement s JOIN encounter e ON e.id = s.encounter_id
     WHERE s.hospital_code = ${hospital} AND s.reversed_at IS NOT NULL
       AND EXISTS (SELECT 1 FROM clearing_item c WHERE c.settlement_id = s.id AND c.kind = 'settled')
       AND NOT EXISTS (SELECT 1 FROM clearing_item c WHERE c.settlement_id = s.id AND c.kind = 'reversed')
     ORDER BY 1`.execute(db);
  return [...rows, ...(await openRecoveries(db, hospital))];
}

/**
 * The hospital's recoveries not yet deducted: each recovery entry as a negative item, by fund as
 * the entry credited the funds back (its payable_hospitals debit is their sum).
 */
async function openRecoveries(db: Db, hospital: string): Promise<ItemRow[]> {
  const { rows } = await sql<ItemRow>`
    SELECT j.id::text AS id, 'recovered' AS kind, 'recovery' AS type, j.source_id::text AS source,
           coalesce(sum(p.amount_fen) FILTER (WHERE p.account IN (${ACCOUNTS.basicFund}, ${ACCOUNTS.criticalIllnessFund}, ${ACCOUNTS.medicalAssistanceFund})), 0)::text AS total,
           coalesce(sum(p.amount_fen) FILTER (WHERE p.account = ${ACCOUNTS.basicFund}), 0)::text AS basic,
           coalesce(sum(p.amount_fen) FILTER (WHERE p.account = ${ACCOUNTS.criticalIllnessFund}), 0)::text AS ci,
           coalesce(sum(p.amount_fen) FILTER (WHERE p.account = ${ACCOUNTS.medicalAssistanceFund}), 0)::text AS ma,
           '0' AS cash
      FROM journal_entry j JOIN posting p ON p.entry_id = j.id
     WHERE j.source = 'recovery' AND j.hospital_code = ${hospital}
       AND NOT EXISTS (SELECT 1 FROM clearing_recovery r WHERE r.entry_id = j.id)
     GROUP BY j.id ORDER BY j.id`.execute(db);
  return rows;
}

/** Lines by kind and encounter type, and the statement's totals, from its items. */
const KIND_ORDER = { settled: 0, reversed: 1, recovered: 2 } as const;

export function summarise(items: readonly { kind: 'settled' | 'reversed' | 'recovered'; type: string; total: Fen; basic: Fen; ci: Fen; ma: Fen; cash: Fen }[]) {
  const byKey = new Map<string, StatementLine>();
  const t = { settlements: 0, reversals: 0, recoveries: 0, totalFen: 0, fundTotalFen: 0, basicFundFen: 0, criticalIllnessFen: 0, medicalAssistanceFen: 0 };
  for (const i of items) {
    const key = `${i.kind}|${i.type}`;
    let l = byKey.get(key);
    if (!l) byKey.set(key, (l = { kind: i.kind, encounterType: i.type, clrType: CLR_TYPES[i.type] ?? '', settlements: 0, totalFen: 0, basicFundFen: 0, criticalIllnessFen: 0, medicalAssistanceFen: 0, cashFen: 0, fundFen: 0 }));
    const fund = i.basic + i.ci + i.ma;
    l.settlements++;
    l.totalFen += i.total;
    l.basicFundFen += i.basic;
    l.criticalIllnessFen += i.ci;
    l.medicalAssistanceFen += i.ma;
    l.cashFen += i.cash;
    l.fundFen += fund;
    if (i.kind === 'settled') t.settlements++;
    else if (i.kind === 'reversed') t.reversals++;
    else t.recoveries++;
    t.totalFen += i.total;
    t.fundTotalFen += fund;
    t.basicFundFen += i.basic;
    t.criticalIllnessFen += i.ci;
    t.medicalAssistanceFen += i.ma;
  }
  const lines = [...byKey.values()].sort((a, b) => (a.kind === b.kind ? a.encounterType.localeCompare(b.encounterType) : KIND_ORDER[a.kind] - KIND_ORDER[b.kind]));
  return { lines, ...t };
}

const num = (r: ItemRow) => ({ kind: r.kind, type: r.type, total: Number(r.total), basic: Number(r.basic), ci: Number(r.ci), ma: Number(r.ma), cash: Number(r.cash) });

async function hospitalName(db: Db, code: string): Promise<string> {
  const h = await db.selectFrom('hospital').select('name').where('code', '=', code).executeTakeFirst();
  if (!h) throw new NotFoundError('hospital', code);
  return h.name;
}

interface StoredRow {
  id: string;
  hospital_code: string;
  month: string;
  settlements: number;
  reversals: number;
  total_fen: string;
  fund_total_fen: string;
  lines: StatementLine[] | string;
  approved_by: string;
  approved_at: Date | string;
  reference: string | null;
  amount_fen: string | null;
  paid_on: string | null;
  entry_id: string | null;
}

async function storedStatement(db: Db, hospital: string, m: string): Promise<StoredRow | undefined> {
  const { rows } = await sql<StoredRow>`
    SELECT c.id::text AS id, c.hospital_code, c.month, c.settlements, c.reversals, c.total_fen::text, c.fund_total_fen::text, c.lines,
           c.approved_by, c.approved_at, p.reference, p.amount_fen::text, to_char(p.paid_on, 'YYYY-MM-DD') AS paid_on, p.entry_id::text
      FROM clearing_statement c LEFT JOIN clearing_payment p ON p.statement_id = c.id
     WHERE c.hospital_code = ${hospital} AND c.month = ${m}`.execute(db);
  return rows[0];
}

function fromStored(r: StoredRow, name: string): Statement {
  const lines = (typeof r.lines === 'string' ? JSON.parse(r.lines) : r.lines) as StatementLine[];
  const sum = (f: (l: StatementLine) => Fen) => lines.reduce((s, l) => s + f(l), 0);
  const fund = Number(r.fund_total_fen);
  return {
    hospitalCode: r.hospital_code,
    hospitalName: name,
    month: r.month,
    state: r.reference ? 'paid' : 'approved',
    statementId: r.id,
    settlements: r.settlements,
    reversals: r.reversals,
    recoveries: lines.filter((l) => l.kind === 'recovered').reduce((n, l) => n + l.settlements, 0),
    totalFen: Number(r.total_fen),
    fundTotalFen: fund,
    fundTotal: fenToYuan(fund),
    byFund: { basicFundFen: sum((l) => l.basicFundFen), criticalIllnessFen: sum((l) => l.criticalIllnessFen), medicalAssistanceFen: sum((l) => l.medicalAssistanceFen) },
    lines,
    approvedBy: r.approved_by,
    approvedAt: new Date(r.approved_at).toISOString(),
    payment: r.reference ? { reference: r.reference, amountFen: Number(r.amount_fen), paidOn: r.paid_on!, entryId: r.entry_id } : null,
  };
}

export const statementQuerySchema = z.object({ hospital: hospitalCode, month }).strict();

/** A hospital's statement for a month: as approved if it was, else drawn now from its settlements. A hospital account sees its own. */
export async function statement(db: Db, actor: Actor, query: unknown): Promise<Statement> {
  const q = parseBody(statementQuerySchema, query ?? {});
  requireHospital(actor, q.hospital);
  const name = await hospitalName(db, q.hospital);
  const stored = await storedStatement(db, q.hospital, q.month);
  if (stored) return fromStored(stored, name);
  const rows = await openItems(db, q.hospital, q.month);
  const s = summarise(rows.map(num));
  return {
    hospitalCode: q.hospital,
    hospitalName: name,
    month: q.month,
    state: 'open',
    statementId: null,
    settlements: s.settlements,
    reversals: s.reversals,
    recoveries: s.recoveries,
    totalFen: s.totalFen,
    fundTotalFen: s.fundTotalFen,
    fundTotal: fenToYuan(s.fundTotalFen),
    byFund: { basicFundFen: s.basicFundFen, criticalIllnessFen: s.criticalIllnessFen, medicalAssistanceFen: s.medicalAssistanceFen },
    lines: s.lines,
    approvedBy: null,
    approvedAt: null,
    payment: null,
    items: rows.filter((r) => r.kind !== 'recovered').map((r) => ({ settlementId: r.id, kind: r.kind as 'settled' | 'reversed', fundFen: Number(r.basic) + Number(r.ci) + Number(r.ma) })),
    recoveryItems: rows.filter((r) => r.kind === 'recovered').map((r) => ({ entryId: r.id, caseId: r.source ?? null, fundFen: Number(r.basic) + Number(r.ci) + Number(r.ma) })),
  };
}

export const approveSchema = z.object({ hospital: hospitalCode, month }).strict();

/** Approve a hospital's statement for a month (finance): the statement and its items written once, audited. */
export async function approveStatement(db: Kysely<DB>, actor: Actor, input: unknown): Promise<Statement> {
  const q = parseBody(approveSchema, input);
  const name = await hospitalName(db, q.hospital);
  const write = () =>
    db.transaction().execute(async (tx) => {
      if (await storedStatement(tx, q.hospital, q.month)) throw new ConflictError('STATEMENT_APPROVED', `the statement of ${q.hospital} for ${q.month} was approved already`);
      const rows = await openItems(tx, q.hospital, q.month);
      if (rows.length === 0) throw new ConflictError('EMPTY_STATEMENT', `hospital ${q.hospital} has no settlement to clear up to the end of ${q.month}`);
      const s = summarise(rows.map(num));
      const ins = await sql<{ id: string }>`
        INSERT INTO clearing_statement (hospital_code, month, settlements, reversals, total_fen, fund_total_fen, lines, approved_by)
        VALUES (${q.hospital}, ${q.month}, ${s.settlements}, ${s.reversals}, ${s.totalFen}, ${s.fundTotalFen}, ${JSON.stringify(s.lines)}::jsonb, ${actor.username})
        RETURNING id::text`.execute(tx);
      const id = ins.rows[0].id;
      const cleared = rows.filter((r) => r.kind !== 'recovered');
      for (const r of rows.filter((x) => x.kind === 'recovered'))
        await sql`INSERT INTO clearing_recovery (entry_id, statement_id, amount_fen) VALUES (${r.id}, ${id}, ${Number(r.basic) + Number(r.ci) + Number(r.ma)})`.execute(tx);
      for (let i = 0; i < cleared.length; i += 1000) {
        const chunk = cleared.slice(i, i + 1000);
        await sql`INSERT INTO clearing_item (statement_id, settlement_id, kind, fund_fen) VALUES ${sql.join(
          chunk.map((r) => sql`(${id}, ${r.id}, ${r.kind}, ${Number(r.basic) + Number(r.ci) + Number(r.ma)})`),
        )}`.execute(tx);
      }
      await audit(tx, actor, 'approve_clearing_statement', 'clearing_statement', id, { hospital: q.hospital, month: q.month, settlements: s.settlements, reversals: s.reversals, recoveries: s.recoveries, fundTotalFen: s.fundTotalFen });
    });
  // two approvals at once (of this month, or of two months sharing settlements): the second is refused
  try {
    await write();
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === '23505') throw new ConflictError('STATEMENT_APPROVED', `the statement of ${q.hospital} for ${q.month} (or a settlement of it) was approved at the same moment by another request`);
    throw e;
  }
  return fromStored((await storedStatement(db, q.hospital, q.month))!, name);
}

export const paySchema = z
  .object({
    hospital: hospitalCode,
    month,
    reference: z.string().trim().min(1).max(100).describe('the payment’s bank reference: the same reference twice is one payment'),
    paidOn: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date written YYYY-MM-DD'),
  })
  .strict();

export interface PaymentResult extends Statement {
  replayed: boolean;
}

/** Pay an approved statement: Dr payable_hospitals / Cr fund_bank, once (see the module comment). */
export async function payStatement(db: Kysely<DB>, actor: Actor, input: unknown): Promise<PaymentResult> {
  const q = parseBody(paySchema, input);
  const name = await hospitalName(db, q.hospital);
  const replayed = await paidOnce(q.hospital, q.month, () => onceMoreIfRaced('clearing_payment_reference_key', () =>
    db.transaction().execute(async (tx) => {
      const st = await storedStatement(tx, q.hospital, q.month);
      const prior = (await sql<{ statement_id: string; paid_on: string }>`SELECT statement_id::text, to_char(paid_on, 'YYYY-MM-DD') AS paid_on FROM clearing_payment WHERE reference = ${q.reference}`.execute(tx)).rows[0];
      if (prior) {
        if (st && prior.statement_id === st.id && prior.paid_on === q.paidOn) return true;
        throw new ConflictError('PAYMENT_REFERENCE_REUSED', `payment reference ${q.reference} was used for another payment`);
      }
      if (!st) throw new ConflictError('STATEMENT_NOT_APPROVED', `the statement of ${q.hospital} for ${q.month} is not approved: approve it first`);
      if (st.reference) throw new ConflictError('STATEMENT_PAID', `the statement of ${q.hospital} for ${q.month} was paid already (reference ${st.reference})`);
      const amount = Number(st.fund_total_fen);
      const entryId = await post(tx, `支付定点医疗机构 ${q.hospital} ${q.month} 清算款 ${q.reference}`, 'clearing_payment', st.id, [
        { account: ACCOUNTS.payableHospitals, fen: amount },
        { account: FUND_BANK, fen: -amount },
      ], Number(q.month.slice(0, 4)));
      await sql`INSERT INTO clearing_payment (reference, statement_id, amount_fen, paid_on, entry_id, recorded_by)
                VALUES (${q.reference}, ${st.id}, ${amount}, ${q.paidOn}::date, ${entryId}, ${actor.username})`.execute(tx);
      await audit(tx, actor, 'pay_clearing_statement', 'clearing_statement', st.id, { hospital: q.hospital, month: q.month, reference: q.reference, amountFen: amount, entryId });
      return false;
    }),
  ));
  return { ...fromStored((await storedStatement(db, q.hospital, q.month))!, name), replayed };
}

/** Two payments of one statement under different references at the same moment: the second is refused. */
async function paidOnce<T>(hospital: string, m: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (e) {
    if (isUniqueViolation(e, 'clearing_payment_statement_id_key')) throw new ConflictError('STATEMENT_PAID', `the statement of ${hospital} for ${m} was paid at the same moment by another request`);
    throw e;
  }
}

export const statementsQuerySchema = z.object({ hospital: hospitalCode.optional(), month: month.optional() }).strict();

/** Approved statements, newest month first (a hospital account: its own). */
export async function listStatements(db: Db, actor: Actor, query: unknown): Promise<{ statements: Statement[] }> {
  const q = parseBody(statementsQuerySchema, query ?? {});
  const hospital = actor.role === 'hospital' ? actor.hospitalCode : (q.hospital ?? null);
  if (q.hospital) requireHospital(actor, q.hospital);
  const { rows } = await sql<{ hospital_code: string; month: string; name: string }>`
    SELECT c.hospital_code, c.month, h.name FROM clearing_statement c JOIN hospital h ON h.code = c.hospital_code
     WHERE (${hospital}::text IS NULL OR c.hospital_code = ${hospital}) AND (${q.month ?? null}::text IS NULL OR c.month = ${q.month ?? null})
     ORDER BY c.month DESC, c.hospital_code LIMIT 1000`.execute(db);
  const out: Statement[] = [];
  for (const r of rows) out.push(fromStored((await storedStatement(db, r.hospital_code, r.month))!, r.name));
  return { statements: out };
}

/** The hospitals with settlements, each with how many live settlements no statement has cleared yet (the page's choice list). */
export async function hospitalsToClear(db: Db): Promise<{ hospitals: { code: string; name: string; uncleared: number }[] }> {
  const { rows } = await sql<{ code: string; name: string; uncleared: string }>`
    SELECT h.code, h.name, count(*) FILTER (WHERE s.reversed_at IS NULL AND NOT EXISTS (SELECT 1 FROM clearing_item c WHERE c.settlement_id = s.id AND c.kind = 'settled'))::text AS uncleared
      FROM hospital h JOIN settlement s ON s.hospital_code = h.code
     GROUP BY h.code, h.name ORDER BY h.code`.execute(db);
  return { hospitals: rows.map((r) => ({ code: r.code, name: r.name, uncleared: Number(r.uncleared) })) };
}
