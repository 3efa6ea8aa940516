/** Encounters: what a hospital records to be settled (fees or pre-classified costs), and one read back with its settlements. */
import type { Kysely } from 'kysely';
import { ConflictError, InputError } from '../errors.js';
import type { Encounter } from '../rules/settlement/input.js';
import type { DB } from '../store/schema.js';
import { audit } from '../access/audit.js';
import { maskIdNumber } from '../access/privacy.js';
import { requireHospital, type Actor } from '../access/roles.js';
import type { QuoteService } from '../quotes/quote-service.js';
import { checkId, encounterRequestSchema, parseWith, type EncounterRequest } from './requests.js';
import type { EncounterView } from './answers.js';
import { encounterView } from './views.js';

export class EncounterService {
  private readonly db: Kysely<DB>;

  constructor(
    db: Kysely<DB>,
    private readonly quotes: QuoteService,
  ) {
    this.db = db;
  }

  /**
   * Record an encounter (fees or pre-classified costs) for a hospital; a hospital account only
   * for itself. `visit`: the platform's visit and part the encounter settles (never from a
   * request body); with it, an encounter already recorded under the same externalId (the same
   * platform message, sent again) is returned instead of refused.
   */
  async createEncounter(actor: Actor, body: EncounterRequest, visit?: { id: string; part: string }): Promise<EncounterView> {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new InputError('(request)', 'must be a JSON object');
    const r = parseWith(encounterRequestSchema, body);
    const hospitalCode = r.hospitalCode ?? actor.hospitalCode;
    if (!hospitalCode) throw new InputError('hospitalCode', 'say which hospital the encounter is at');
    requireHospital(actor, hospitalCode);
    if (r.idNumber === undefined && r.personId === undefined) throw new InputError('idNumber', 'give the patient’s idNumber or personId');
    if (r.idNumber !== undefined && r.personId !== undefined) throw new InputError('personId', 'give idNumber or personId, not both');

    const hospital = await this.db.selectFrom('hospital').select(['code', 'level']).where('code', '=', hospitalCode).executeTakeFirst();
    if (!hospital) throw new InputError('hospitalCode', `no hospital ${hospitalCode}`);
    let personQ = this.db.selectFrom('person as p').innerJoin('admin_area as a', 'a.code', 'p.village_code').select(['p.id', 'a.region']);
    personQ = r.idNumber !== undefined ? personQ.where('p.id_number', '=', r.idNumber) : personQ.where('p.id', '=', String(r.personId));
    const person = await personQ.executeTakeFirst();
    if (!person) throw r.idNumber !== undefined ? new InputError('idNumber', `no person ${maskIdNumber(r.idNumber)} in the register`) : new InputError('personId', `no person ${r.personId} in the register`);
    // issue #11 item 8: a hospital names a new patient by ID number; a bare record id (sequential,
    // guessable) only for a person it already has a visit with, so the register cannot be harvested
    if (actor.role === 'hospital' && r.personId !== undefined) {
      const known = await this.db.selectFrom('encounter').select('id').where('person_id', '=', person.id).where('hospital_code', '=', hospitalCode).limit(1).executeTakeFirst();
      if (!known) throw new InputError('personId', 'a hospital names a new patient by idNumber (personId only for a patient it already has a visit with)');
    }

    const packId = this.quotes.lib.packIdFor(person.region, r.coverageYear);
    if (!packId) throw new InputError('coverageYear', `no policy pack covers region ${person.region} in ${r.coverageYear} (years with packs: ${this.quotes.lib.years().join(', ')})`);
    // the quote's own parsing (fees into the national split, the checks between fields), field names without its "encounter." prefix
    const { hospitalCode: _h, idNumber: _i, personId: _p, coverageYear: _y, externalId, ...raw } = r;
    const tiers = this.quotes.compiled(packId).tiers;
    let enc: Encounter;
    try {
      enc = this.quotes.parseSettlement({ region: person.region, coverageYear: r.coverageYear, ...(tiers.length ? { tier: tiers[0] } : {}), encounter: { ...raw, hospitalLevel: hospital.level }, trace: false }, false).encounters[0];
    } catch (e) {
      if (e instanceof InputError && e.field.startsWith('encounter.')) {
        const field = e.field.slice('encounter.'.length);
        throw new InputError(field, e.message.slice(e.field.length + 2));
      }
      throw e;
    }

    return this.db.transaction().execute(async (tx) => {
      const row = await tx
        .insertInto('encounter')
        .values({
          hospital_code: hospitalCode,
          person_id: person.id,
          coverage_year: r.coverageYear,
          type: enc.type,
          setting: enc.setting,
          date: r.date,
          location: enc.location,
          referred: enc.referred,
          disease: enc.disease,
          total_fen: enc.costs.total,
          full_own_pay_fen: enc.costs.fullOwnPay,
          over_limit_fen: enc.costs.overLimitSelfPay,
          pre_self_pay_fen: enc.costs.preSelfPay,
          in_scope_fen: enc.costs.inScope,
          lines: enc.lines ? JSON.stringify(enc.lines) : null,
          external_id: externalId ?? null,
          visit: visit?.id ?? null,
          visit_part: visit ? visit.part : null,
        })
        .onConflict((oc) => oc.columns(['hospital_code', 'external_id']).doNothing())
        .returning('id')
        .executeTakeFirst();
      if (!row) {
        const same = visit
          ? await tx.selectFrom('encounter').select('id').where('hospital_code', '=', hospitalCode).where('external_id', '=', externalId!).where('visit', '=', visit.id).where('visit_part', '=', visit.part).executeTakeFirst()
          : undefined;
        if (same) return encounterView(tx, actor, String(same.id));
        throw new ConflictError('DUPLICATE_ENCOUNTER', `hospital ${hospitalCode} already has an encounter with externalId ${externalId}`);
      }
      await audit(tx, actor, 'create', 'encounter', row.id, { hospitalCode, personId: person.id, coverageYear: r.coverageYear, type: enc.type, date: r.date, totalFen: enc.costs.total, externalId: externalId ?? null });
      return encounterView(tx, actor, row.id);
    });
  }

  async getEncounter(actor: Actor, id: string): Promise<EncounterView> {
    return encounterView(this.db, actor, checkId('id', id));
  }
}
