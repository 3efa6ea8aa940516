/**
 * What the campaign pages (参保进度, 半月通报) share, pure (tested in node): the monitoring API's
 * answers as types, the areas a user may read, half-month ends and the sums of villages by
 * township with rates computed by the server's own functions (src/monitoring/figures.ts), so a
 * township's row equals what the API answers for that township.
 */
import { formatDay, parseDay } from '../../../src/dates.js';
import { coverageYearOf, halfMonthEnds, isHalfMonthEnd, previousHalfMonthEnd, rateOf, type RateFigure } from '../../../src/monitoring/figures.js';

/** An admin area as GET /api/v1/areas gives it (the fields used here). */
export interface AreaLike {
  code: string;
  level: string;
  parentCode: string | null;
}
/** The session's user (the fields used here). */
export interface UserLike {
  role: string;
  villages: readonly string[];
}

export { coverageYearOf, halfMonthEnds, rateOf, type RateFigure };

export interface Figures {
  target: number;
  targetSource: 'imported' | 'derived' | 'mixed';
  enrollments: number;
  paid: number;
  unpaid: number;
  refused: number;
  blocked: number;
  rate: RateFigure | null;
  lastYear: { enrolled: number; enrolledSameDay: number; asOf: string; rate: RateFigure | null; change: number };
  contributionsYuan: number;
  assistanceYuan: number;
  subsidyYuan: number;
}

export interface AreaRef {
  code: string;
  name: string;
  level: 'county' | 'township' | 'village';
  region: string;
}

export interface ProgressAnswer {
  area: AreaRef;
  coverageYear: number;
  asOf: string;
  pack: string;
  window: { from: string; to: string; cite: string | null };
  targetBase: string;
  totals: Figures;
  villages: (Figures & { villageCode: string; villageName: string; townshipName: string | null })[];
  assistanceByGroup: { group: string; label: string; persons: number; yuan: number }[];
  series: { asOf: string; paid: number; rate: RateFigure | null }[];
}

/** GET /api/v1/monitoring/targets: each village's imported target beside the one derived from the register. */
export interface TargetsAnswer {
  area: AreaRef;
  coverageYear: number;
  baseDate: string;
  basis: { derived: string; cite: string | null; quote: string | null };
  villages: {
    villageCode: string;
    villageName: string;
    townshipName: string | null;
    imported: { enrollment: number; evoucher: number | null } | null;
    derived: { enrollment: number; registered: number; employeeInsurance: number; baseDate: string };
    /** what the rate is measured against */
    enrollment: number;
    source: 'imported' | 'derived';
  }[];
}

export interface GroupFigure {
  group: string;
  label: string;
  persons: number;
  enrolled: number;
  missing: number;
  rate: RateFigure | null;
  met: boolean;
}

export interface GroupSums {
  groups: GroupFigure[];
  persons: number;
  enrolled: number;
  missing: number;
  rate: RateFigure | null;
}

export interface GroupsAnswer {
  area: AreaRef;
  countedOn: string;
  window: { from: string; to: string };
  target: string;
  cite: string | null;
  quote: string | null;
  groups: { id: string; label: string; statuses: string[] }[];
  villages: (GroupSums & { villageCode: string; villageName: string })[];
  totals: GroupSums;
}

export interface EvFigures {
  target: number;
  activated: number;
  notActivated: number;
  rate: RateFigure | null;
  byChannel: Record<string, number>;
}

export interface EvouchersAnswer {
  area: AreaRef;
  villages: (EvFigures & { villageCode: string; villageName: string })[];
  totals: EvFigures;
}

export const EVOUCHER_CHANNEL_LABELS: Record<string, string> = {
  wechat: '微信',
  alipay: '支付宝',
  nhsa_app: '国家医保服务平台APP',
  bank: '银行APP',
  offline: '线下（村居、经办窗口代激活）',
  other: '其他',
};

export const TARGET_SOURCE_LABELS: Record<string, string> = { imported: '分解表', derived: '推算', mixed: '分解表与推算', enrollment_target: '按应参保人数' };

/** Whether a date (YYYY-MM-DD) closes a half-month (the 15th or the month's last day), as the server counts them. */
export const halfMonthEnd = (date: string): boolean => isHalfMonthEnd(parseDay(date));

/** The half-month end on or before a date: the report a date belongs to. */
export const endOnOrBefore = (date: string): string => (halfMonthEnd(date) ? date : formatDay(previousHalfMonthEnd(parseDay(date))));

export const rateText = (r: RateFigure | null | undefined): string => r?.text ?? '—';

/** The areas a user may read figures of: everything but a hospital; a clerk only within their own codes. */
export function readable<A extends AreaLike>(user: UserLike, areas: A[]): A[] {
  if (user.role === 'hospital') return [];
  if (user.role !== 'clerk') return areas;
  return areas.filter((a) => user.villages.some((v) => a.code.startsWith(v)));
}

/** The area a page starts with: a clerk's own (first) area, else the county (or the first area held). */
export function homeArea(user: UserLike, areas: AreaLike[]): string | undefined {
  if (user.role === 'clerk') return user.villages[0];
  return (areas.find((a) => a.level === 'county') ?? areas[0])?.code;
}

/** The chain county → township → village above and including `code`, among the areas given. */
export function chainOf<A extends AreaLike>(code: string, areas: A[]): A[] {
  const by = new Map(areas.map((a) => [a.code, a]));
  const out: A[] = [];
  for (let a = by.get(code); a; a = a.parentCode ? by.get(a.parentCode) : undefined) out.unshift(a);
  return out;
}

export interface Sums {
  code: string;
  name: string;
  target: number;
  paid: number;
  unpaid: number;
  refused: number;
  blocked: number;
  rate: RateFigure | null;
  lastYear: number;
  lastYearRate: RateFigure | null;
  change: number;
  groups: { persons: number; enrolled: number; missing: number; rate: RateFigure | null };
  ev: { target: number; activated: number; rate: RateFigure | null };
}

/**
 * The rows below an area: its villages (a township or village), or its townships (a county),
 * each summed from the villages' figures as the server sums them.
 */
export function rowsBelow(p: ProgressAnswer, g: GroupsAnswer | null, e: EvouchersAnswer | null, names: Map<string, string>): Sums[] {
  const byTownship = p.area.level === 'county';
  const key = (villageCode: string) => (byTownship ? villageCode.slice(0, 9) : villageCode);
  const rows = new Map<string, Sums & { lastSame: number }>();
  const row = (code: string, name: string) => {
    let r = rows.get(code);
    if (!r) {
      r = { code, name, target: 0, paid: 0, unpaid: 0, refused: 0, blocked: 0, rate: null, lastYear: 0, lastYearRate: null, change: 0, lastSame: 0, groups: { persons: 0, enrolled: 0, missing: 0, rate: null }, ev: { target: 0, activated: 0, rate: null } };
      rows.set(code, r);
    }
    return r;
  };
  for (const v of p.villages) {
    const r = row(key(v.villageCode), byTownship ? (v.townshipName ?? names.get(key(v.villageCode)) ?? key(v.villageCode)) : v.villageName);
    r.target += v.target;
    r.paid += v.paid;
    r.unpaid += v.unpaid;
    r.refused += v.refused;
    r.blocked += v.blocked;
    r.lastYear += v.lastYear.enrolled;
    r.lastSame += v.lastYear.enrolledSameDay;
  }
  for (const v of g?.villages ?? []) {
    const r = row(key(v.villageCode), v.villageName);
    r.groups.persons += v.persons;
    r.groups.enrolled += v.enrolled;
    r.groups.missing += v.missing;
  }
  for (const v of e?.villages ?? []) {
    const r = row(key(v.villageCode), v.villageName);
    r.ev.target += v.target;
    r.ev.activated += v.activated;
  }
  return [...rows.values()].map(({ lastSame, ...r }) => ({
    ...r,
    rate: rateOf(r.paid, r.target),
    lastYearRate: rateOf(r.paid, r.lastYear),
    change: r.paid - lastSame,
    groups: { ...r.groups, rate: rateOf(r.groups.enrolled, r.groups.persons) },
    ev: { ...r.ev, rate: rateOf(r.ev.activated, r.ev.target) },
  }));
}
