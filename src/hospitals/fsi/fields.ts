/** Checks of the fields of a platform message (types and lengths of the spec's tables), each refusal an FsiError naming the field in Chinese. */
import { MAX_YUAN, fenToYuan, yuanToFen } from '../../money.js';

export type Obj = Record<string, unknown>;

/** A refusal: the reply is infcode -1 with this message. */
export class FsiError extends Error {}

// ---- field checks ----

export const empty = (v: unknown) => v === undefined || v === null || v === '' || v === 'null' || v === 'NULL';

export function node(input: Obj, name: string): Obj {
  const v = input[name];
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new FsiError(`输入节点 ${name} 缺失或不是对象`);
  return v as Obj;
}
export function list(input: Obj, name: string): Obj[] {
  const v = input[name];
  const arr = Array.isArray(v) ? v : v && typeof v === 'object' ? [v] : null;
  if (!arr || arr.length === 0) throw new FsiError(`输入节点 ${name} 缺失或为空`);
  arr.forEach((x, i) => {
    if (x === null || typeof x !== 'object' || Array.isArray(x)) throw new FsiError(`输入节点 ${name} 第 ${i + 1} 行不是对象`);
  });
  return arr as Obj[];
}
export function str(o: Obj, at: string, field: string, max: number, required = true): string | null {
  const v = o[field];
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
export function dateTimeField(o: Obj, at: string, field: string, required = true): string | null {
  const s = str(o, at, field, 19, required);
  if (s === null) return null;
  const m = DATE_TIME.exec(s);
  const d = m ? new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6])) : null;
  if (!m || !d || d.getUTCMonth() !== +m[2] - 1 || d.getUTCDate() !== +m[3] || +m[4] > 23 || +m[5] > 59 || +m[6] > 59) throw new FsiError(`${at}.${field} 格式应为 yyyy-MM-dd HH:mm:ss`);
  return s;
}
/** 数值型 16,2 → fen */
export function money(o: Obj, at: string, field: string): number {
  const v = o[field];
  let fen: number;
  try {
    if (typeof v !== 'number' && typeof v !== 'string') throw new RangeError('not an amount');
    fen = yuanToFen(v);
  } catch {
    throw new FsiError(`${at}.${field} 应为金额（元，最多两位小数）`);
  }
  if (Math.abs(fen) > MAX_YUAN.bill * 100) throw new FsiError(`${at}.${field} 超出金额上限（${MAX_YUAN.bill} 元）`);
  return fen;
}
export function decimal(o: Obj, at: string, field: string, places: number, required: boolean): number | null {
  const v = o[field];
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
