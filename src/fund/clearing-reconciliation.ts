/**
 * A hospital's month of clearing beside what the hospital itself reported through the platform:
 * its accepted 3201 (医药机构费用结算对总账) and 3202 (对明细账) messages (fsi-interface-v1.1.27
 * 表 146–150, stored in fsi_message by src/hospitals/fsi) whose reconciliation period
 * (stmt_begndate..stmt_enddate) lies inside the month (reports spanning into another month are
 * listed apart, each compared on its own period with the live settlements of those days), against
 *   - the month's clearing statement (src/fund/clearing.ts: as approved, or drawn now), and
 *   - the hospital's live settlements settled (Beijing time) on the days the reports cover, the
 *     figure 3201 itself compares with.
 * The two differ by rule, not by error: the statement takes settlements of encounters up to the
 * month's end that no statement cleared before, and deducts reversals of cleared ones; 3201 takes
 * settlements by settlement time. Both comparisons are listed, each difference with its field.
 *
 * Reports: when the hospital sent several for the same days (a report sent again after a
 * correction), the latest counts and the older ones are listed as superseded; the days of the
 * month no accepted report covers are listed. 3202 rows (inline input.detail, or the file named
 * by file_qury_no) are compared settlement by settlement with the statement's cleared items.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import { fenToYuan, type Fen } from '../money.js';
import { parseBody } from '../request-input.js';
import type { DB } from '../store/schema.js';
import { requireHospital, type Actor } from '../access/roles.js';
import { detailRows } from '../hospitals/fsi/file-upload.js';
import { money } from '../hospitals/fsi/fields.js';
import { setlIdOf } from '../hospitals/fsi/platform-settlements.js';
import { statement, statementQuerySchema, type Statement } from './clearing.js';

type Db = Kysely<DB> | Transaction<DB>;

interface Message {
  msgid: string;
  infno: string;
  input: unknown;
  received_at: Date | string;
}

export interface Report {
  msgid: string;
  receivedAt: string;
  begin: string;
  end: string;
  clrType: string | null;
  medfeeFen: Fen;
  fundFen: Fen;
  acctFen: Fen;
  count: number;
}

export interface TotalsDifference {
  field: 'medfee_sumamt' | 'fund_pay_sumamt' | 'acct_pay' | 'fixmedins_setl_cnt';
  /** what the comparison is with: the month's statement, or the live settlements of the reported days */
  against: 'statement' | 'live';
  reported: number;
  ours: number;
  /** reported − ours (yuan for amounts, a count for fixmedins_setl_cnt) */
  difference: number;
}

export interface DetailDifference {
  setlId: string;
  settlementId: string | null;
  problem: 'NOT_REPORTED' | 'NOT_IN_STATEMENT' | 'AMOUNT_DIFFERS';
  message: string;
  reported: { medfee: number; fund: number } | null;
  statement: { medfee: number; fund: number } | null;
}

export interface ClearingReconciliation {
  hospitalCode: string;
  hospitalName: string;
  month: string;
  rule: string;
  statement: Pick<Statement, 'state' | 'statementId' | 'settlements' | 'reversals' | 'totalFen' | 'fundTotalFen'> & { total: number; fundTotal: number };
  reported: {
    reports: Report[];
    superseded: { msgid: string; begin: string; end: string; clrType: string | null; supersededBy: string }[];
    /**
     * 3201 reports whose period runs into another month (跨月对账): not in the month's sums (a
     * month's statement cannot be compared with part of a report), each compared on its own
     * period with the live settlements of those days; the latest of each period counts
     */
    spanning: SpanningReport[];
    /** days of the month no report covers, within the month or spanning it */
    uncoveredDays: string[];
    medfeeFen: Fen;
    fundFen: Fen;
    acctFen: Fen;
    count: number;
    medfee: number;
    fund: number;
    acct: number;
  };
  live: { medfeeFen: Fen; fundFen: Fen; count: number; medfee: number; fund: number };
  differences: TotalsDifference[];
  details: { reports: string[]; rows: number; matched: number; differences: DetailDifference[] } | null;
  balanced: boolean;
}

export interface SpanningReport extends Report {
  live: { medfeeFen: Fen; fundFen: Fen; count: number; medfee: number; fund: number };
  differences: TotalsDifference[];
  note: string;
  /** older reports of the same period and scope, superseded by this one */
  supersedes: string[];
}

/** At most this many days in a spanning report's period are compared (a quarter and a bit). */
const SPAN_MAX_DAYS = 93;

async function spanningReports(db: Db, hospital: string, m: string, newestFirst: readonly (Message & { begin: string; end: string; clrType: string | null })[]): Promise<SpanningReport[]> {
  const kept: SpanningReport[] = [];
  for (const r of newestFirst) {
    const same = kept.find((k) => k.begin === r.begin && k.end === r.end && k.clrType === r.clrType);
    if (same) {
      same.supersedes.push(r.msgid);
      continue;
    }
    const d = dataOf(r.input);
    const rep: Report = { msgid: r.msgid, receivedAt: iso(r.received_at), begin: r.begin, end: r.end, clrType: r.clrType, medfeeFen: money(d, 'data', 'medfee_sumamt'), fundFen: money(d, 'data', 'fund_pay_sumamt'), acctFen: d.acct_pay === undefined || d.acct_pay === null || d.acct_pay === '' ? 0 : money(d, 'data', 'acct_pay'), count: Number(d.fixmedins_setl_cnt) || 0 };
    const span = (Date.parse(`${r.end}T00:00:00Z`) - Date.parse(`${r.begin}T00:00:00Z`)) / 86_400_000 + 1;
    const differences: TotalsDifference[] = [];
    let live = { medfeeFen: 0, fundFen: 0, count: 0 };
    let note = `报告期 ${r.begin} 至 ${r.end} 跨月，不计入 ${m} 月合计；按报告期与该期间有效结算（按结算时间）比较`;
    if (span > SPAN_MAX_DAYS) note = `报告期 ${r.begin} 至 ${r.end} 超过 ${SPAN_MAX_DAYS} 天，不作比较；请按月上报`;
    else {
      live = await liveBetween(db, hospital, r.begin, r.end);
      const cmp = (field: TotalsDifference['field'], rep0: number, ours: number, isMoney: boolean) => {
        if (rep0 !== ours) differences.push({ field, against: 'live', reported: isMoney ? fenToYuan(rep0) : rep0, ours: isMoney ? fenToYuan(ours) : ours, difference: isMoney ? fenToYuan(rep0 - ours) : rep0 - ours });
      };
      cmp('medfee_sumamt', rep.medfeeFen, live.medfeeFen, true);
      cmp('fund_pay_sumamt', rep.fundFen, live.fundFen, true);
      cmp('acct_pay', rep.acctFen, 0, true);
      cmp('fixmedins_setl_cnt', rep.count, live.count, false);
    }
    kept.push({ ...rep, live: { ...live, medfee: fenToYuan(live.medfeeFen), fund: fenToYuan(live.fundFen) }, differences, note, supersedes: [] });
  }
  return kept.sort((a, b) => a.begin.localeCompare(b.begin) || (a.clrType ?? '').localeCompare(b.clrType ?? ''));
}

const RULE =
  '对账：医疗机构经 3201（医药机构费用结算对总账）、3202（对明细账）上报的本月数额，与本月清算单（就诊日期至月末、此前未清算的结算，扣减清算后冲销）和按结算时间统计的有效结算分别比较（fsi-interface-v1.1.27 表146–150）';

const iso = (v: Date | string) => (v instanceof Date ? v : new Date(v)).toISOString();

function daysOf(m: string): string[] {
  const [y, mo] = m.split('-').map(Number);
  const n = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  return Array.from({ length: n }, (_, i) => `${m}-${String(i + 1).padStart(2, '0')}`);
}

const dataOf = (input: unknown): Record<string, unknown> => {
  const d = input && typeof input === 'object' ? (input as Record<string, unknown>).data : null;
  return d && typeof d === 'object' ? (d as Record<string, unknown>) : {};
};
const text = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v.trim() : typeof v === 'number' ? String(v) : null);

/** The hospital's accepted 3201/3202 messages whose period overlaps the month, newest first. */
async function messages(db: Db, hospital: string, m: string): Promise<(Message & { begin: string; end: string; clrType: string | null })[]> {
  const days = daysOf(m);
  const first = days[0];
  const last = days[days.length - 1];
  const { rows } = await sql<Message>`
    SELECT msgid, infno, input, received_at FROM fsi_message
     WHERE hospital_code = ${hospital} AND infno IN ('3201', '3202') AND (reply->>'infcode') = '0'
     ORDER BY received_at DESC, msgid DESC`.execute(db);
  return rows
    .map((r) => {
      const d = dataOf(r.input);
      return { ...r, begin: (text(d.stmt_begndate) ?? '').slice(0, 10), end: (text(d.stmt_enddate) ?? '').slice(0, 10), clrType: text(d.clr_type) };
    })
    .filter((r) => DAY.test(r.begin) && DAY.test(r.end) && r.begin <= r.end && r.begin <= last && r.end >= first);
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
/** A report whose period lies inside the month (the others span into another month). */
const inside = (m: string) => (r: { begin: string; end: string }) => r.begin.startsWith(`${m}-`) && r.end.startsWith(`${m}-`);

/** The hospital's live settlements settled (Beijing time) from `begin` to `end`, both included. */
async function liveBetween(db: Db, hospital: string, begin: string, end: string): Promise<{ medfeeFen: Fen; fundFen: Fen; count: number }> {
  const { rows } = await sql<{ n: string; total: string; fund: string }>`
    SELECT count(*)::text AS n, coalesce(sum(s.total_fen), 0)::text AS total,
           coalesce(sum(s.basic_fund_fen + s.critical_illness_fen + s.medical_assistance_fen), 0)::text AS fund
      FROM settlement s
     WHERE s.hospital_code = ${hospital} AND s.reversed_at IS NULL
       AND s.settled_at >= (${begin}::date)::timestamp AT TIME ZONE 'Asia/Shanghai'
       AND s.settled_at < (${end}::date + 1)::timestamp AT TIME ZONE 'Asia/Shanghai'`.execute(db);
  return { count: Number(rows[0].n), medfeeFen: Number(rows[0].total), fundFen: Number(rows[0].fund) };
}

/** Keep the latest report of each day and scope (a report for every type overlaps a typed one). */
function latestPerDay<T extends { msgid: string; begin: string; end: string; clrType: string | null }>(newestFirst: readonly T[]) {
  const kept: T[] = [];
  const superseded: { msgid: string; begin: string; end: string; clrType: string | null; supersededBy: string }[] = [];
  for (const r of newestFirst) {
    const by = kept.find((k) => k.begin <= r.end && r.begin <= k.end && (k.clrType === null || r.clrType === null || k.clrType === r.clrType));
    if (by) superseded.push({ msgid: r.msgid, begin: r.begin, end: r.end, clrType: r.clrType, supersededBy: by.msgid });
    else kept.push(r);
  }
  return { kept, superseded };
}

async function liveOnDays(db: Db, hospital: string, days: readonly string[]): Promise<{ medfeeFen: Fen; fundFen: Fen; count: number }> {
  if (days.length === 0) return { medfeeFen: 0, fundFen: 0, count: 0 };
  const { rows } = await sql<{ n: string; total: string; fund: string }>`
    SELECT count(*)::text AS n, coalesce(sum(s.total_fen), 0)::text AS total,
           coalesce(sum(s.basic_fund_fen + s.critical_illness_fen + s.medical_assistance_fen), 0)::text AS fund
      FROM settlement s
     WHERE s.hospital_code = ${hospital} AND s.reversed_at IS NULL
       AND (s.settled_at AT TIME ZONE 'Asia/Shanghai')::date IN (${sql.join(days.map((d) => sql`${d}::date`))})`.execute(db);
  return { count: Number(rows[0].n), medfeeFen: Number(rows[0].total), fundFen: Number(rows[0].fund) };
}

/** The settlements the statement clears, with the platform's setl_id of each. */
async function clearedItems(db: Db, s: Statement): Promise<{ settlementId: string; setlId: string; totalFen: Fen; fundFen: Fen }[]> {
  const ids = s.statementId
    ? (await sql<{ id: string }>`SELECT settlement_id::text AS id FROM clearing_item WHERE statement_id = ${s.statementId} AND kind = 'settled'`.execute(db)).rows.map((r) => r.id)
    : (s.items ?? []).filter((i) => i.kind === 'settled').map((i) => i.settlementId);
  if (ids.length === 0) return [];
  const { rows } = await sql<{ id: string; encounter_id: string; setl_id: string | null; total: string; fund: string }>`
    SELECT s.id::text AS id, e.id::text AS encounter_id, e.setl_id, s.total_fen::text AS total,
           (s.basic_fund_fen + s.critical_illness_fen + s.medical_assistance_fen)::text AS fund
      FROM settlement s JOIN encounter e ON e.id = s.encounter_id
     WHERE s.id IN (${sql.join(ids.map((i) => sql`${i}::bigint`))}) ORDER BY s.id`.execute(db);
  return rows.map((r) => ({ settlementId: r.id, setlId: setlIdOf({ id: r.encounter_id, setl_id: r.setl_id }), totalFen: Number(r.total), fundFen: Number(r.fund) }));
}

/** The hospital's 3202 rows (the latest message's row of each settlement). */
async function reportedRows(db: Db, hospital: string, newestFirst: readonly Message[]): Promise<Map<string, { totalFen: Fen; fundFen: Fen; msgid: string }>> {
  const out = new Map<string, { totalFen: Fen; fundFen: Fen; msgid: string }>();
  for (const m of newestFirst) {
    const d = dataOf(m.input);
    const fileNo = text(d.file_qury_no);
    const file = fileNo ? await detailRows(db, hospital, fileNo) : null;
    const inline = m.input && typeof m.input === 'object' ? (m.input as Record<string, unknown>).detail : null;
    const rows = file
      ? file.map((r) => ({ setl_id: r.setl_id, totalFen: r.total, fundFen: r.fund }))
      : Array.isArray(inline)
        ? inline.filter((x): x is Record<string, unknown> => !!x && typeof x === 'object').map((x) => ({ setl_id: String(x.setl_id), totalFen: money(x, 'detail', 'medfee_sumamt'), fundFen: money(x, 'detail', 'fund_pay_sumamt') }))
        : [];
    for (const r of rows) if (!out.has(r.setl_id)) out.set(r.setl_id, { totalFen: r.totalFen, fundFen: r.fundFen, msgid: m.msgid });
  }
  return out;
}

/** One hospital's month: the statement beside its 3201/3202 reports, with the differences. */
export async function clearingReconciliation(db: Db, actor: Actor, query: unknown): Promise<ClearingReconciliation> {
  const q = parseBody(statementQuerySchema, query ?? {});
  requireHospital(actor, q.hospital);
  const s = await statement(db, actor, q);
  const overlapping = await messages(db, q.hospital, q.month);
  const all = overlapping.filter(inside(q.month));
  const { kept, superseded } = latestPerDay(all.filter((m) => m.infno === '3201'));
  const reports: Report[] = kept
    .map((m) => {
      const d = dataOf(m.input);
      return { msgid: m.msgid, receivedAt: iso(m.received_at), begin: m.begin, end: m.end, clrType: m.clrType, medfeeFen: money(d, 'data', 'medfee_sumamt'), fundFen: money(d, 'data', 'fund_pay_sumamt'), acctFen: d.acct_pay === undefined || d.acct_pay === null || d.acct_pay === '' ? 0 : money(d, 'data', 'acct_pay'), count: Number(d.fixmedins_setl_cnt) || 0 };
    })
    .sort((a, b) => a.begin.localeCompare(b.begin) || (a.clrType ?? '').localeCompare(b.clrType ?? ''));
  const covered = new Set(reports.flatMap((r) => daysOf(q.month).filter((d) => d >= r.begin && d <= r.end)));
  const spanning = await spanningReports(db, q.hospital, q.month, overlapping.filter((m) => m.infno === '3201' && !inside(q.month)(m)));
  const spanned = new Set(spanning.flatMap((r) => daysOf(q.month).filter((d) => d >= r.begin && d <= r.end)));
  const reported = {
    medfeeFen: reports.reduce((t, r) => t + r.medfeeFen, 0),
    fundFen: reports.reduce((t, r) => t + r.fundFen, 0),
    acctFen: reports.reduce((t, r) => t + r.acctFen, 0),
    count: reports.reduce((t, r) => t + r.count, 0),
  };
  // the live settlements of the days the reports cover (every encounter type), each day once
  const live = await liveOnDays(db, q.hospital, [...covered].sort());
  const differences: TotalsDifference[] = [];
  if (reports.length > 0) {
    const cmp = (against: 'statement' | 'live', field: TotalsDifference['field'], rep: number, ours: number, isMoney: boolean) => {
      if (rep !== ours) differences.push({ field, against, reported: isMoney ? fenToYuan(rep) : rep, ours: isMoney ? fenToYuan(ours) : ours, difference: isMoney ? fenToYuan(rep - ours) : rep - ours });
    };
    cmp('statement', 'medfee_sumamt', reported.medfeeFen, s.totalFen, true);
    cmp('statement', 'fund_pay_sumamt', reported.fundFen, s.fundTotalFen, true);
    cmp('statement', 'acct_pay', reported.acctFen, 0, true);
    cmp('statement', 'fixmedins_setl_cnt', reported.count, s.settlements - s.reversals, false);
    cmp('live', 'medfee_sumamt', reported.medfeeFen, live.medfeeFen, true);
    cmp('live', 'fund_pay_sumamt', reported.fundFen, live.fundFen, true);
    cmp('live', 'acct_pay', reported.acctFen, 0, true);
    cmp('live', 'fixmedins_setl_cnt', reported.count, live.count, false);
  }
  const detailMessages = all.filter((m) => m.infno === '3202');
  let details: ClearingReconciliation['details'] = null;
  if (detailMessages.length > 0) {
    const theirs = await reportedRows(db, q.hospital, detailMessages);
    const items = await clearedItems(db, s);
    const dd: DetailDifference[] = [];
    let matched = 0;
    for (const i of items) {
      const t = theirs.get(i.setlId);
      theirs.delete(i.setlId);
      const mine = { medfee: fenToYuan(i.totalFen), fund: fenToYuan(i.fundFen) };
      if (!t) dd.push({ setlId: i.setlId, settlementId: i.settlementId, problem: 'NOT_REPORTED', message: '清算单中的结算，机构 3202 未上报', reported: null, statement: mine });
      else if (t.totalFen !== i.totalFen || t.fundFen !== i.fundFen)
        dd.push({ setlId: i.setlId, settlementId: i.settlementId, problem: 'AMOUNT_DIFFERS', message: `金额不符：清算单 ${mine.medfee.toFixed(2)}/${mine.fund.toFixed(2)} 元，机构 ${fenToYuan(t.totalFen).toFixed(2)}/${fenToYuan(t.fundFen).toFixed(2)} 元（医疗费总额/基金支付）`, reported: { medfee: fenToYuan(t.totalFen), fund: fenToYuan(t.fundFen) }, statement: mine });
      else matched++;
    }
    for (const [setlId, t] of theirs) dd.push({ setlId, settlementId: null, problem: 'NOT_IN_STATEMENT', message: `机构 3202（${t.msgid}）上报，不在本月清算单中`, reported: { medfee: fenToYuan(t.totalFen), fund: fenToYuan(t.fundFen) }, statement: null });
    details = { reports: detailMessages.map((m) => m.msgid), rows: matched + dd.filter((x) => x.problem !== 'NOT_REPORTED').length, matched, differences: dd };
  }
  return {
    hospitalCode: s.hospitalCode,
    hospitalName: s.hospitalName,
    month: q.month,
    rule: RULE,
    statement: { state: s.state, statementId: s.statementId, settlements: s.settlements, reversals: s.reversals, totalFen: s.totalFen, fundTotalFen: s.fundTotalFen, total: fenToYuan(s.totalFen), fundTotal: fenToYuan(s.fundTotalFen) },
    reported: { reports, superseded, spanning, uncoveredDays: daysOf(q.month).filter((d) => !covered.has(d) && !spanned.has(d)), ...reported, medfee: fenToYuan(reported.medfeeFen), fund: fenToYuan(reported.fundFen), acct: fenToYuan(reported.acctFen) },
    live: { ...live, medfee: fenToYuan(live.medfeeFen), fund: fenToYuan(live.fundFen) },
    differences,
    details,
    balanced: reports.length > 0 && differences.every((d) => d.against !== 'statement') && (details === null || details.differences.length === 0),
  };
}
