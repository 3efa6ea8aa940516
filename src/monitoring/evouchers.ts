/**
 * 医保电子凭证 activation (兴义府发〔2022〕3号 七: 各村居要……做好本辖区……未激活人员医保电子凭证的激活使用):
 * activation lists imported (ID number, activated on, channel; a person's first activation is
 * kept), the rate per village against its target as of a date, and the residents not activated.
 */
import { sql, type Kysely } from 'kysely';
import { InputError } from '../errors.js';
import { parseIdNumber } from '../registers/id-number.js';
import { maskIdNumber } from '../access/privacy.js';
import type { QuoteService } from '../quotes/quote-service.js';
import type { SheetFormat } from '../sheets.js';
import type { DB } from '../store/schema.js';
import { areaInScope, checkYear, inArea, type AreaRef } from './area.js';
import { rateOf, type RateFigure } from './figures.js';
import { auditRead, maskingFor, type Masking } from './people.js';
import { checkDate } from './progress.js';
import { importSheet, type SheetImportSummary } from './sheet-import.js';
import { villageTargets } from './targets.js';
import { parseDateText } from '../registers/terms.js';
import { type Actor, inScope } from '../access/roles.js';

export const EVOUCHER_CHANNELS = ['wechat', 'alipay', 'nhsa_app', 'bank', 'offline', 'other'] as const;
export type EvoucherChannel = (typeof EVOUCHER_CHANNELS)[number];
export const CHANNEL_LABELS: Record<EvoucherChannel, string> = {
  wechat: '微信',
  alipay: '支付宝',
  nhsa_app: '国家医保服务平台APP',
  bank: '银行APP',
  offline: '线下（村居、经办窗口代激活）',
  other: '其他',
};
const CHANNEL_TEXT: Record<string, EvoucherChannel> = {
  wechat: 'wechat', 微信: 'wechat', 微信小程序: 'wechat', alipay: 'alipay', 支付宝: 'alipay',
  nhsa_app: 'nhsa_app', 国家医保服务平台: 'nhsa_app', 国家医保服务平台app: 'nhsa_app', 医保app: 'nhsa_app', 医保服务平台: 'nhsa_app',
  bank: 'bank', 银行: 'bank', 银行app: 'bank', offline: 'offline', 线下: 'offline', 村居: 'offline', 窗口: 'offline', 代激活: 'offline', 村居代激活: 'offline',
  other: 'other', 其他: 'other', 其它: 'other',
};

export function channelOf(text: string | undefined): EvoucherChannel {
  const t = (text ?? '').trim().toLowerCase().replace(/\s+/g, '');
  if (!t) return 'other';
  const c = CHANNEL_TEXT[t];
  if (!c) throw new InputError('channel', `"${text}" is not a channel (${Object.values(CHANNEL_LABELS).join('、')})`);
  return c;
}

export const EVOUCHER_COLUMNS = {
  idNumber: ['idNumber', '身份证号', '身份证号码', '公民身份号码', '证件号码'],
  name: ['name', '姓名'],
  activatedOn: ['activatedOn', '激活日期', '激活时间', '激活日'],
  channel: ['channel', '激活渠道', '渠道', '激活方式'],
} as const;
type F = keyof typeof EVOUCHER_COLUMNS;

interface Row {
  line: number;
  idNumber: string;
  name: string | undefined;
  activatedOn: string;
  channel: EvoucherChannel;
}

/** Import an activation list: persons must be in the registers and in the caller's area; the earliest activation is kept. */
export async function importEvouchers(db: Kysely<DB>, actor: Actor, o: { path: string; fileName?: string; format?: SheetFormat }): Promise<SheetImportSummary> {
  const today = new Date().toISOString().slice(0, 10);
  return importSheet<F, Row>(db, actor, {
    kind: 'evouchers',
    columns: EVOUCHER_COLUMNS,
    required: [['idNumber'], ['activatedOn']],
    idField: 'idNumber',
    describeKey: 'ID number',
    parse: (get, line) => {
      const id = parseIdNumber(get('idNumber') ?? '', 'idNumber');
      const activatedOn = parseDateText((get('activatedOn') ?? '').slice(0, 10), 'activatedOn');
      if (activatedOn > today) throw new InputError('activatedOn', `${activatedOn} is in the future`);
      return { line, idNumber: id.idNumber, name: get('name') || undefined, activatedOn, channel: channelOf(get('channel')) };
    },
    key: (r) => r.idNumber,
    write: async (tx, rows, batchId, heading) => {
      const { rows: persons } = await sql<{ id: string; id_number: string; name: string; village_code: string; activated_on: string | null; channel: string | null }>`
        SELECT p.id, p.id_number, p.name, p.village_code, a.activated_on, a.channel FROM person p
        LEFT JOIN evoucher_activation a ON a.person_id = p.id
        WHERE p.id_number = ANY(${rows.map((r) => r.idNumber)}::text[])
        ORDER BY p.id FOR UPDATE OF p`.execute(tx);
      const by = new Map(persons.map((p) => [p.id_number, p]));
      const refused: { line: number; field: string; reason: string; idNumber: string }[] = [];
      const write: { personId: string; r: Row }[] = [];
      let unchanged = 0;
      let inserted = 0;
      for (const r of rows) {
        const p = by.get(r.idNumber);
        const masked = maskIdNumber(r.idNumber);
        if (!p) refused.push({ line: r.line, field: heading('idNumber'), reason: 'no person with this ID number in the registers', idNumber: masked });
        else if (!inScope(actor, p.village_code)) refused.push({ line: r.line, field: heading('idNumber'), reason: `this person is registered in village ${p.village_code}, outside ${actor.username}'s area`, idNumber: masked });
        else if (r.name !== undefined && r.name !== p.name) refused.push({ line: r.line, field: heading('name'), reason: 'differs from the name in the registers for this ID number', idNumber: masked });
        else if (p.activated_on !== null && p.activated_on <= r.activatedOn) unchanged++;
        else {
          if (p.activated_on === null) inserted++;
          write.push({ personId: String(p.id), r });
        }
      }
      if (write.length)
        await sql`
          INSERT INTO evoucher_activation (person_id, activated_on, channel, import_batch_id, recorded_by)
          SELECT * FROM unnest(${write.map((w) => w.personId)}::bigint[], ${write.map((w) => w.r.activatedOn)}::date[], ${write.map((w) => w.r.channel)}::text[],
            ${write.map(() => batchId)}::bigint[], ${write.map(() => actor.username)}::text[])
          ON CONFLICT (person_id) DO UPDATE SET activated_on = EXCLUDED.activated_on, channel = EXCLUDED.channel, import_batch_id = EXCLUDED.import_batch_id,
            recorded_by = EXCLUDED.recorded_by, recorded_at = now()
          WHERE evoucher_activation.activated_on > EXCLUDED.activated_on`.execute(tx);
      return {
        inserted,
        updated: write.length - inserted,
        unchanged,
        refused,
        audit: write.length ? { entity: 'evoucher_activation', personIds: write.length <= 100 ? write.map((w) => w.personId) : undefined, written: write.length } : null,
      };
    },
  }, { path: o.path, fileName: o.fileName, format: o.format });
}

export interface VillageEvouchers {
  villageCode: string;
  villageName: string;
  target: number;
  targetSource: 'imported' | 'enrollment_target';
  activated: number;
  /** persons of the village assessed for the year (not blocked) and not activated on the date */
  notActivated: number;
  rate: RateFigure | null;
  byChannel: Partial<Record<EvoucherChannel, number>>;
}

export interface EvouchersAnswer {
  area: AreaRef;
  coverageYear: number;
  asOf: string;
  villages: VillageEvouchers[];
  totals: Omit<VillageEvouchers, 'villageCode' | 'villageName'>;
}

/** Activations per village of the area on a date, against the village's target. */
export async function evoucherRates(db: Kysely<DB>, quotes: QuoteService, actor: Actor, q: { area?: string; year: number; asOf: string }): Promise<EvouchersAnswer> {
  const asOf = checkDate(q.asOf);
  const targets = await villageTargets(db, quotes, actor, { area: q.area, year: q.year });
  const area = targets.area;
  const [{ rows }, { rows: residents }] = await Promise.all([
    sql<{ village_code: string; channel: string; n: string }>`
      SELECT p.village_code, a.channel, count(*) AS n FROM evoucher_activation a JOIN person p ON p.id = a.person_id
      WHERE ${inArea('p.village_code', area.code)} AND a.activated_on <= ${asOf}::date GROUP BY 1, 2`.execute(db),
    sql<{ village_code: string; n: string }>`
      SELECT f.village_code, count(*) AS n FROM enrollment_progress f
      WHERE f.coverage_year = ${targets.coverageYear} AND f.village_code LIKE ${`${area.code}%`} AND f.state <> 'blocked'
        AND NOT EXISTS (SELECT 1 FROM evoucher_activation a WHERE a.person_id = f.person_id AND a.activated_on <= ${asOf}::date)
      GROUP BY 1`.execute(db),
  ]);
  const act = new Map<string, { n: number; by: Partial<Record<EvoucherChannel, number>> }>();
  for (const r of rows) {
    const cur = act.get(r.village_code) ?? { n: 0, by: {} };
    cur.n += Number(r.n);
    cur.by[r.channel as EvoucherChannel] = Number(r.n);
    act.set(r.village_code, cur);
  }
  const not = new Map(residents.map((r) => [r.village_code, Number(r.n)]));
  const villages = targets.villages.map((t): VillageEvouchers => {
    const a = act.get(t.villageCode) ?? { n: 0, by: {} };
    const target = t.evoucher ?? t.enrollment;
    return {
      villageCode: t.villageCode,
      villageName: t.villageName,
      target,
      targetSource: t.evoucher !== null ? 'imported' : 'enrollment_target',
      activated: a.n,
      notActivated: not.get(t.villageCode) ?? 0,
      rate: rateOf(a.n, target),
      byChannel: a.by,
    };
  });
  const sum = (f: (v: VillageEvouchers) => number) => villages.reduce((s, v) => s + f(v), 0);
  const byChannel: Partial<Record<EvoucherChannel, number>> = {};
  for (const v of villages) for (const [k, n] of Object.entries(v.byChannel)) byChannel[k as EvoucherChannel] = (byChannel[k as EvoucherChannel] ?? 0) + n;
  const target = sum((v) => v.target);
  return {
    area,
    coverageYear: targets.coverageYear,
    asOf,
    villages,
    totals: {
      target,
      targetSource: villages.every((v) => v.targetSource === 'imported') ? 'imported' : 'enrollment_target',
      activated: sum((v) => v.activated),
      notActivated: sum((v) => v.notActivated),
      rate: rateOf(sum((v) => v.activated), target),
      byChannel,
    },
  };
}

export interface NotActivatedPerson {
  personId: string;
  idNumber: string;
  name: string;
  villageCode: string;
  villageName: string;
  houseNo: string | null;
  enrollmentState: string;
}

/** Residents of the area assessed for the year (not blocked) without an activation on the date (audited). */
export async function notActivated(db: Kysely<DB>, quotes: QuoteService, actor: Actor, q: { area?: string; year: number; asOf: string; masked?: boolean }) {
  const asOf = checkDate(q.asOf);
  // the area in the actor's scope and the year (the lists need no targets)
  const coverageYear = checkYear(q.year);
  const targets = { area: await areaInScope(db, actor, q.area), coverageYear };
  const mask = maskingFor(actor, q.masked);
  const persons = await notActivatedRows(db, targets.area.code, targets.coverageYear, asOf, mask, null);
  await auditRead(db, actor, 'evoucher_not_activated', { area: targets.area.code, coverageYear: targets.coverageYear, asOf, rows: persons.length, fullIdNumbers: mask.full });
  return { area: targets.area, coverageYear: targets.coverageYear, asOf, fullIdNumbers: mask.full, persons };
}

/** One page of the same list, in the same order, with the total: for the console (audited per page). */
export async function notActivatedPage(db: Kysely<DB>, quotes: QuoteService, actor: Actor, q: { area?: string; year: number; asOf: string; masked?: boolean; page: number; pageSize: number }) {
  const asOf = checkDate(q.asOf);
  if (!Number.isInteger(q.page) || q.page < 1) throw new InputError('page', 'must be a whole number from 1');
  if (!Number.isInteger(q.pageSize) || q.pageSize < 1 || q.pageSize > 500) throw new InputError('pageSize', 'must be a whole number from 1 to 500');
  // the area in the actor's scope and the year (the lists need no targets)
  const coverageYear = checkYear(q.year);
  const targets = { area: await areaInScope(db, actor, q.area), coverageYear };
  const mask = maskingFor(actor, q.masked);
  const [{ rows }, persons] = await Promise.all([
    sql<{ n: string }>`SELECT count(*) AS n FROM enrollment_progress f WHERE ${notActivatedWhere(targets.area.code, targets.coverageYear, asOf)}`.execute(db),
    notActivatedRows(db, targets.area.code, targets.coverageYear, asOf, mask, { limit: q.pageSize, offset: (q.page - 1) * q.pageSize }),
  ]);
  const total = Number(rows[0]?.n ?? 0);
  await auditRead(db, actor, 'evoucher_not_activated', { area: targets.area.code, coverageYear: targets.coverageYear, asOf, page: q.page, pageSize: q.pageSize, rows: persons.length, total, fullIdNumbers: mask.full });
  return { area: targets.area, coverageYear: targets.coverageYear, asOf, fullIdNumbers: mask.full, page: q.page, pageSize: q.pageSize, total, persons };
}

const notActivatedWhere = (area: string, year: number, asOf: string) => sql`
  f.coverage_year = ${year} AND f.village_code LIKE ${`${area}%`} AND f.state <> 'blocked'
  AND NOT EXISTS (SELECT 1 FROM evoucher_activation a WHERE a.person_id = f.person_id AND a.activated_on <= ${asOf}::date)`;

async function notActivatedRows(db: Kysely<DB>, area: string, year: number, asOf: string, mask: Masking, page: { limit: number; offset: number } | null): Promise<NotActivatedPerson[]> {
  const { rows } = await sql<{ person_id: string; id_number: string; name: string; village_code: string; village_name: string; house_no: string | null; state: string }>`
    SELECT p.id AS person_id, p.id_number, p.name, p.village_code, v.name AS village_name, h.house_no, f.state
    FROM enrollment_progress f JOIN person p ON p.id = f.person_id JOIN admin_area v ON v.code = p.village_code LEFT JOIN household h ON h.id = p.household_id
    WHERE ${notActivatedWhere(area, year, asOf)}
    ORDER BY p.village_code, h.house_no NULLS LAST, p.id
    ${page ? sql`LIMIT ${page.limit} OFFSET ${page.offset}` : sql``}`.execute(db);
  return rows.map((r) => ({
    personId: String(r.person_id),
    idNumber: mask.id(r.id_number),
    name: mask.name(r.name),
    villageCode: r.village_code,
    villageName: r.village_name,
    houseNo: r.house_no,
    enrollmentState: r.state,
  }));
}
