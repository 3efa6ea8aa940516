/**
 * A hospital's client of the national platform's interface, for tests: envelopes as table 2 of
 * the spec builds them, posted to a running server, and the usual messages of a visit (sign-in,
 * outpatient registration, fee upload, settlement, admission, discharge). Persons and their
 * enrollment are written straight into the register of the test database.
 */
import assert from 'node:assert/strict';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB } from '../../src/store/schema.ts';
import { makeIdNumber } from '../../src/registers/id-number.ts';

export const FSI_PATH = '/fsi/api/rsfComIfsService/callService';
export const VILLAGE = '500230100001';

export interface Person {
  psnNo: string;
  idNumber: string;
  name: string;
}

let seq = 0;
/** A paid, enrolled person of 丰都县 for 2022 (benefits the whole year), with needy statuses if asked. */
export async function enrolledPerson(db: Kysely<DB>, statuses: string[] = []): Promise<Person> {
  seq += 1;
  // a birth date and sequence of their own: ID numbers unique across the tests of one database
  const birth = `19${String(40 + (seq % 50)).padStart(2, '0')}-0${1 + (Math.floor(seq / 50) % 9)}-1${seq % 10}`;
  const idNumber = makeIdNumber('500230', birth, Math.floor(Math.random() * 1000));
  const name = `并发${seq}号`;
  const p = await db
    .insertInto('person')
    .values({ id_number: idNumber, name, gender: 'male', birth_date: birth, village_code: VILLAGE, kind: 'adult' })
    .onConflict((oc) => oc.column('id_number').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!p) return enrolledPerson(db, statuses);
  await db
    .insertInto('enrollment')
    .values({ person_id: p.id, coverage_year: 2022, region: '500230', pack: '500230/2022', tier: 'tier1', state: 'paid', standard_fen: 32000, quote: JSON.stringify({}), benefit_start: '2022-01-01', benefit_end: '2022-12-31' })
    .execute();
  for (const s of statuses) await db.insertInto('needy_status').values({ person_id: p.id, status: s, source: 'civil_affairs', valid_from: '2021-01-01', valid_to: null }).execute();
  return { psnNo: String(p.id), idNumber, name };
}

/** The headers of a request (its credential): the bearer token by default; a gateway signer otherwise. */
export type Credential = (infno: string) => Record<string, string>;

export class FsiClient {
  private n = 0;
  signNo = '';
  /** when set, used instead of the bearer token (gateway-signed clients) */
  credential: Credential | null = null;
  /** the path posted to (FSI_PATH, or FSI_PATH/<infno> when `infnoInPath`) */
  infnoInPath = false;

  constructor(
    public base: string,
    readonly token: string,
    readonly hospital: string,
    readonly prefix = `${Date.now().toString(36)}`,
  ) {}

  envelope(infno: string, input: unknown, msgid?: string): Record<string, unknown> {
    this.n += 1;
    return {
      infno,
      msgid: msgid ?? `${this.hospital}${this.prefix}${String(this.n).padStart(6, '0')}`.slice(0, 30),
      mdtrtarea_admvs: '500230',
      insuplc_admdvs: '500230',
      recer_sys_code: 'FSI_LOCAL',
      infver: 'V1.0',
      opter_type: '1',
      opter: '0053',
      opter_name: '文双',
      inf_time: '2022-03-15 09:00:00',
      fixmedins_code: this.hospital,
      fixmedins_name: '测试医院',
      sign_no: this.signNo,
      input,
    };
  }

  async post(body: unknown): Promise<any> {
    const infno = String((body as { infno?: unknown })?.infno ?? '');
    const auth = this.credential ? this.credential(infno) : { authorization: `Bearer ${this.token}` };
    const path = this.infnoInPath ? `${FSI_PATH}/${infno}` : FSI_PATH;
    const res = await fetch(`${this.base}${path}`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal(res.status, 200);
    return res.json();
  }

  async ok(body: unknown): Promise<any> {
    const r = await this.post(body);
    assert.equal(r.infcode, 0, `${(body as { infno: string }).infno}: ${r.err_msg}`);
    return r.output;
  }

  async signIn(): Promise<void> {
    const o = await this.ok(this.envelope('9001', { signIn: { opter_no: '0053', mac: '00-1A-2B-3C-4D-5E', ip: '10.0.0.8' } }));
    this.signNo = o.signinoutb.sign_no;
  }

  /** 2201 → the mdtrt_id. */
  async registerOutpatient(p: Person, no: string): Promise<string> {
    const o = await this.ok(
      this.envelope('2201', { data: { psn_no: p.psnNo, insutype: '390', begntime: '2022-03-15 09:00:00', mdtrt_cert_type: '02', mdtrt_cert_no: p.idNumber, psn_cert_type: '01', certno: p.idNumber, psn_type: '1701', psn_name: p.name, ipt_otp_no: no, dept_code: 'D01', dept_name: '内科', caty: 'A03' } }),
    );
    return o.data.mdtrt_id;
  }

  fee(p: Person, mdtrtId: string, sn: number, amount: number, outpatient = true): Record<string, unknown> {
    return {
      feedetl_sn: String(sn),
      mdtrt_id: mdtrtId,
      psn_no: p.psnNo,
      ...(outpatient ? { chrg_bchno: 'B1', rx_circ_flag: '0', hosp_appr_flag: '1' } : { med_type: '2101' }),
      fee_ocur_time: '2022-03-15 09:30:00',
      med_list_codg: `XA01${sn}`,
      medins_list_codg: `M${sn}`,
      det_item_fee_sumamt: amount,
      cnt: 1,
      pric: amount,
      bilg_dept_codg: 'D01',
      bilg_dept_name: '内科',
      bilg_dr_codg: 'D0001',
      bilg_dr_name: '王医生',
      chrgitm_lv: '01',
    };
  }

  /** 2207's input for the visit's batch B1. */
  settleOutpatient(p: Person, mdtrtId: string, sum: number, msgid?: string): Record<string, unknown> {
    return this.envelope(
      '2207',
      { data: { psn_no: p.psnNo, mdtrt_cert_type: '02', mdtrt_cert_no: p.idNumber, psn_cert_type: '01', certno: p.idNumber, psn_type: '1701', psn_name: p.name, med_type: '11', medfee_sumamt: sum, psn_setlway: '01', mdtrt_id: mdtrtId, chrg_bchno: 'B1', acct_used_flag: '0', insutype: '390' } },
      msgid,
    );
  }

  /** An outpatient visit with one fee line, ready to settle: its mdtrt_id. */
  async outpatientVisit(p: Person, no: string, amount: number): Promise<string> {
    const m = await this.registerOutpatient(p, no);
    await this.ok(this.envelope('2204', { feedetail: [this.fee(p, m, 1, amount)] }));
    return m;
  }

  /** 2401 + 2301 + 2402: a discharged stay with one fee line, ready to settle: its mdtrt_id. */
  async inpatientStay(p: Person, no: string, amount: number): Promise<string> {
    const o = await this.ok(
      this.envelope('2401', {
        mdtrtinfo: { psn_no: p.psnNo, insutype: '390', begntime: '2022-04-01 08:00:00', mdtrt_cert_type: '02', mdtrt_cert_no: p.idNumber, cert_type: '01', certno: p.idNumber, med_type: '2101', ipt_no: no, atddr_no: 'D0001', chfpdr_name: '王医生', adm_diag_dscr: '肺炎', adm_dept_codg: 'D02', adm_dept_name: '呼吸科', adm_bed: '12', dscg_maindiag_code: 'J18.9', dscg_maindiag_name: '肺炎' },
        diseinfo: [],
      }),
    );
    const m = o.result.mdtrt_id as string;
    await this.ok(this.envelope('2301', { feedetail: [this.fee(p, m, 1, amount, false)] }));
    await this.ok(this.envelope('2402', { dscginfo: { mdtrt_id: m, psn_no: p.psnNo, insutype: '390', endtime: '2022-04-10 10:00:00', dscg_dept_codg: 'D02', dscg_dept_name: '呼吸科', dscg_way: '1' } }));
    return m;
  }

  settleInpatient(p: Person, mdtrtId: string, sum: number, msgid?: string): Record<string, unknown> {
    return this.envelope(
      '2304',
      { data: { psn_no: p.psnNo, mdtrt_cert_type: '02', mdtrt_cert_no: p.idNumber, psn_cert_type: '01', certno: p.idNumber, psn_type: '1701', psn_name: p.name, medfee_sumamt: sum, psn_setlway: '01', mdtrt_id: mdtrtId, acct_used_flag: '0', insutype: '390', mid_setl_flag: '0' } },
      msgid,
    );
  }
}

/** §4.5 gateway headers (_api_*, HMAC-SHA1 over the sorted headers, base64), as the spec's clients build them. */
export function apiHeaders(accessKey: string, secret: string, apiName: string, at = Date.now()): Record<string, string> {
  const hd: Record<string, string> = { _api_access_key: accessKey, _api_name: apiName, _api_timestamp: String(at), _api_version: '1.0.0' };
  const signed = Object.keys(hd).sort().map((k) => `${k}=${hd[k]}`).join('&');
  return { ...hd, _api_signature: createHmac('sha1', secret).update(signed, 'utf8').digest('base64') };
}
/** The national service gateway's headers (x-tif-*: SHA-256 hex of timestamp + token + nonce + timestamp). */
export function tifHeaders(paasid: string, token: string, at = Date.now(), nonce = `${at.toString(16)}-${randomBytes(3).toString('hex')}`): Record<string, string> {
  const ts = String(Math.floor(at / 1000));
  return { 'x-tif-paasid': paasid, 'x-tif-timestamp': ts, 'x-tif-nonce': nonce, 'x-tif-signature': createHash('sha256').update(ts + token + nonce + ts).digest('hex') };
}
