/** 1101 人员信息获取: a person, their enrollments (insuinfo) and needy statuses (idetinfo), looked up by certificate. */
import { INSUTYPE_RESIDENT, PSN_CERT_TYPE_ID, PSN_IDET_TYPE, PSN_TYPE_RESIDENT, PSN_TYPES_OF_EVERY_RESIDENT, PSN_TYPES_OF_KIND } from './codes.js';
import type { Call, Db, PersonRow } from './call.js';
import { KIND_LABELS, type PersonKind } from '../../policy/vocabulary.js';
import { resolveEvoucherToken } from '../../access/evoucher-tokens.js';
import { dateTime } from './envelope.js';
import { FsiError, ageOn, dayText, node, reqStr, str, type Obj } from './fields.js';

export async function personBy(db: Db, where: { certno?: string; psnNo?: string }): Promise<PersonRow | undefined> {
  let q = db.selectFrom('person as p').innerJoin('admin_area as a', 'a.code', 'p.village_code').select(['p.id', 'p.id_number', 'p.name', 'p.gender', 'p.birth_date', 'p.kind', 'a.region']);
  if (where.certno) q = q.where('p.id_number', '=', where.certno.toUpperCase());
  if (where.psnNo) {
    if (!/^[1-9]\d{0,17}$/.test(where.psnNo)) return undefined;
    q = q.where('p.id', '=', where.psnNo);
  }
  const r = await q.executeTakeFirst();
  return r ? { ...r, id: String(r.id), birth_date: dayText(r.birth_date) } : undefined;
}

export async function personInfo(db: Db, c: Call) {
  const d = node(c.env.input, 'data');
  const certType = reqStr(d, 'data', 'mdtrt_cert_type', 3);
  if (!['01', '02', '03'].includes(certType)) throw new FsiError('data.mdtrt_cert_type 应为 01、02 或 03');
  const psnCertType = str(d, 'data', 'psn_cert_type', 6, false) ?? PSN_CERT_TYPE_ID;
  if (psnCertType !== PSN_CERT_TYPE_ID) throw new FsiError('本地仅支持人员证件类型 01 居民身份证');
  let p: PersonRow | undefined;
  if (certType === '01') {
    // 医保电子凭证: the token (mdtrt_cert_no) names the person; certno, when sent, must be theirs
    const v = await resolveEvoucherToken(db, reqStr(d, 'data', 'mdtrt_cert_no', 200));
    if ('refused' in v) throw new FsiError(v.refused);
    p = await personBy(db, { psnNo: v.personId });
    const certno = str(d, 'data', 'certno', 50, false);
    if (p && certno && certno.toUpperCase() !== p.id_number) throw new FsiError('data.certno 证件号码与电子凭证不符');
  } else {
    const certNo = str(d, 'data', 'certno', 50, false) ?? (certType === '02' ? reqStr(d, 'data', 'mdtrt_cert_no', 50) : null);
    if (!certNo) throw new FsiError('data.certno 不能为空（社保卡须同时传入证件号码）');
    p = await personBy(db, { certno: certNo });
  }
  if (!p) throw new FsiError('未查询到该人员的参保信息');
  const name = str(d, 'data', 'psn_name', 50, false);
  if (name && name !== p.name) throw new FsiError('data.psn_name 人员姓名与证件号码不符');
  const today = dayText(dateTime(c.received).slice(0, 10));
  const enr = await db.selectFrom('enrollment').select(['coverage_year', 'state', 'benefit_start', 'benefit_end', 'region']).where('person_id', '=', p.id).orderBy('coverage_year', 'desc').execute();
  const statuses = await db.selectFrom('needy_status').select(['status', 'valid_from', 'valid_to', 'reference']).where('person_id', '=', p.id).orderBy('valid_from').execute();
  const insuinfo = enr.map((e) => {
    const start = e.benefit_start ? dayText(e.benefit_start) : null;
    const end = e.benefit_end ? dayText(e.benefit_end) : null;
    const active = e.state === 'paid' && start !== null && end !== null && start <= today && today <= end;
    return {
      balc: 0,
      insutype: INSUTYPE_RESIDENT,
      psn_type: PSN_TYPE_RESIDENT,
      psn_insu_stas: e.state === 'paid' ? (active ? '1' : '2') : '0',
      psn_insu_date: start ?? '',
      paus_insu_date: end ?? '',
      cvlserv_flag: '0',
      insuplc_admdvs: e.region,
      emp_name: '',
      exp_content: JSON.stringify({ coverage_year: e.coverage_year, benefit_begn_date: start ?? '', benefit_end_date: end ?? '', benefit_flag: active ? '1' : '0' }),
    };
  });
  const idetinfo = statuses
    .filter((s) => PSN_IDET_TYPE[s.status])
    .map((s) => ({ psn_idet_type: PSN_IDET_TYPE[s.status], psn_type_lv: '', memo: s.reference ?? '', begntime: `${dayText(s.valid_from)} 00:00:00`, endtime: s.valid_to ? `${dayText(s.valid_to)} 23:59:59` : '' }));
  return {
    output: {
      baseinfo: { psn_no: p.id, psn_cert_type: PSN_CERT_TYPE_ID, certno: p.id_number, psn_name: p.name, gend: p.gender === 'male' ? '1' : '2', naty: '', brdy: p.birth_date, age: ageOn(p.birth_date, today), exp_content: '' },
      insuinfo,
      idetinfo,
    },
    effect: { person_id: p.id },
  };
}

export async function personForVisit(db: Db, d: Obj, at: string) {
  const psnNo = reqStr(d, at, 'psn_no', 30);
  const insutype = insutypeOf(d, at);
  const p = await personBy(db, { psnNo });
  if (!p) throw new FsiError(`人员编号 ${psnNo} 不存在`);
  checkPerson(d, at, p);
  await checkVoucher(db, d, at, p);
  return { p, insutype };
}

/** A visit's insutype: 390 城乡居民基本医疗保险 (the default). */
export function insutypeOf(d: Obj, at: string): string {
  const insutype = str(d, at, 'insutype', 6, false) ?? INSUTYPE_RESIDENT;
  if (insutype !== INSUTYPE_RESIDENT) throw new FsiError(`${at}.insutype 应为 390 城乡居民基本医疗保险`);
  return insutype;
}

/** mdtrt_cert_type 01: the e-voucher token sent (mdtrt_cert_no) must be live and name this person. */
export async function checkVoucher(db: Db, d: Obj, at: string, p: PersonRow): Promise<void> {
  if (str(d, at, 'mdtrt_cert_type', 3, false) !== '01') return;
  const token = str(d, at, 'mdtrt_cert_no', 200, false);
  if (!token) throw new FsiError(`${at}.mdtrt_cert_no 不能为空（就诊凭证类型 01 须填写电子凭证令牌）`);
  const v = await resolveEvoucherToken(db, token);
  if ('refused' in v) throw new FsiError(v.refused);
  if (v.personId !== p.id) throw new FsiError('电子凭证令牌与人员编号不符');
}

/**
 * Where psn_no or mdtrt_id names the person, the person fields (psn_cert_type / cert_type,
 * certno, psn_type, psn_name) are optional; when sent they must be the register's.
 */
export function checkPerson(d: Obj, at: string, p: PersonRow): void {
  const certType = str(d, at, 'psn_cert_type', 6, false) ?? str(d, at, 'cert_type', 6, false);
  if (certType && certType !== PSN_CERT_TYPE_ID) throw new FsiError(`${at}.psn_cert_type 本地仅支持 01 居民身份证`);
  const certno = str(d, at, 'certno', 20, false);
  if (certno && certno.toUpperCase() !== p.id_number) throw new FsiError(`${at}.certno 证件号码与人员编号不符`);
  const name = str(d, at, 'psn_name', 50, false);
  if (name && name.trim() !== p.name) throw new FsiError(`${at}.psn_name 人员姓名与人员编号不符`);
  const type = str(d, at, 'psn_type', 6, false)?.trim();
  if (type) {
    const allowed = [...PSN_TYPES_OF_EVERY_RESIDENT, ...(p.kind ? (PSN_TYPES_OF_KIND[p.kind] ?? []) : [])];
    if (!allowed.includes(type)) throw new FsiError(`${at}.psn_type 人员类别 ${type} 与人员编号不符（登记的人员为城乡居民${p.kind && KIND_LABELS[p.kind as PersonKind] ? `·${KIND_LABELS[p.kind as PersonKind]}` : ''}，人员类别应为 ${allowed.join('、')}）`);
  }
}
