/**
 * Read-only views of the ledger for the console's 基金 and 医院结算 pages, all derived from
 * postings and settlements (nothing stored is edited):
 *
 * - income and spending of each fund by month. A posting's month is its business date: the
 *   payment date for contributions and assistance (payment.paid_on), the enrollment's payment
 *   date for the fiscal subsidy, the encounter date for a settlement; a reversal and a fund
 *   transfer count in the month they were recorded (journal_entry.at). Income is what the
 *   fund was credited, spending what it was debited, so for each fund the months' income less
 *   spending adds up to its balance (natural sign) in the trial balance.
 * - settlements by hospital and encounter day: counts, and what the funds and the patients paid.
 */
import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import { fromZodIssues } from '../errors.js';
import { fenToYuan, type Fen } from '../money.js';
import { ACCOUNTS } from './ledger.js';
import type { DB } from '../store/schema.js';

export const FUND_ACCOUNTS = [ACCOUNTS.basicFund, ACCOUNTS.criticalIllnessFund, ACCOUNTS.medicalAssistanceFund] as const;

const month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month written YYYY-MM');

export const fundMonthsQuerySchema = z
  .object({
    account: z.enum(FUND_ACCOUNTS).optional().describe('one fund; default all three'),
    from: month.optional().describe('first month, YYYY-MM'),
    to: month.optional().describe('last month, YYYY-MM'),
  })
  .strict();

export interface FundMonthLine {
  month: string;
  account: string;
  /** journal source: payment, assistance, subsidy, settlement, reversal, fund_transfer */
  source: string;
  /** credited to the fund, yuan */
  income: number;
  /** debited from the fund, yuan */
  spending: number;
  incomeFen: Fen;
  spendingFen: Fen;
  postings: number;
}

function parse<T extends z.ZodType>(schema: T, data: unknown): z.infer<T> {
  const r = schema.safeParse(data ?? {});
  if (!r.success) throw fromZodIssues(r.error.issues);
  return r.data;
}

/** Each fund's income and spending by month and by source (rows ordered by month, fund, source). */
export async function fundMonths(db: Kysely<DB>, query: unknown): Promise<{ lines: FundMonthLine[] }> {
  const q = parse(fundMonthsQuerySchema, query);
  const accounts = q.account ? [q.account] : [...FUND_ACCOUNTS];
  const { rows } = await sql<{ month: string; account: string; source: string; income: string; spending: string; n: string }>`
    SELECT m.month, m.account, m.source,
           sum(CASE WHEN m.amount_fen < 0 THEN -m.amount_fen ELSE 0 END) AS income,
           sum(CASE WHEN m.amount_fen > 0 THEN m.amount_fen ELSE 0 END) AS spending,
           count(*) AS n
      FROM (
        SELECT p.account, j.source, p.amount_fen,
               coalesce(to_char(CASE
                 WHEN j.source IN ('payment', 'assistance') THEN pay.paid_on
                 WHEN j.source = 'subsidy' THEN enr.paid_on
                 WHEN j.source = 'settlement' THEN enc.date
               END, 'YYYY-MM'), to_char(j.at, 'YYYY-MM')) AS month
          FROM posting p
          JOIN journal_entry j ON j.id = p.entry_id
          LEFT JOIN payment pay ON j.source IN ('payment', 'assistance') AND pay.id = j.source_id
          LEFT JOIN enrollment enr ON j.source = 'subsidy' AND enr.id = j.source_id
          LEFT JOIN settlement s ON j.source = 'settlement' AND s.id = j.source_id
          LEFT JOIN encounter enc ON enc.id = s.encounter_id
         WHERE p.account IN (${sql.join(accounts)})
      ) m
     WHERE (${q.from ?? null}::text IS NULL OR m.month >= ${q.from ?? null})
       AND (${q.to ?? null}::text IS NULL OR m.month <= ${q.to ?? null})
     GROUP BY m.month, m.account, m.source
     ORDER BY m.month, m.account, m.source`.execute(db);
  return {
    lines: rows.map((r) => {
      const incomeFen = Number(r.income);
      const spendingFen = Number(r.spending);
      return { month: r.month, account: r.account, source: r.source, income: fenToYuan(incomeFen), spending: fenToYuan(spendingFen), incomeFen, spendingFen, postings: Number(r.n) };
    }),
  };
}

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date written YYYY-MM-DD');

export const hospitalDaysQuerySchema = z
  .object({
    hospital: z.string().min(1).max(30).optional(),
    from: day.optional().describe('first encounter day'),
    to: day.optional().describe('last encounter day'),
    page: z.coerce.number().int().min(1).default(1),
    pageSize: z.coerce.number().int().min(1).max(500).default(50),
  })
  .strict();

export interface HospitalDay {
  hospitalCode: string;
  hospitalName: string;
  day: string;
  /** settlements of the day's encounters, reversed ones included */
  settlements: number;
  reversed: number;
  /** the live settlements' amounts, yuan */
  total: number;
  basicFund: number;
  criticalIllness: number;
  medicalAssistance: number;
  fundTotal: number;
  personalCash: number;
  fundTotalFen: Fen;
}

/** Settlements by hospital and encounter day, newest day first, paged. `hospital` limits to one (a hospital account: always its own). */
export async function hospitalDays(db: Kysely<DB>, query: unknown, onlyHospital?: string): Promise<{ page: number; pageSize: number; total: number; days: HospitalDay[] }> {
  const q = parse(hospitalDaysQuerySchema, query);
  const hospital = onlyHospital ?? q.hospital ?? null;
  const where = sql`(${hospital}::text IS NULL OR s.hospital_code = ${hospital})
    AND (${q.from ?? null}::date IS NULL OR e.date >= ${q.from ?? null}::date)
    AND (${q.to ?? null}::date IS NULL OR e.date <= ${q.to ?? null}::date)`;
  // one pass: the page of day groups with the number of groups beside it (count(*) OVER () runs
  // after the GROUP BY, before the LIMIT); only a page past the end asks for the count on its own
  const { rows } = await sql<{ hospital_code: string; name: string; day: string; n: string; reversed: string; total: string; basic: string; ci: string; ma: string; cash: string; groups: string }>`
      SELECT s.hospital_code, h.name, to_char(e.date, 'YYYY-MM-DD') AS day,
             count(*) AS n,
             count(*) FILTER (WHERE s.reversed_at IS NOT NULL) AS reversed,
             coalesce(sum(s.total_fen) FILTER (WHERE s.reversed_at IS NULL), 0) AS total,
             coalesce(sum(s.basic_fund_fen) FILTER (WHERE s.reversed_at IS NULL), 0) AS basic,
             coalesce(sum(s.critical_illness_fen) FILTER (WHERE s.reversed_at IS NULL), 0) AS ci,
             coalesce(sum(s.medical_assistance_fen) FILTER (WHERE s.reversed_at IS NULL), 0) AS ma,
             coalesce(sum(s.cash_fen) FILTER (WHERE s.reversed_at IS NULL), 0) AS cash,
             count(*) OVER () AS groups
        FROM settlement s
        JOIN encounter e ON e.id = s.encounter_id
        JOIN hospital h ON h.code = s.hospital_code
       WHERE ${where}
       GROUP BY s.hospital_code, h.name, e.date
       ORDER BY e.date DESC, s.hospital_code
       LIMIT ${q.pageSize} OFFSET ${(q.page - 1) * q.pageSize}`.execute(db);
  const total = rows.length
    ? Number(rows[0].groups)
    : q.page === 1
      ? 0
      : Number((await sql<{ n: string }>`SELECT count(*) AS n FROM (SELECT 1 FROM settlement s JOIN encounter e ON e.id = s.encounter_id WHERE ${where} GROUP BY s.hospital_code, e.date) g`.execute(db)).rows[0]?.n ?? 0);
  return {
    page: q.page,
    pageSize: q.pageSize,
    total,
    days: rows.map((r) => {
      const funds = Number(r.basic) + Number(r.ci) + Number(r.ma);
      return {
        hospitalCode: r.hospital_code,
        hospitalName: r.name,
        day: r.day,
        settlements: Number(r.n),
        reversed: Number(r.reversed),
        total: fenToYuan(Number(r.total)),
        basicFund: fenToYuan(Number(r.basic)),
        criticalIllness: fenToYuan(Number(r.ci)),
        medicalAssistance: fenToYuan(Number(r.ma)),
        fundTotal: fenToYuan(funds),
        personalCash: fenToYuan(Number(r.cash)),
        fundTotalFen: funds,
      };
    }),
  };
}
