/**
 * Payment files of the tax bureau and the banks (CSV or XLSX: ID number, amount, date, channel,
 * reference), imported in batches: each payment re-quoted on its date exactly as a single
 * payment is (src/services/payments.ts: late payers get the waiting period, past the subsidy
 * deadline the person bears the subsidy, after the final deadline it is refused, the amount
 * must be what is due), idempotent by reference (the same payment again changes nothing;
 * another payment under a used reference is refused), bad rows back by line; the whole file in
 * one transaction (nothing written if it fails part-way). Per batch, in a few set-based statements: the enrollments locked, the payment rows, the
 * enrollments paid, the ledger entries (person's payment, assistance, fiscal subsidy per level,
 * with the single payment's memos and accounts), duplicate flags for second payments, newborns
 * following a paying guardian, and one audit row per payment.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import { isDateString } from '../dates.js';
import { InputError } from '../errors.js';
import { formatYuan, yuanToFen } from '../money.js';
import { REFUSAL_CODES } from '../policy/vocabulary.js';
import { parseIdNumber } from '../registers/id-number.js';
import { ACCOUNTS, type EntryToPost, postMany } from '../ledger/ledger.js';
import { maskIdNumber } from '../access/privacy.js';
import type { QuoteService } from '../quotes/quote-service.js';
import type { SheetFormat } from '../sheets.js';
import type { DB } from '../store/schema.js';
import { coverageYearOf } from './figures.js';
import { importSheet, type SheetImportSummary, type WriteOutcome } from './sheet-import.js';
import { followGuardians } from '../campaign/newborns.js';
import { type Actor, inScope } from '../access/roles.js';
import { type PersonFacts, employeeEndedSql, quoteColumns, quotePerson, storedQuote, subsidyLines } from '../campaign/person-quote.js';

export const PAYMENT_FILE_COLUMNS = {
  reference: ['reference', '流水号', '缴费流水号', '交易流水号', '电子税票号码', '票证号码', '缴款凭证号'],
  idNumber: ['idNumber', '身份证号', '身份证号码', '公民身份号码', '证件号码', '缴费人证件号码'],
  name: ['name', '姓名', '缴费人姓名'],
  amount: ['amountYuan', 'amount', '金额', '缴费金额', '缴费金额(元)', '实缴金额', '实缴金额(元)'],
  paidOn: ['paidOn', '缴费日期', '入库日期', '交易日期', '缴款日期'],
  channel: ['channel', '渠道', '缴费渠道', '缴费方式'],
  year: ['coverageYear', '年度', '参保年度', '待遇年度'],
} as const;
type F = keyof typeof PAYMENT_FILE_COLUMNS;

type Channel = 'online' | 'offline' | 'tax_bureau' | 'medical_assistance';
const CHANNELS: Record<string, Channel> = {
  online: 'online', 线上: 'online', 微信: 'online', 支付宝: 'online', 重庆税务: 'online', 网上: 'online',
  offline: 'offline', 线下: 'offline', 现场: 'offline', 银行: 'offline', 刷卡: 'offline', 银行代收: 'offline',
  tax_bureau: 'tax_bureau', 税务: 'tax_bureau', 税务局: 'tax_bureau', 税务征收: 'tax_bureau',
  medical_assistance: 'medical_assistance', 医疗救助: 'medical_assistance', 医疗救助资助: 'medical_assistance',
};

interface Row {
  line: number;
  reference: string;
  idNumber: string;
  name: string | undefined;
  amountFen: number;
  paidOn: string;
  channel: Channel;
  year: number;
}

export interface PaymentFileOptions {
  path: string;
  fileName?: string;
  format?: SheetFormat;
  /** the channel of rows without one (a tax bureau's file: tax_bureau) */
  channel?: Channel;
  /** the coverage year of rows without one; default: the year the payment date collects for */
  coverageYear?: number;
  batchSize?: number;
  onBatch?: (rows: number) => void;
  /**
   * The whole file in one transaction (default): a file that fails part-way — unreadable past a
   * line, a database error — leaves nothing written. false: one transaction per batch, each
   * batch visible as soon as it is written (the demo's own generated file, so the service shows
   * the campaign filling while it loads); a re-import of the same file then completes it.
   */
  atomic?: boolean;
}

export interface PaymentFileSummary extends SheetImportSummary {
  /** rows whose reference was recorded before with the same payment: nothing changed */
  replayed: number;
  /** refused by the rules (after the final deadline, duplicate enrollment, reused reference, no enrollment …) */
  refused: number;
  newbornsFollowing: number;
}

interface FactsRow {
  enrollment_id: string;
  state: string;
  tier: string | null;
  block_reason: string | null;
  coverage_year: number;
  person_id: string;
  id_number: string;
  name: string;
  birth_date: string;
  kind: string;
  graduation_year: number | null;
  household_id: string | null;
  village_code: string;
  region: string;
  statuses: string[] | null;
  residence: 'rural' | 'urban' | null;
  employee_ended_on: string | null;
}

const today = (): string => {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
};

export async function importPaymentFile(db: Kysely<DB>, quotes: QuoteService, actor: Actor, o: PaymentFileOptions): Promise<PaymentFileSummary> {
  const dflt = o.channel;
  const now = today();
  const extra = { replayed: 0, refused: 0, newbornsFollowing: 0 };
  let seenRows = 0;
  const s = await importSheet<F, Row>(
    db,
    actor,
    {
      kind: 'payments',
      columns: PAYMENT_FILE_COLUMNS,
      required: [['reference'], ['idNumber'], ['amount'], ['paidOn']],
      idField: 'idNumber',
      keyField: 'reference',
      describeKey: 'reference',
      parse: (get, line) => {
        const reference = (get('reference') ?? '').trim();
        if (!reference || reference.length > 100) throw new InputError('reference', 'give the payment reference (流水号), at most 100 characters');
        const id = parseIdNumber(get('idNumber') ?? '', 'idNumber');
        const paidOn = (get('paidOn') ?? '').slice(0, 10).replace(/\//g, '-');
        if (!isDateString(paidOn)) throw new InputError('paidOn', `"${get('paidOn')}" is not a date (YYYY-MM-DD)`);
        if (paidOn > now) throw new InputError('paidOn', `${paidOn} is in the future`);
        let amountFen: number;
        try {
          amountFen = yuanToFen((get('amount') ?? '').replace(/[,，\s]/g, ''));
        } catch (e) {
          throw new InputError('amount', `"${get('amount')}" is not an amount in yuan (${(e as Error).message})`);
        }
        if (amountFen <= 0) throw new InputError('amount', 'must be more than 0');
        const c = (get('channel') ?? '').trim().toLowerCase();
        const channel = c ? CHANNELS[c] : dflt;
        if (!channel) throw new InputError('channel', c ? `"${get('channel')}" is not a channel (线上, 线下, 税务, 医疗救助)` : 'is empty: give the channel, or a default channel for the file');
        const y = (get('year') ?? '').trim();
        const year = y ? Number(y) : (o.coverageYear ?? coverageYearOf(paidOn));
        if (!Number.isInteger(year) || year < 2000 || year > 2100) throw new InputError('year', `"${y}" is not a coverage year`);
        return { line, reference, idNumber: id.idNumber, name: get('name') || undefined, amountFen, paidOn, channel, year };
      },
      key: (r) => r.reference,
      write: async (tx, rows, batchId, heading) => {
        const out = await writeBatch(tx, quotes, actor, rows, batchId, heading, extra);
        seenRows += rows.length;
        o.onBatch?.(seenRows);
        return out;
      },
    },
    { path: o.path, fileName: o.fileName, format: o.format, batchSize: o.batchSize ?? 1000, atomic: o.atomic ?? true },
  );
  return { ...s, ...extra };
}

async function writeBatch(
  tx: Transaction<DB>,
  quotes: QuoteService,
  actor: Actor,
  rows: Row[],
  batchId: string,
  heading: (f: F) => string,
  extra: { replayed: number; refused: number; newbornsFollowing: number },
): Promise<WriteOutcome> {
  await sql`SET LOCAL jit = off`.execute(tx);
  const refused: WriteOutcome['refused'] = [];
  const refuse = (r: Row, field: F, reason: string): void => {
    extra.refused++;
    refused.push({ line: r.line, field: heading(field), reason, idNumber: maskIdNumber(r.idNumber) });
  };
  // 1. references recorded before
  const { rows: prior } = await sql<{ reference: string; channel: string; amount_fen: string; paid_on: string; id_number: string; coverage_year: number }>`
    SELECT pm.reference, pm.channel, pm.amount_fen, pm.paid_on, p.id_number, e.coverage_year FROM payment pm
    JOIN enrollment e ON e.id = pm.enrollment_id JOIN person p ON p.id = e.person_id
    WHERE pm.reference = ANY(${rows.map((r) => r.reference)}::text[])`.execute(tx);
  const priorBy = new Map(prior.map((p) => [p.reference, p]));
  // 2. the enrollments and the persons' facts, locked in id order
  const keys = [...new Set(rows.map((r) => `${r.idNumber}|${r.year}`))].map((k) => k.split('|'));
  const { rows: facts } = await sql<FactsRow>`
    SELECT e.id AS enrollment_id, e.state, e.tier, e.block_reason, e.coverage_year, p.id AS person_id, p.id_number, p.name, p.birth_date, p.kind, p.graduation_year,
      p.household_id, p.village_code, a.region, p.residence, ${employeeEndedSql(sql`e.coverage_year`)} AS employee_ended_on,
      (SELECT array_agg(DISTINCT n.status ORDER BY n.status) FROM needy_status n WHERE n.person_id = p.id
        AND n.valid_from <= make_date(e.coverage_year, 1, 1) AND (n.valid_to IS NULL OR n.valid_to >= make_date(e.coverage_year, 1, 1))) AS statuses
    FROM unnest(${keys.map((k) => k[0])}::text[], ${keys.map((k) => Number(k[1]))}::int[]) AS k(id_number, year)
    JOIN person p ON p.id_number = k.id_number
    JOIN enrollment e ON e.person_id = p.id AND e.coverage_year = k.year
    JOIN admin_area a ON a.code = p.village_code
    ORDER BY e.id FOR UPDATE OF e`.execute(tx);
  const factsBy = new Map(facts.map((f) => [`${f.id_number}|${f.coverage_year}`, f]));
  const { rows: firstPayments } = facts.length
    ? await sql<{ enrollment_id: string; reference: string }>`
        SELECT DISTINCT ON (enrollment_id) enrollment_id, reference FROM payment WHERE enrollment_id = ANY(${facts.map((f) => f.enrollment_id)}::bigint[]) ORDER BY enrollment_id, id`.execute(tx)
    : { rows: [] };
  const firstRef = new Map(firstPayments.map((p) => [String(p.enrollment_id), p.reference]));

  interface Write {
    r: Row;
    f: FactsRow;
    q: ReturnType<typeof quotePerson>;
    assistance: number;
  }
  const writes: Write[] = [];
  const flags: { f: FactsRow; r: Row; detail: string }[] = [];
  const paidNow = new Map<string, Row>();
  for (const r of rows) {
    const p = priorBy.get(r.reference);
    if (p) {
      const same = p.channel === r.channel && p.id_number === r.idNumber && p.coverage_year === r.year && Number(p.amount_fen) === r.amountFen && p.paid_on === r.paidOn;
      if (same) extra.replayed++;
      else refuse(r, 'reference', `PAYMENT_REFERENCE_REUSED: reference ${r.reference} was recorded for another payment (channel, person, amount or date differ)`);
      continue;
    }
    const f = factsBy.get(`${r.idNumber}|${r.year}`);
    if (!f) {
      refuse(r, 'idNumber', `no enrollment for this ID number in ${r.year} (is the person registered, and the year assessed?)`);
      continue;
    }
    if (!inScope(actor, f.village_code)) {
      refuse(r, 'idNumber', `this person is registered in village ${f.village_code}, outside ${actor.username}'s area`);
      continue;
    }
    if (r.name !== undefined && r.name !== f.name) {
      refuse(r, 'name', 'differs from the name in the registers for this ID number');
      continue;
    }
    if (f.state === 'blocked') {
      refuse(r, 'idNumber', `DUPLICATE_ENROLLMENT: ${f.block_reason ?? 'the enrollment is blocked as a duplicate enrollment'}`);
      continue;
    }
    const earlier = paidNow.get(f.enrollment_id);
    if (f.state === 'paid' || earlier) {
      const first = earlier?.reference ?? firstRef.get(String(f.enrollment_id));
      const detail = `second payment ${r.reference} (${r.channel}, ${formatYuan(r.amountFen)} yuan, ${r.paidOn}) refused: already paid${first ? ` by ${first}` : ' (following a guardian)'}`;
      flags.push({ f, r, detail });
      refuse(r, 'reference', `DUPLICATE_ENROLLMENT: 重复参保 — already paid for ${r.year}${first ? ` (payment ${first})` : ''}; refused and flagged`);
      continue;
    }
    const pf: PersonFacts = {
      personId: String(f.person_id), idNumber: f.id_number, name: f.name, birthDate: f.birth_date, kind: f.kind, graduationYear: f.graduation_year,
      householdId: f.household_id === null ? null : String(f.household_id), villageCode: f.village_code, region: f.region, statuses: f.statuses ?? [],
      residence: f.residence ?? null, employeeEndedOn: f.employee_ended_on ?? null,
    };
    let q: ReturnType<typeof quotePerson>;
    try {
      q = quotePerson(quotes, pf, r.year, { tier: f.tier, paidOn: r.paidOn, enrolledOn: r.paidOn });
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      refuse(r, 'idNumber', `the person cannot be quoted: ${e.message}`);
      continue;
    }
    const res = q.result;
    if (!res.accepted) {
      const code = res.reason!.code;
      refuse(r, 'paidOn', `${code}: ${(REFUSAL_CODES as Record<string, string>)[code] ?? res.reason!.message}: payment on ${r.paidOn} is not accepted for ${r.year}`);
      continue;
    }
    const due = res.individualDue!;
    const assistance = res.assistance ?? 0;
    if (r.channel === 'medical_assistance') {
      if (due !== 0) {
        refuse(r, 'channel', `the person owes ${formatYuan(due)} yuan; the medical-assistance fund's part is posted with the person's own payment`);
        continue;
      }
      if (r.amountFen !== assistance) {
        refuse(r, 'amount', `${formatYuan(r.amountFen)} yuan is not the assistance due from the medical-assistance fund: ${formatYuan(assistance)} yuan`);
        continue;
      }
    } else {
      if (due === 0) {
        refuse(r, 'channel', `nothing is due from the person (the medical-assistance fund pays ${formatYuan(assistance)} yuan): record it with channel 医疗救助`);
        continue;
      }
      if (r.amountFen !== due) {
        refuse(r, 'amount', `${formatYuan(r.amountFen)} yuan is not the amount due: ${formatYuan(due)} yuan (paid on ${r.paidOn}${res.subsidyBorneByPerson ? `, including the fiscal subsidy of ${formatYuan(res.subsidyBorneByPerson)} yuan the person bears` : ''})`);
        continue;
      }
    }
    paidNow.set(f.enrollment_id, r);
    writes.push({ r, f, q, assistance });
  }

  // 3. the writes, set-based
  if (flags.length) {
    const { rows: made } = await sql<{ id: string; id_number: string }>`
      INSERT INTO duplicate_flag (person_id, id_number, coverage_year, reason, detail)
      SELECT * FROM unnest(${flags.map((x) => x.f.person_id)}::bigint[], ${flags.map((x) => x.f.id_number)}::text[], ${flags.map((x) => x.r.year)}::int[],
        ${flags.map(() => 'same_id_twice')}::text[], ${flags.map((x) => x.detail)}::text[])
      ON CONFLICT (id_number, coverage_year, reason) DO UPDATE SET detail = EXCLUDED.detail, resolved_at = NULL
      RETURNING id, id_number`.execute(tx);
    await sql`
      INSERT INTO audit_log (actor, role, action, entity, entity_id, detail)
      SELECT ${actor.username}, ${actor.role}, 'flag_duplicate', 'duplicate_flag', x.id, x.detail
      FROM unnest(${made.map((m) => String(m.id))}::text[], ${made.map((m) => JSON.stringify({ reason: 'same_id_twice', reference: flags.find((f) => f.f.id_number === m.id_number)!.r.reference, importBatchId: batchId }))}::jsonb[]) AS x(id, detail)`.execute(tx);
  }
  if (!writes.length) return { inserted: 0, updated: 0, unchanged: rows.length - refused.length, refused, audit: null };
  const { rows: ins } = await sql<{ id: string; reference: string }>`
    INSERT INTO payment (reference, channel, enrollment_id, amount_fen, paid_on, recorded_by)
    SELECT * FROM unnest(${writes.map((w) => w.r.reference)}::text[], ${writes.map((w) => w.r.channel)}::text[], ${writes.map((w) => w.f.enrollment_id)}::bigint[],
      ${writes.map((w) => w.r.amountFen)}::bigint[], ${writes.map((w) => w.r.paidOn)}::date[], ${writes.map(() => actor.username)}::text[])
    RETURNING id, reference`.execute(tx);
  const paymentId = new Map(ins.map((x) => [x.reference, String(x.id)]));
  const cols = writes.map((w) => ({ ...quoteColumns(w.q.result), tier: w.q.tier, pack: w.q.cp.pack.id, quote: storedQuote(w.q) }));
  await sql`
    UPDATE enrollment e SET
      standard_fen = x.standard_fen, assistance_fen = x.assistance_fen, due_fen = x.due_fen, borne_fen = x.borne_fen, subsidy_fen = x.subsidy_fen,
      benefit_start = x.benefit_start, benefit_end = x.benefit_end, waiting_days = x.waiting_days, refusal_code = x.refusal_code,
      tier = x.tier, pack = x.pack, state = 'paid', block_reason = NULL, quote = x.quote, paid_fen = x.paid_fen, paid_on = x.paid_on,
      guardian_person_id = NULL, version = e.version + 1, updated_at = now()
    FROM jsonb_to_recordset(${JSON.stringify(writes.map((w, i) => ({ id: w.f.enrollment_id, ...cols[i], paid_fen: w.r.amountFen, paid_on: w.r.paidOn })))}::jsonb)
      AS x(id bigint, standard_fen bigint, assistance_fen bigint, due_fen bigint, borne_fen bigint, subsidy_fen bigint, benefit_start date, benefit_end date,
        waiting_days int, refusal_code text, tier text, pack text, quote jsonb, paid_fen bigint, paid_on date)
    WHERE e.id = x.id`.execute(tx);
  // the ledger: the single payment's entries, memos and accounts
  const entries: EntryToPost[] = [];
  for (const w of writes) {
    const pid = paymentId.get(w.r.reference)!;
    if (w.r.channel !== 'medical_assistance')
      entries.push({ memo: `个人缴费 ${w.r.year} ${w.r.reference}`, source: 'payment', sourceId: pid, coverageYear: w.r.year, lines: [{ account: ACCOUNTS.contributionsReceived, fen: w.r.amountFen }, { account: ACCOUNTS.basicFund, fen: -w.r.amountFen }] });
    if (w.assistance > 0)
      entries.push({ memo: `医疗救助资助参保 ${w.r.year} ${w.r.reference}`, source: 'assistance', sourceId: pid, coverageYear: w.r.year, lines: [{ account: ACCOUNTS.medicalAssistanceFund, fen: w.assistance }, { account: ACCOUNTS.basicFund, fen: -w.assistance }] });
    const sub = w.q.result.subsidy;
    if (sub && sub.total !== 0) entries.push({ memo: `财政补助 ${w.r.year} enrollment ${w.f.enrollment_id}`, source: 'subsidy', sourceId: String(w.f.enrollment_id), coverageYear: w.r.year, lines: subsidyLines(sub) });
  }
  await postMany(tx, entries);
  await sql`
    INSERT INTO audit_log (actor, role, action, entity, entity_id, detail)
    SELECT ${actor.username}, ${actor.role}, 'record_payment', 'payment', x.id, x.detail
    FROM unnest(${writes.map((w) => paymentId.get(w.r.reference)!)}::text[], ${writes.map((w) =>
      JSON.stringify({
        enrollmentId: String(w.f.enrollment_id), reference: w.r.reference, channel: w.r.channel, amountFen: w.r.amountFen, paidOn: w.r.paidOn, assistanceFen: w.assistance,
        subsidyFen: w.q.result.subsidy?.total ?? 0, subsidyBorneByPersonFen: w.q.result.subsidyBorneByPerson ?? 0, benefitStart: w.q.answer.benefitPeriod?.start ?? null,
        waitingDays: w.q.answer.waitingDays, importBatchId: batchId, line: w.r.line,
      }))}::jsonb[]) AS x(id, detail)`.execute(tx);
  // newborns of the payers' households, born in the year and not yet paid, follow their guardian
  const households = new Map<number, Set<string>>();
  for (const w of writes) if (w.f.household_id !== null) (households.get(w.r.year) ?? households.set(w.r.year, new Set()).get(w.r.year)!).add(String(w.f.household_id));
  for (const [year, ids] of [...households].sort((x, y) => x[0] - y[0])) extra.newbornsFollowing += (await followGuardians(tx, quotes, actor, [...ids], year)).length;
  return { inserted: writes.length, updated: 0, unchanged: rows.length - writes.length - refused.length, refused, audit: null };
}
