/**
 * A small town for the risk tests: 丰都县 with two villages, three hospitals, persons with or
 * without enrollment and needy statuses, and encounters settled through the settlement service
 * (with the high-burden watch as its afterWrite, as the server wires it).
 */
import { QuoteService } from '../../src/quotes/quote-service.ts';
import { SYSTEM, type Actor } from '../../src/access/roles.ts';
import { makeIdNumber } from '../../src/registers/id-number.ts';
import { SettlementService } from '../../src/settlement/settlement-service.ts';
import { BurdenWatch } from '../../src/risk/burden-watch.ts';
import type { TestDatabase } from './databases.ts';

export const quotes = QuoteService.load();
export const VILLAGE_A = '500230100001';
export const VILLAGE_B = '500230100002';
export const HA = 'H500230001';
export const HB = 'H500230002';
export const HC = 'H500230003';
export const ADMIN: Actor = SYSTEM;

export interface Town {
  d: TestDatabase;
  settlements: SettlementService;
  watch: BurdenWatch;
  person(opts?: { statuses?: string[]; enrolled?: 'paid' | 'assessed' | null; village?: string; assistanceFen?: number | null; benefit?: { start: string; end: string }; dateOfDeath?: string }): Promise<{ id: string; idNumber: string }>;
  /** an encounter at a hospital, settled; costs in yuan; returns the encounter and settlement ids */
  settle(personId: string, e: { date: string; type?: 'inpatient' | 'general_outpatient'; ownPay?: number; inScope?: number; hospital?: string; disease?: string; externalId?: string }): Promise<{ encounterId: string; settlementId: string; cashFen: number }>;
}

export async function town(d: TestDatabase): Promise<Town> {
  await d.db
    .insertInto('admin_area')
    .values([
      { code: '500230', name: '丰都县', level: 'county', parent_code: null, region: '500230' },
      { code: '500230100', name: '兴义镇', level: 'township', parent_code: '500230', region: '500230' },
      { code: VILLAGE_A, name: '兴义村', level: 'village', parent_code: '500230100', region: '500230' },
      { code: VILLAGE_B, name: '长江村', level: 'village', parent_code: '500230100', region: '500230' },
    ])
    .execute();
  await d.db
    .insertInto('hospital')
    .values([
      { code: HA, name: '丰都县人民医院', level: 'secondary', region: '500230' },
      { code: HB, name: '兴义镇卫生院', level: 'primary', region: '500230' },
      { code: HC, name: '丰都县中医院', level: 'secondary', region: '500230' },
    ])
    .execute();
  const watch = new BurdenWatch(d.db, quotes.lib);
  const settlements = new SettlementService(d, quotes, { afterWrite: watch.afterWrite });
  let seq = 0;
  return {
    d,
    settlements,
    watch,
    async person(opts = {}) {
      seq += 1;
      const idNumber = makeIdNumber('500230', '1970-03-01', seq);
      const p = await d.db
        .insertInto('person')
        .values({ id_number: idNumber, name: `风险${seq}号`, gender: 'female', birth_date: '1970-03-01', village_code: opts.village ?? VILLAGE_A, kind: 'adult', date_of_death: opts.dateOfDeath ?? null })
        .returning('id')
        .executeTakeFirstOrThrow();
      const state = opts.enrolled === undefined ? 'paid' : opts.enrolled;
      const period = opts.benefit ?? { start: '2022-01-01', end: '2022-12-31' };
      if (state)
        await d.db
          .insertInto('enrollment')
          .values({
            person_id: p.id,
            coverage_year: 2022,
            region: '500230',
            pack: '500230/2022',
            tier: 'tier1',
            state,
            standard_fen: 32000,
            assistance_fen: opts.assistanceFen ?? null,
            quote: JSON.stringify({}),
            benefit_start: state === 'paid' ? period.start : null,
            benefit_end: state === 'paid' ? period.end : null,
          })
          .execute();
      for (const s of opts.statuses ?? [])
        await d.db.insertInto('needy_status').values({ person_id: p.id, status: s, source: 'civil_affairs', valid_from: '2021-01-01', valid_to: null }).execute();
      return { id: String(p.id), idNumber };
    },
    async settle(personId, e) {
      const own = e.ownPay ?? 0;
      const ins = e.inScope ?? 0;
      const enc = await settlements.createEncounter(ADMIN, {
        personId,
        hospitalCode: e.hospital ?? HA,
        coverageYear: 2022,
        type: e.type ?? 'inpatient',
        date: e.date,
        costs: { total: Math.round((own + ins) * 100) / 100, fullOwnPay: own, overLimitSelfPay: 0, preSelfPay: 0, inScope: ins },
        ...(e.disease ? { disease: e.disease } : {}),
        ...(e.externalId ? { externalId: e.externalId } : {}),
      } as never);
      const s = await settlements.settle(ADMIN, enc.id);
      const row = await d.db.selectFrom('settlement').select('cash_fen').where('id', '=', s.settlementId!).executeTakeFirstOrThrow();
      return { encounterId: enc.id, settlementId: s.settlementId!, cashFen: Number(row.cash_fen) };
    },
  };
}
