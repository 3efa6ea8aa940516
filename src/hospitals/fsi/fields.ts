/** Checks of the fields of a platform message (types and lengths of the spec's tables), each refusal an FsiError naming the field in Chinese. */
import { MAX_YUAN, fenToYuan } from '../../money.js';

export type Obj = Record<string, unknown>;

/** A refusal: the reply is infcode -1 with this message. */
export class FsiError extends Error {}

// ---- field checks ----

export const empty = (v: unknown) => v === undefined || v === null || v === '' || v === 'null' || v === 'NULL';

/** The value of a node or field, its name in any case (signIn / signin, mdtrtInfo / mdtrtinfo). */
export function get(o: Obj, name: string): unknown {
  if (name in o) return o[name];
  const want = name.toLowerCase();
  for (const k of Object.keys(o)) if (k.toLowerCase() === want) return o[k];
  return undefined;
}
/** An object's keys, and its nested objects' keys, in lower case (the spec: 根节点和各个子节点一律小写). */
export function lowerKeys(v: unknown, depth = 0): unknown {
  if (depth > 8 || v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x) => lowerKeys(x, depth + 1));
  const out: Obj = {};
  for (const [k, x] of Object.entries(v as Obj)) {
    const lk = k.toLowerCase();
    if (!(lk in out) || empty(out[lk])) out[lk] = lowerKeys(x, depth + 1);
  }
  return out;
}
export function node(input: Obj, name: string): Obj {
  let v = get(input, name);
  // a one-row list where an object is expected (several editions wrap single rows in an array)
  if (Array.isArray(v) && v.length === 1) v = v[0];
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new FsiError(`输入节点 ${name} 缺失或不是对象`);
  return v as Obj;
}
export function list(input: Obj, name: string): Obj[] {
  const v = get(input, name);
  const arr = Array.isArray(v) ? v : v && typeof v === 'object' ? [v] : null;
  if (!arr || arr.length === 0) throw new FsiError(`输入节点 ${name} 缺失或为空`);
  arr.forEach((x, i) => {
    if (x === null || typeof x !== 'object' || Array.isArray(x)) throw new FsiError(`输入节点 ${name} 第 ${i + 1} 行不是对象`);
  });
  return arr as Obj[];
}
export function str(o: Obj, at: string, field: string, max: number, required = true): string | null {
  const v = get(o, field);
  if (empty(v)) {
    if (required) throw new FsiError(`${at}.${field} 不能为空`);
    return null;
  }
  if (typeof v !== 'string' && typeof v !== 'number') throw new FsiError(`${at}.${field} 应为字符型`);
  const s = String(v);
  if (s.length > max) throw new FsiError(`${at}.${field} 长度不能超过 ${max} 位`);
  return s;
}
export const reqStr = (o: Obj, at: string, field: string, max: number): string => str(o, at, field, max, true)!;

export const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;
/** yyyy-MM-dd HH:mm:ss, or ISO 8601 (T, fractions of a second, Z or an offset: turned into China time), or a date alone (00:00:00). */
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d{1,9})?)?)?(Z|[+-]\d{2}:?\d{2})?$/;
export function normalDateTime(s: string): string | null {
  const m = ISO.exec(s.trim());
  if (!m) return null;
  const [y, mo, d, hh = '00', mi = '00', ss = '00'] = [m[1], m[2], m[3], m[4], m[5], m[6]];
  let t = Date.UTC(+y, +mo - 1, +d, +hh, +mi, +ss);
  const probe = new Date(t);
  if (probe.getUTCMonth() !== +mo - 1 || probe.getUTCDate() !== +d || +hh > 23 || +mi > 59 || +ss > 59) return null;
  if (m[7]) {
    const off = m[7] === 'Z' ? 0 : (m[7][0] === '-' ? -1 : 1) * (Number(m[7].slice(1, 3)) * 60 + Number(m[7].slice(-2)));
    t = t - off * 60_000 + 8 * 3600_000; // to China time
  }
  const c = new Date(t);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${c.getUTCFullYear()}-${p(c.getUTCMonth() + 1)}-${p(c.getUTCDate())} ${p(c.getUTCHours())}:${p(c.getUTCMinutes())}:${p(c.getUTCSeconds())}`;
}
export function dateTimeField(o: Obj, at: string, field: string, required = true): string | null {
  const s = str(o, at, field, 35, required);
  if (s === null) return null;
  const n = normalDateTime(s);
  if (!n) throw new FsiError(`${at}.${field} 格式应为 yyyy-MM-dd HH:mm:ss（或 ISO 8601）`);
  return n;
}
/** A decimal (number or numeric string) with at most `places` decimals → integer units of 10^-2 (fen), rounded half away from zero. */
export function toFen(v: unknown, places = 6): number | null {
  const s = typeof v === 'number' ? (Number.isFinite(v) ? (Math.abs(v) < 1e15 ? v.toFixed(Math.min(places, 10)).replace(/0+$/, '').replace(/\.$/, '') : '') : '') : typeof v === 'string' ? v.trim() : '';
  const m = /^([+-])?(\d{1,16})(?:\.(\d*))?$/.exec(s);
  if (!m || (m[3] ?? '').length > places) return null;
  const frac = (m[3] ?? '').padEnd(3, '0');
  let fen = Number(m[2]) * 100 + Number(frac.slice(0, 2));
  if (Number(frac[2]) >= 5) fen += 1;
  return m[1] === '-' ? -fen : fen;
}
/** 数值型 16,2 → fen: a number or numeric string; more decimals (up to 6, as prices have) are rounded to the fen. */
export function money(o: Obj, at: string, field: string): number {
  const v = get(o, field);
  const fen = typeof v === 'number' || typeof v === 'string' ? toFen(v, 6) : null;
  if (fen === null) throw new FsiError(`${at}.${field} 应为金额（元，最多六位小数）`);
  if (Math.abs(fen) > MAX_YUAN.bill * 100) throw new FsiError(`${at}.${field} 超出金额上限（${MAX_YUAN.bill} 元）`);
  return fen;
}
/** An amount that may be absent (null, "", "null"). */
export function moneyOpt(o: Obj, at: string, field: string): number | null {
  return empty(get(o, field)) ? null : money(o, at, field);
}
export function decimal(o: Obj, at: string, field: string, places: number, required: boolean): number | null {
  const v = get(o, field);
  if (empty(v)) {
    if (required) throw new FsiError(`${at}.${field} 不能为空`);
    return null;
  }
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isFinite(n)) throw new FsiError(`${at}.${field} 应为数值`);
  if (Math.abs(n * 10 ** places - Math.round(n * 10 ** places)) > 1e-6) throw new FsiError(`${at}.${field} 最多 ${places} 位小数`);
  return n;
}

export const yuan = (fen: number): number => fenToYuan(fen);

/** a date column (string or Date) as yyyy-MM-dd */
export function dayText(v: unknown): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  if (v instanceof Date) return `${v.getFullYear()}-${pad(v.getMonth() + 1)}-${pad(v.getDate())}`;
  return String(v).slice(0, 10);
}
export function ageOn(birth: string, day: string): number {
  let a = Number(day.slice(0, 4)) - Number(birth.slice(0, 4));
  if (day.slice(5) < birth.slice(5)) a -= 1;
  return a;
}
