/**
 * The platform's envelope (table 2 of the interface spec): the request's fields checked, the
 * reply built (infcode 0 / -1, inf_refmsgid, Chinese err_msg), and the services' errors said in
 * Chinese as the platform says them.
 */
import { randomBytes } from 'node:crypto';
import { ConflictError, ForbiddenError, InputError, NotFoundError } from '../../errors.js';
import { FsiError, empty, lowerKeys, reqStr, str, dateTimeField, type Obj } from './fields.js';


export interface Reply {
  infcode: 0 | -1;
  inf_refmsgid: string;
  refmsg_time: string;
  respond_time: string;
  err_msg: string;
  warn_msg: string;
  output: unknown;
}

export const pad = (n: number, w = 2) => String(n).padStart(w, '0');
/** yyyyMMddHHmmssSSS (China time) */
export function stamp17(d: Date): string {
  const c = new Date(d.getTime() + 8 * 3600_000);
  return `${c.getUTCFullYear()}${pad(c.getUTCMonth() + 1)}${pad(c.getUTCDate())}${pad(c.getUTCHours())}${pad(c.getUTCMinutes())}${pad(c.getUTCSeconds())}${pad(c.getUTCMilliseconds(), 3)}`;
}
/** yyyy-MM-dd HH:mm:ss (China time) */
export function dateTime(d: Date): string {
  const s = stamp17(d);
  return `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)} ${s.slice(8, 10)}:${s.slice(10, 12)}:${s.slice(12, 14)}`;
}

let seq = 0;
function refMsgId(admdvs: string, now: Date): string {
  seq = (seq + 1) % 1e6;
  const area = /^\d{6}$/.test(admdvs) ? admdvs : '000000';
  return `${area}${stamp17(now).slice(0, 14)}${pad(seq, 6)}${randomBytes(2).toString('hex').slice(0, 4)}`;
}

export function replyOf(received: Date, admdvs: string, ok: boolean, output: unknown, err = ''): Reply {
  const now = new Date();
  return { infcode: ok ? 0 : -1, inf_refmsgid: refMsgId(admdvs, now), refmsg_time: stamp17(received), respond_time: stamp17(now), err_msg: ok ? '' : err.slice(0, 200), warn_msg: '', output: ok ? output : {} };
}

/** Translate the services' errors into refusals with Chinese messages. */
export function chinese(e: unknown): FsiError | null {
  if (e instanceof FsiError) return e;
  if (e instanceof ConflictError) {
    if (e.code === 'ALREADY_SETTLED') return new FsiError('该就诊已结算，不能重复结算；如需重新结算请先撤销原结算');
    if (e.code === 'ALREADY_REVERSED') return new FsiError('该结算已撤销，不能重复撤销');
    if (e.code === 'NO_POLICY_PACK') return new FsiError('就医地该年度无可用的待遇政策，不能结算');
    if (e.code === 'DUPLICATE_ENCOUNTER') return new FsiError('该报文ID的结算已受理，请勿以同一报文ID重复结算');
    return new FsiError(`业务冲突：${e.message}`);
  }
  if (e instanceof InputError) {
    if (e.field.endsWith('coverageYear')) return new FsiError('就医地该年度无可用的待遇政策，不能结算');
    return new FsiError(`输入参数有误（${e.field}）：${e.message}`);
  }
  if (e instanceof ForbiddenError) return new FsiError('无权操作其他定点医药机构的数据');
  if (e instanceof NotFoundError) return new FsiError('记录不存在');
  return null;
}

export interface Envelope extends Obj {
  infno: string;
  msgid: string;
  mdtrtarea_admvs: string;
  fixmedins_code: string;
  input: Obj;
}

/** Check the envelope's fields (table 2 of the spec); input may be an object or its JSON text. */
export function checkEnvelope(body: unknown): Envelope {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new FsiError('报文应为 JSON 对象');
  const raw = body as Obj;
  // field names in any case (the spec writes them in lower case; some editions send Input, infNo …)
  const b: Obj = {};
  for (const [k, v] of Object.entries(raw)) if (!(k.toLowerCase() in b) || empty(b[k.toLowerCase()])) b[k.toLowerCase()] = v;
  const at = '报文';
  reqStr(b, at, 'infno', 6);
  reqStr(b, at, 'msgid', 30);
  reqStr(b, at, 'mdtrtarea_admvs', 6);
  str(b, at, 'insuplc_admdvs', 6, false);
  reqStr(b, at, 'recer_sys_code', 10);
  str(b, at, 'dev_no', 100, false);
  str(b, at, 'dev_safe_info', 2000, false);
  str(b, at, 'cainfo', 1024, false);
  str(b, at, 'signtype', 10, false);
  reqStr(b, at, 'infver', 6);
  const ot = reqStr(b, at, 'opter_type', 3);
  if (!['1', '2', '3'].includes(ot)) throw new FsiError('报文.opter_type 应为 1-经办人、2-自助终端 或 3-移动终端');
  reqStr(b, at, 'opter', 30);
  reqStr(b, at, 'opter_name', 50);
  dateTimeField(b, at, 'inf_time');
  reqStr(b, at, 'fixmedins_code', 12);
  reqStr(b, at, 'fixmedins_name', 20);
  str(b, at, 'sign_no', 30, false);
  let input = b.input;
  if (typeof input === 'string') {
    if (input.length > 40000) throw new FsiError('报文.input 长度不能超过 40000');
    try {
      input = JSON.parse(input);
    } catch {
      throw new FsiError('报文.input 不是合法的 JSON');
    }
  }
  if (input === null || typeof input !== 'object' || Array.isArray(input)) throw new FsiError('报文.input 不能为空，应为 JSON 对象');
  const infno = String(b.infno).trim().toUpperCase();
  return { ...(b as Envelope), infno, msgid: String(b.msgid), mdtrtarea_admvs: String(b.mdtrtarea_admvs), fixmedins_code: String(b.fixmedins_code), input: lowerKeys(input) as Obj };
}
