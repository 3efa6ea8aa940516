/**
 * 9101 文件上传 (table 371, node fsUploadIn: in, filename, fixmedins_code): a hospital's file — as
 * the spec has it a ZIP of TXT files, tab-separated, one row a line; a bare TXT is taken too —
 * kept as sent under a file_qury_no the reply gives (table 372). The bytes come as the JSON of a
 * byte array (numbers 0–255, or signed bytes −128–127 as Java clients write them) or as base64
 * text. 3202 reads the settlement rows of the file its file_qury_no names (table 150).
 */
import { createHash } from 'node:crypto';
import type { Call, Db } from './call.js';
import { dateTime } from './envelope.js';
import { FsiError, get, money, node, reqStr, str, type Obj } from './fields.js';
import { unzipFiles } from './zip.js';

/** the largest file taken (the envelope itself is at most 1 MiB) */
export const MAX_UPLOAD_BYTES = 700 * 1024;

function bytesOf(v: unknown, at: string): Buffer {
  if (Array.isArray(v)) {
    if (!v.every((b) => Number.isInteger(b) && b >= -128 && b <= 255)) throw new FsiError(`${at}.in 应为字节数组（0–255 或 −128–127 的整数）`);
    return Buffer.from((v as number[]).map((b) => b & 0xff));
  }
  if (typeof v === 'string' && /^[A-Za-z0-9+/=\s_-]+$/.test(v) && v.trim()) return Buffer.from(v.replace(/\s/g, ''), /[-_]/.test(v) ? 'base64url' : 'base64');
  throw new FsiError(`${at}.in 不能为空（文件数据：字节数组或 base64 文本）`);
}

export async function fileUpload(db: Db, c: Call) {
  const at = 'fsuploadin';
  const d = node(c.env.input, at);
  const filename = reqStr(d, at, 'filename', 200);
  const code = reqStr(d, at, 'fixmedins_code', 30);
  if (code !== c.hospital) throw new FsiError(`${at}.fixmedins_code ${code} 与报文的定点医药机构编号不符`);
  const bytes = bytesOf(get(d, 'in'), at);
  if (bytes.length === 0) throw new FsiError(`${at}.in 文件为空`);
  if (bytes.length > MAX_UPLOAD_BYTES) throw new FsiError(`${at}.in 文件过大（至多 ${MAX_UPLOAD_BYTES} 字节）`);
  try {
    unzipFiles(bytes);
  } catch (e) {
    throw new FsiError(`${at}.in 不是可读的 ZIP 压缩包（${(e as Error).message}）`);
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const no = `UP${createHash('sha256').update(`${c.hospital}|${c.env.msgid}`).digest('hex').slice(0, 28).toUpperCase()}`;
  await db.insertInto('fsi_file').values({ file_qury_no: no, hospital_code: c.hospital, msgid: c.env.msgid, filename, sha256, content: bytes }).execute();
  return {
    output: { file_qury_no: no, filename, fixmedins_code: c.hospital, dld_endtime: dateTime(new Date(c.received.getTime() + 24 * 3600_000)) },
    effect: { file_qury_no: no, filename, bytes: bytes.length, sha256 },
  };
}

/** A settlement row of a 3202 detail file (table 150): setl_id, mdtrt_id, psn_no, medfee_sumamt, fund_pay_sumamt, acct_pay, refd_setl_flag. */
export interface DetailRow {
  setl_id: string;
  total: number;
  fund: number;
}

/** The rows of the uploaded file `no` of this hospital; null when no such file was uploaded here. */
export async function detailRows(db: Db, hospital: string, no: string): Promise<DetailRow[] | null> {
  const f = await db.selectFrom('fsi_file').select(['content', 'filename']).where('file_qury_no', '=', no).where('hospital_code', '=', hospital).executeTakeFirst();
  if (!f) return null;
  const files = unzipFiles(Buffer.from(f.content)) ?? [{ name: f.filename, data: Buffer.from(f.content) }];
  const rows: DetailRow[] = [];
  for (const file of files) {
    const lines = file.data.toString('utf8').replace(/^\uFEFF/, '').split(/\r?\n/);
    lines.forEach((line, i) => {
      if (!line.trim()) return;
      const cells = line.split('\t').map((s) => s.trim());
      const at = `文件 ${file.name} 第 ${i + 1} 行`;
      const o: Obj = { setl_id: cells[0], mdtrt_id: cells[1], psn_no: cells[2], medfee_sumamt: cells[3], fund_pay_sumamt: cells[4], acct_pay: cells[5], refd_setl_flag: cells[6] };
      const setl = str(o, at, 'setl_id', 30, true)!;
      rows.push({ setl_id: setl, total: money(o, at, 'medfee_sumamt'), fund: money(o, at, 'fund_pay_sumamt') });
    });
  }
  return rows;
}
