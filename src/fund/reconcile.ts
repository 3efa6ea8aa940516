/**
 * Reconciling a hospital's own figures with ours, as the platform's 3201 (医药机构费用结算对总账)
 * and 3202 (对明细账) transactions carry them (fsi-interface-v1.1.27 表 146, 148, 150): the
 * hospital reports the totals (medfee_sumamt, fund_pay_sumamt, acct_pay, fixmedins_setl_cnt) of
 * its settlements whose settlement time (结算时间) falls between stmt_begndate and stmt_enddate;
 * we compare them with the live settlements of that range and answer stmt_rslt 0 (平) or 1 (不平)
 * with what differs. The detail form compares settlement by settlement (setl_id = our settlement
 * id). The transactions' envelope is built in src/hospitals/fsi; these functions take their data.
 * Settlement times are read as Beijing dates (Asia/Shanghai). Resident insurance has no personal
 * account: acct_pay is 0 on our side.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import { z } from 'zod';
import { fenToYuan, formatYuan, yuanToFen, type Fen } from '../money.js';
import { parseBody } from '../request-input.js';
import type { DB } from '../store/schema.js';
import { requireHospital, type Actor } from '../access/roles.js';
import { CLR_TYPES, hospitalCode } from './clearing.js';

type Db = Kysely<DB> | Transaction<DB>;

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date written yyyy-MM-dd');
const amount = z.union([z.number(), z.string()]).transform((v, c) => {
  try {
    return yuanToFen(v);
  } catch (e) {
    c.addIssue({ code: 'custom', message: (e as Error).message });
    return z.NEVER;
  }
});

export const totalsSchema = z
  .object({
    hospital: hospitalCode,
    insutype: z.string().max(6).optional(),
    clr_type: z.string().max(6).optional().describe('清算类别: only the settlements of that encounter type (11 门诊, 14 门诊慢特病, 15 两病门诊, 21 住院, 51 生育)'),
    setl_optins: z.string().max(6).optional(),
    stmt_begndate: day,
    stmt_enddate: day,
    medfee_sumamt: amount,
    fund_pay_sumamt: amount,
    acct_pay: amount,
    fixmedins_setl_cnt: z.number().int().min(0),
    refd_setl_flag: z.string().max(6).optional(),
    fixmedins_refd_setl_flag: z.string().max(6).optional(),
  })
  .strict();

export interface Difference {
  field: string;
  ours: number;
  theirs: number;
}

export interface TotalsReconciliation {
  stmt_rslt: '0' | '1';
  stmt_rslt_dscr: string;
  ours: { medfee_sumamt: number; fund_pay_sumamt: number; acct_pay: number; fixmedins_setl_cnt: number };
  differences: Difference[];
}

interface Row {
  id: string;
  total: string;
  fund: string;
}

async function liveSettlements(db: Db, hospital: string, from: string, to: string, clrType: string | undefined): Promise<Row[]> {
  const types = clrType ? Object.entries(CLR_TYPES).filter(([, c]) => c === clrType).map(([t]) => t) : null;
  const { rows } = await sql<Row>`
    SELECT s.id::text AS id, s.total_fen::text AS total, (s.basic_fund_fen + s.critical_illness_fen + s.medical_assistance_fen)::text AS fund
      FROM settlement s JOIN encounter e ON e.id = s.encounter_id
     WHERE s.hospital_code = ${hospital} AND s.reversed_at IS NULL
       AND (s.settled_at AT TIME ZONE 'Asia/Shanghai')::date BETWEEN ${from}::date AND ${to}::date
       AND (${types === null}::boolean OR e.type IN (${sql.join(types && types.length ? types : [''])}))
     ORDER BY s.id`.execute(db);
  return rows;
}

/** 3201: the hospital's totals against the live settlements of the range. */
export async function reconcileTotals(db: Db, actor: Actor, input: unknown): Promise<TotalsReconciliation> {
  const q = parseBody(totalsSchema, input);
  requireHospital(actor, q.hospital);
  const rows = await liveSettlements(db, q.hospital, q.stmt_begndate, q.stmt_enddate, q.clr_type);
  const total = rows.reduce((s, r) => s + Number(r.total), 0);
  const fund = rows.reduce((s, r) => s + Number(r.fund), 0);
  const diffs: Difference[] = [];
  const cmp = (field: string, ours: Fen, theirs: Fen, money: boolean) => {
    if (ours !== theirs) diffs.push({ field, ours: money ? fenToYuan(ours) : ours, theirs: money ? fenToYuan(theirs) : theirs });
  };
  cmp('medfee_sumamt', total, q.medfee_sumamt, true);
  cmp('fund_pay_sumamt', fund, q.fund_pay_sumamt, true);
  cmp('acct_pay', 0, q.acct_pay, true);
  cmp('fixmedins_setl_cnt', rows.length, q.fixmedins_setl_cnt, false);
  return {
    stmt_rslt: diffs.length ? '1' : '0',
    stmt_rslt_dscr: diffs.length
      ? `不平：${diffs.map((d) => `${d.field} 中心 ${d.ours} / 机构 ${d.theirs}`).join('；')}`
      : `平：${rows.length} 笔，医疗费总额 ${formatYuan(total)} 元，基金支付 ${formatYuan(fund)} 元`,
    ours: { medfee_sumamt: fenToYuan(total), fund_pay_sumamt: fenToYuan(fund), acct_pay: 0, fixmedins_setl_cnt: rows.length },
    differences: diffs,
  };
}

export const detailsSchema = z
  .object({
    hospital: hospitalCode,
    stmt_begndate: day,
    stmt_enddate: day,
    rows: z
      .array(
        z
          .object({
            setl_id: z.string().min(1).max(30),
            mdtrt_id: z.string().max(30).optional(),
            psn_no: z.string().max(30).optional(),
            medfee_sumamt: amount,
            fund_pay_sumamt: amount,
            acct_pay: amount,
            refd_setl_flag: z.string().max(3).optional(),
          })
          .strict(),
      )
      .max(100_000),
  })
  .strict();

export interface DetailResult {
  setl_id: string;
  mdtrt_id: string | null;
  psn_no: string | null;
  /** 0 平, 1 不平 */
  stmt_rslt: '0' | '1';
  memo: string;
  medfee_sumamt: number | null;
  fund_pay_sumamt: number | null;
  acct_pay: number | null;
}

/** 3202: settlement by settlement; ours missing from the hospital's rows are listed too. */
export async function reconcileDetails(db: Db, actor: Actor, input: unknown): Promise<{ stmt_rslt: '0' | '1'; rows: DetailResult[] }> {
  const q = parseBody(detailsSchema, input);
  requireHospital(actor, q.hospital);
  const ours = new Map((await liveSettlements(db, q.hospital, q.stmt_begndate, q.stmt_enddate, undefined)).map((r) => [r.id, r]));
  const out: DetailResult[] = [];
  const seen = new Set<string>();
  for (const t of q.rows) {
    seen.add(t.setl_id);
    const o = ours.get(t.setl_id);
    const problems: string[] = [];
    if (!o) problems.push('中心无此结算（或已冲销、不在对账期间）');
    else {
      if (Number(o.total) !== t.medfee_sumamt) problems.push(`医疗费总额 中心 ${formatYuan(Number(o.total))} / 机构 ${formatYuan(t.medfee_sumamt)}`);
      if (Number(o.fund) !== t.fund_pay_sumamt) problems.push(`基金支付 中心 ${formatYuan(Number(o.fund))} / 机构 ${formatYuan(t.fund_pay_sumamt)}`);
      if (t.acct_pay !== 0) problems.push(`个人账户支出 中心 0.00 / 机构 ${formatYuan(t.acct_pay)}`);
    }
    out.push({
      setl_id: t.setl_id,
      mdtrt_id: t.mdtrt_id ?? null,
      psn_no: t.psn_no ?? null,
      stmt_rslt: problems.length ? '1' : '0',
      memo: problems.join('；') || '平',
      medfee_sumamt: o ? fenToYuan(Number(o.total)) : null,
      fund_pay_sumamt: o ? fenToYuan(Number(o.fund)) : null,
      acct_pay: o ? 0 : null,
    });
  }
  for (const [id, o] of ours)
    if (!seen.has(id)) out.push({ setl_id: id, mdtrt_id: null, psn_no: null, stmt_rslt: '1', memo: '机构未上传此结算', medfee_sumamt: fenToYuan(Number(o.total)), fund_pay_sumamt: fenToYuan(Number(o.fund)), acct_pay: 0 });
  return { stmt_rslt: out.some((r) => r.stmt_rslt === '1') ? '1' : '0', rows: out };
}
