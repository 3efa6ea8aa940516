/**
 * What the cross-area tests share: 丰都县 (500230) persons insured and paid in the insured area's
 * database, a 渝中区 (500103) hospital with its interface account in the treating area's, and the
 * platform envelopes (9001 sign-in, 2207 with its fee lines) its HIS sends.
 */
import assert from 'node:assert/strict';
import type { Kysely } from 'kysely';
import { AuthService } from '../../src/access/auth.ts';
import { SYSTEM } from '../../src/access/roles.ts';
import { makeIdNumber } from '../../src/registers/id-number.ts';
import type { DB } from '../../src/store/schema.ts';

export const PATH = '/fsi/api/rsfComIfsService/callService';
export const TREAT = '500103'; // 渝中区
export const INSURED = '500230'; // 丰都县
export const VILLAGE = '500230100001';
export const HOSP = 'H50010300001';

export const personId = (i: number) => makeIdNumber(INSURED, '1980-05-01', i + 1);

/** `n` persons of 丰都县, paid for 2022 (tier1). */
export async function seedInsured(db: Kysely<DB>, n: number): Promise<string[]> {
  await db
    .insertInto('admin_area')
    .values([
      { code: INSURED, name: '丰都县', level: 'county', parent_code: null, region: INSURED },
      { code: '500230100', name: '兴义镇', level: 'township', parent_code: INSURED, region: INSURED },
      { code: VILLAGE, name: '兴义村', level: 'village', parent_code: '500230100', region: INSURED },
    ])
    .onConflict((oc) => oc.column('code').doNothing())
    .execute();
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const idNumber = personId(i);
    const p = await db.insertInto('person').values({ id_number: idNumber, name: `冉${i}`, gender: 'female', birth_date: '1980-05-01', village_code: VILLAGE, kind: 'adult' }).returning('id').executeTakeFirstOrThrow();
    await db.insertInto('enrollment').values({ person_id: p.id, coverage_year: 2022, region: INSURED, pack: `${INSURED}/2022`, tier: 'tier1', state: 'paid', standard_fen: 32000, quote: JSON.stringify({}), benefit_start: '2022-01-01', benefit_end: '2022-12-31' }).execute();
    ids.push(idNumber);
  }
  return ids;
}

/** The treating area's hospital and an API token of its interface account. */
export async function seedHospital(db: Kysely<DB>): Promise<string> {
  await db.insertInto('hospital').values({ code: HOSP, name: '重庆市渝中区人民医院', level: 'tertiary', region: TREAT }).execute();
  const auth = new AuthService(db);
  const id = await auth.createUser(SYSTEM, { username: 'yuzhong', role: 'hospital', hospitalCode: HOSP, displayName: 'yuzhong', password: 'yuzhong-test-password' });
  return auth.issueApiToken(SYSTEM, id, 'his');
}

export class Hospital {
  private n = 0;
  signNo = '';
  constructor(
    readonly base: string,
    readonly token: string,
  ) {}

  envelope(infno: string, input: unknown, msgid?: string) {
    this.n += 1;
    return { infno, msgid: msgid ?? `${HOSP}20220315090000${String(this.n).padStart(4, '0')}`, mdtrtarea_admvs: TREAT, insuplc_admdvs: INSURED, recer_sys_code: 'FSI_LOCAL', dev_no: '', dev_safe_info: '', cainfo: '', signtype: '', infver: 'V1.0', opter_type: '1', opter: '0053', opter_name: '文双', inf_time: '2022-03-15 09:00:00', fixmedins_code: HOSP, fixmedins_name: '重庆市渝中区人民医院', sign_no: this.signNo, input };
  }

  async post(body: unknown): Promise<any> {
    const res = await fetch(`${this.base}${PATH}`, { method: 'POST', headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal(res.status, 200);
    return res.json();
  }

  async signIn(): Promise<void> {
    const s = await this.post(this.envelope('9001', { signIn: { opter_no: '0053', mac: '00-1A-2B-3C-4D-5E', ip: '10.0.0.8' } }));
    assert.equal(s.infcode, 0, s.err_msg);
    this.signNo = s.output.signinoutb.sign_no;
  }
}

export const fee = (sn: number, yuan: number, lv = '01') => ({ feedetl_sn: String(sn), mdtrt_id: 'M1', det_item_fee_sumamt: yuan, cnt: 1, pric: yuan, chrgitm_lv: lv, med_list_codg: `X${sn}`, fee_ocur_time: '2022-03-15 09:30:00' });

/** A 2207 input for a person (outpatient by default). */
export const settle2207 = (idNumber: string, name: string, mdtrtId: string, fees: ReturnType<typeof fee>[], medType = '11', begntime = '2022-03-15 09:00:00') => ({
  data: { mid_setl_flag: '0', mdtrt_id: mdtrtId, psn_no: 'B', insutype: '390', mdtrt_cert_type: '02', mdtrt_cert_no: idNumber, psn_cert_type: '01', certno: idNumber, psn_name: name, psn_setlway: '01', med_type: medType, begntime, medfee_sumamt: Math.round(fees.reduce((s, f) => s + f.det_item_fee_sumamt * 100, 0)) / 100, acct_used_flag: '0' },
  feedetail: fees,
});
