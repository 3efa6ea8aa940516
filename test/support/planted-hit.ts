/**
 * A screening hit planted in the console's demo town (which has none of its own): a paid
 * resident of 兴义社区 has an inpatient stay at a demo hospital with the platform's record of it
 * (a 2201-style visit and four fee lines, as the FSI gateway stores them), settled through the
 * settlement service; then the register records the resident's death three weeks before the
 * stay, as an import of the civil-affairs list would. FR02 (死亡后结算) must then find it.
 */
import type { QuoteService } from '../../src/quotes/quote-service.ts';
import { SYSTEM } from '../../src/access/roles.ts';
import { SettlementService } from '../../src/settlement/settlement-service.ts';
import type { TestDatabase } from './databases.ts';

export interface PlantedHit {
  personId: string;
  settlementId: string;
  mdtrtId: string;
  admitted: string;
  dateOfDeath: string;
  /** the fee lines, in yuan */
  lines: { sn: string; code: string; name: string; cnt: number; pric: number }[];
}

export async function plantDeathHit(d: TestDatabase, quotes: QuoteService, village = '500230100001'): Promise<PlantedHit> {
  const person = await d.db
    .selectFrom('person as p')
    .innerJoin('enrollment as e', 'e.person_id', 'p.id')
    .select(['p.id'])
    .where('p.village_code', '=', village)
    .where('e.coverage_year', '=', 2022)
    .where('e.state', '=', 'paid')
    .where('p.date_of_death', 'is', null)
    .orderBy('p.id')
    .executeTakeFirstOrThrow();
  const hospital = await d.db.selectFrom('hospital').select(['code']).orderBy('code').executeTakeFirstOrThrow();
  const admitted = '2022-11-21';
  const dateOfDeath = '2022-10-31';
  const mdtrtId = `PLANTED-${person.id}`;
  const lines = [
    { sn: '0001', code: '310100001', name: '床位费', cnt: 5, pric: 40 },
    { sn: '0002', code: '250101015', name: '血常规', cnt: 1, pric: 25.5 },
    { sn: '0003', code: 'XJ01CAA040A001010101445', name: '阿莫西林胶囊', cnt: 3, pric: 12.3 },
    { sn: '0004', code: '331003001', name: '阑尾切除术', cnt: 1, pric: 6800 },
  ];
  await d.db
    .insertInto('fsi_mdtrt')
    .values({ mdtrt_id: mdtrtId, hospital_code: hospital.code, person_id: person.id, kind: 'inpatient', ipt_otp_no: `ZY${person.id}`, insutype: '390', begntime: `${admitted} 08:00:00`, endtime: '2022-11-26 10:00:00', dise_codg: 'J18.900', msgid: `planted-${person.id}` } as never)
    .execute();
  for (const l of lines)
    await d.db
      .insertInto('fsi_fee')
      .values({ mdtrt_id: mdtrtId, feedetl_sn: l.sn, chrg_bchno: null, amount_fen: Math.round(l.cnt * l.pric * 100), line: JSON.stringify({ med_list_codg: l.code, medins_list_name: l.name, fee_ocur_time: `${admitted} 09:00:00`, cnt: String(l.cnt), pric: String(l.pric) }) } as never)
      .execute();
  const total = lines.reduce((a, l) => a + Math.round(l.cnt * l.pric * 100), 0) / 100;
  const settlements = new SettlementService(d, quotes);
  const enc = await settlements.createEncounter(SYSTEM, { personId: person.id, hospitalCode: hospital.code, coverageYear: 2022, type: 'inpatient', date: admitted, disease: 'J18.900', costs: { total, fullOwnPay: 0, overLimitSelfPay: 0, preSelfPay: 0, inScope: total } } as never, { id: mdtrtId, part: '' });
  const s = await settlements.settle(SYSTEM, enc.id);
  // the death, recorded after the stay was settled (the register learns of it later)
  await d.db.updateTable('person').set({ date_of_death: dateOfDeath }).where('id', '=', person.id).execute();
  return { personId: String(person.id), settlementId: String(s.settlementId), mdtrtId, admitted, dateOfDeath, lines };
}
