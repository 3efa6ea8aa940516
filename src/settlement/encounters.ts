/** Encounters: what a hospital records to be settled (fees or pre-classified costs), and one read back with its settlements. */
import { sql, type Kysely } from 'kysely';
import { ConflictError, InputError } from '../errors.js';
import type { Encounter } from '../rules/settlement/input.js';
import type { DB } from '../store/schema.js';
import { isUniqueViolation } from '../store/pg-errors.js';
import { openCoverageYears } from '../store/partitions.js';
import { audit, auditMany } from '../access/audit.js';
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
    const { r, hospitalCode } = checkRequest(actor, body);
    const hospital = await this.db.selectFrom('hospital').select(['code', 'level']).where('code', '=', hospitalCode).executeTakeFirst();
    if (!hospital) throw new InputError('hospitalCode', `no hospital ${hospitalCode}`);
    let personQ = this.db.selectFrom('person as p').innerJoin('admin_area as a', 'a.code', 'p.village_code').select(['p.id', 'p.id_number', 'a.region']);
    personQ = r.idNumber !== undefined ? personQ.where('p.id_number', '=', r.idNumber) : personQ.where('p.id', '=', String(r.personId));
    const person = await personQ.executeTakeFirst();
    if (!person) throw noPerson(r);
    // issue #11 item 8: a hospital names a new patient by ID number; a bare record id (sequential,
    // guessable) only for a person it already has a visit with, so the register cannot be harvested
    if (actor.role === 'hospital' && r.personId !== undefined) {
      const known = await this.db.selectFrom('encounter').select('id').where('person_id', '=', person.id).where('hospital_code', '=', hospitalCode).limit(1).executeTakeFirst();
      if (!known) throw new InputError('personId', 'a hospital names a new patient by idNumber (personId only for a patient it already has a visit with)');
    }
    const row = this.encounterRow(r, hospitalCode, hospital.level, { id: String(person.id), region: person.region }, visit);
    await openCoverageYears(this.db, [row.values.coverage_year]);

    return this.db.transaction().execute(async (tx) => {
      const inserted = await tx
        .insertInto('encounter')
        .values(row.values)
        .onConflict((oc) => oc.columns(['hospital_code', 'external_id', 'coverage_year']).doNothing())
        .returning('id')
        .executeTakeFirst()
        .catch((e: unknown) => {
          throw takenInAnotherYear(e) ? duplicate(hospitalCode, r.externalId!) : e;
        });
      if (!inserted) {
        const same = visit
          ? await tx.selectFrom('encounter').select('id').where('hospital_code', '=', hospitalCode).where('external_id', '=', r.externalId!).where('visit', '=', visit.id).where('visit_part', '=', visit.part).executeTakeFirst()
          : undefined;
        if (same) return encounterView(tx, actor, String(same.id));
        throw duplicate(hospitalCode, r.externalId);
      }
      await audit(tx, actor, 'create', 'encounter', inserted.id, row.detail);
      return encounterView(tx, actor, inserted.id);
    });
  }

  /**
   * The encounter of a platform visit's part (2207 / 2304), for a person and hospital the
   * caller has already read and checked (the platform's visit names them): the request is
   * parsed by the quote's own parsing (encounterRow), then one statement inserts the encounter,
   * its audit row and, when the person has none for the year yet, the empty accumulator row the
   * settlement would otherwise create in two more round trips. The same message sent again (the
   * same externalId for the same visit and part) gets the encounter it recorded; another
   * encounter under that externalId is refused (DUPLICATE_ENCOUNTER). Answers the encounter id.
   */
  async createVisitEncounter(actor: Actor, r: EncounterRequest, visit: { id: string; part: string }, known: { person: { id: string; region: string }; hospitalLevel: string }): Promise<string> {
    // checked as visitEncounterRow checks it (hospital, externalId), then written with its audit and accumulator rows
    const { hospitalCode } = this.visitEncounterRow(actor, r, visit, known);
    return this.insertKnown(actor, r, hospitalCode, visit, known);
  }

  /**
   * An encounter (no platform visit) for a person and hospital the caller has already read —
   * the insured area's desk for a visit in another area (src/areas/insured.ts), whose person is
   * the one `body.idNumber` names and whose hospital row exists: the request checked as
   * createEncounter checks it, then written in one statement as createVisitEncounter writes
   * (with its audit row and the empty accumulator row). Another encounter under the same
   * externalId is refused (DUPLICATE_ENCOUNTER). Answers the encounter id.
   */
  async createKnownEncounter(actor: Actor, body: EncounterRequest, known: { person: { id: string; region: string }; hospitalLevel: string }): Promise<string> {
    const { r, hospitalCode } = this.knownRequest(actor, body);
    return this.insertKnown(actor, r, hospitalCode, null, known);
  }

  /**
   * The row (and audit detail) of an encounter for a person and hospital the caller has already
   * read, checked as createKnownEncounter checks it, not written: for
   * SettlementService.settleKnownEncounter, which writes it with its settlement.
   */
  knownEncounterRow(actor: Actor, body: EncounterRequest, known: { person: { id: string; region: string }; hospitalLevel: string }) {
    const { r, hospitalCode } = this.knownRequest(actor, body);
    return { row: this.encounterRow(r, hospitalCode, known.hospitalLevel, known.person), hospitalCode, externalId: r.externalId! };
  }

  private knownRequest(actor: Actor, body: EncounterRequest): { r: EncounterRequest; hospitalCode: string } {
    const checked = checkRequest(actor, body);
    if (!checked.r.externalId) throw new InputError('externalId', 'say under which externalId the encounter is recorded');
    return checked;
  }

  private async insertKnown(actor: Actor, r: EncounterRequest, hospitalCode: string, visit: { id: string; part: string } | null, known: { person: { id: string; region: string }; hospitalLevel: string }): Promise<string> {
    const externalId = r.externalId!;
    const row = this.encounterRow(r, hospitalCode, known.hospitalLevel, known.person, visit ?? undefined);
    await openCoverageYears(this.db, [row.values.coverage_year]);
    const cols = Object.keys(row.values) as (keyof typeof row.values)[];
    const { rows } = await sql<{ id: string }>`
      WITH e AS (
        INSERT INTO encounter (${sql.join(cols.map((k) => sql.ref(k)))}) VALUES (${sql.join(cols.map((k) => sql.val(row.values[k])))})
        ON CONFLICT (hospital_code, external_id, coverage_year) DO NOTHING
        RETURNING id, person_id, coverage_year
      ), a AS (
        INSERT INTO accumulator (person_id, coverage_year, data) SELECT person_id, coverage_year, '{}'::jsonb FROM e ON CONFLICT DO NOTHING
      ), l AS (
        INSERT INTO audit_log (actor, role, action, entity, entity_id, detail)
        SELECT ${actor.username}, ${actor.role}, 'create', 'encounter', id::text, ${JSON.stringify(row.detail)}::jsonb FROM e
      )
      SELECT id::text AS id FROM e`
      .execute(this.db)
      .catch((e: unknown) => {
        throw takenInAnotherYear(e) ? duplicate(hospitalCode, externalId) : e;
      });
    if (rows.length) return rows[0].id;
    const same = visit ? await this.db.selectFrom('encounter').select('id').where('hospital_code', '=', hospitalCode).where('external_id', '=', externalId).where('visit', '=', visit.id).where('visit_part', '=', visit.part).executeTakeFirst() : undefined;
    if (same) return String(same.id);
    throw duplicate(hospitalCode, externalId);
  }

  /**
   * The row (and audit detail) of a platform visit's encounter, checked as createVisitEncounter
   * checks it, not written: for SettlementService.settleNewEncounter, which writes it with its
   * settlement.
   */
  visitEncounterRow(actor: Actor, r: EncounterRequest, visit: { id: string; part: string }, known: { person: { id: string; region: string }; hospitalLevel: string }) {
    const hospitalCode = r.hospitalCode ?? actor.hospitalCode;
    if (!hospitalCode) throw new InputError('hospitalCode', 'say which hospital the encounter is at');
    requireHospital(actor, hospitalCode);
    if (!r.externalId) throw new InputError('externalId', 'a platform visit’s encounter is recorded under the message that settles it');
    return { row: this.encounterRow(r, hospitalCode, known.hospitalLevel, known.person, visit), hospitalCode };
  }

  /**
   * Record many encounters at once (a hospital's or the demo's batch): each checked as
   * createEncounter checks it, then the hospitals and persons read in one statement each, the
   * encounters written in one multi-row insert with their ids drawn first, and their audit rows
   * in another, in one transaction. Answers each request in order: its new id, or the error
   * createEncounter would have thrown for it (that one is not written; the others are). A
   * duplicate externalId is refused (DUPLICATE_ENCOUNTER) as there; platform visits go one by one.
   */
  async createEncounters(actor: Actor, bodies: readonly EncounterRequest[]): Promise<({ id: string } | { error: Error })[]> {
    const answers: ({ id: string } | { error: Error } | null)[] = bodies.map(() => null);
    const checked: { i: number; r: EncounterRequest; hospitalCode: string }[] = [];
    bodies.forEach((body, i) => {
      try {
        checked.push({ i, ...checkRequest(actor, body) });
      } catch (e) {
        answers[i] = { error: e as Error };
      }
    });
    if (checked.length > 0) {
      const codes = [...new Set(checked.map((c) => c.hospitalCode))];
      const hospitals = new Map((await this.db.selectFrom('hospital').select(['code', 'level']).where('code', 'in', codes).execute()).map((h) => [h.code, h.level]));
      const idNumbers = [...new Set(checked.flatMap((c) => (c.r.idNumber !== undefined ? [c.r.idNumber] : [])))];
      const personIds = [...new Set(checked.flatMap((c) => (c.r.personId !== undefined ? [String(c.r.personId)] : [])))];
      const persons = await this.db
        .selectFrom('person as p')
        .innerJoin('admin_area as a', 'a.code', 'p.village_code')
        .select(['p.id', 'p.id_number', 'a.region'])
        .where((w) => w.or([...(idNumbers.length ? [w('p.id_number', 'in', idNumbers)] : []), ...(personIds.length ? [w('p.id', 'in', personIds)] : [])]))
        .execute();
      const byNumber = new Map(persons.map((p) => [p.id_number, p]));
      const byId = new Map(persons.map((p) => [String(p.id), p]));
      // a hospital's patients named by a bare personId must already have a visit with it (as createEncounter)
      const known = new Set<string>();
      if (actor.role === 'hospital' && personIds.length > 0) {
        const visits = await this.db.selectFrom('encounter').select(['person_id', 'hospital_code']).distinct().where('person_id', 'in', personIds).where('hospital_code', 'in', codes).execute();
        for (const v of visits) known.add(`${v.person_id}|${v.hospital_code}`);
      }
      const rows: { i: number; row: ReturnType<EncounterService['encounterRow']>; hospitalCode: string; externalId: string | undefined }[] = [];
      for (const c of checked) {
        try {
          const level = hospitals.get(c.hospitalCode);
          if (level === undefined) throw new InputError('hospitalCode', `no hospital ${c.hospitalCode}`);
          const person = c.r.idNumber !== undefined ? byNumber.get(c.r.idNumber) : byId.get(String(c.r.personId));
          if (!person) throw noPerson(c.r);
          if (actor.role === 'hospital' && c.r.personId !== undefined && !known.has(`${person.id}|${c.hospitalCode}`)) {
            throw new InputError('personId', 'a hospital names a new patient by idNumber (personId only for a patient it already has a visit with)');
          }
          rows.push({ i: c.i, row: this.encounterRow(c.r, c.hospitalCode, level, { id: String(person.id), region: person.region }), hospitalCode: c.hospitalCode, externalId: c.r.externalId });
        } catch (e) {
          answers[c.i] = { error: e as Error };
        }
      }
      // two requests of the batch with the same hospital and externalId: the later one is the duplicate
      const seen = new Set<string>();
      const unique = rows.filter((x) => {
        if (x.externalId === undefined) return true;
        const k = `${x.hospitalCode}|${x.externalId}`;
        if (!seen.has(k)) return seen.add(k);
        answers[x.i] = { error: duplicate(x.hospitalCode, x.externalId) };
        return false;
      });
      // an externalId the hospital used for an encounter of another coverage year: a duplicate too
      // (within a year, ON CONFLICT finds it; across years the database refuses the whole statement)
      const keyed = unique.filter((x) => x.externalId !== undefined);
      if (keyed.length > 0) {
        const { rows: taken } = await sql<{ k: string }>`
          SELECT e.hospital_code || '|' || e.external_id AS k FROM encounter e
            JOIN unnest(${keyed.map((x) => x.hospitalCode)}::text[], ${keyed.map((x) => x.externalId!)}::text[], ${keyed.map((x) => x.row.values.coverage_year)}::int[]) AS q(h, x, y)
              ON e.hospital_code = q.h AND e.external_id = q.x AND e.coverage_year <> q.y`.execute(this.db);
        const other = new Set(taken.map((t) => t.k));
        for (let n = unique.length - 1; n >= 0; n--) {
          const x = unique[n];
          if (x.externalId !== undefined && other.has(`${x.hospitalCode}|${x.externalId}`)) {
            answers[x.i] = { error: duplicate(x.hospitalCode, x.externalId) };
            unique.splice(n, 1);
          }
        }
      }
      if (unique.length > 0) await openCoverageYears(this.db, unique.map((x) => x.row.values.coverage_year));
      if (unique.length > 0) {
        await this.db.transaction().execute(async (tx) => {
          const { rows: ids } = await sql<{ id: string }>`SELECT nextval(pg_get_serial_sequence('encounter', 'id'))::text AS id FROM generate_series(1, ${unique.length})`.execute(tx);
          const written = await tx
            .insertInto('encounter')
            .values(unique.map((x, k) => ({ id: ids[k].id, ...x.row.values })))
            .onConflict((oc) => oc.columns(['hospital_code', 'external_id', 'coverage_year']).doNothing())
            .returning('id')
            .execute();
          const got = new Set(written.map((w) => String(w.id)));
          const audited: { id: string; detail: Record<string, unknown> }[] = [];
          unique.forEach((x, k) => {
            if (got.has(ids[k].id)) {
              answers[x.i] = { id: ids[k].id };
              audited.push({ id: ids[k].id, detail: x.row.detail });
            } else answers[x.i] = { error: duplicate(x.hospitalCode, x.externalId) };
          });
          await auditMany(tx, actor, 'create', 'encounter', audited);
        });
      }
    }
    return answers.map((a) => a ?? { error: new Error('encounter not answered') });
  }

  /** The row of an encounter checked by checkRequest, with its audit detail. */
  private encounterRow(r: EncounterRequest, hospitalCode: string, hospitalLevel: string, person: { id: string; region: string }, visit?: { id: string; part: string }) {
    const packId = this.quotes.lib.packIdFor(person.region, r.coverageYear);
    if (!packId) throw new InputError('coverageYear', `no policy pack covers region ${person.region} in ${r.coverageYear} (years with packs: ${this.quotes.lib.years().join(', ')})`);
    // the quote's own parsing (fees into the national split, the checks between fields), field names without its "encounter." prefix
    const { hospitalCode: _h, idNumber: _i, personId: _p, coverageYear: _y, externalId, ...raw } = r;
    const tiers = this.quotes.compiled(packId).tiers;
    let enc: Encounter;
    try {
      enc = this.quotes.parseSettlement({ region: person.region, coverageYear: r.coverageYear, ...(tiers.length ? { tier: tiers[0] } : {}), encounter: { ...raw, hospitalLevel }, trace: false }, false).encounters[0];
    } catch (e) {
      if (e instanceof InputError && e.field.startsWith('encounter.')) {
        const field = e.field.slice('encounter.'.length);
        throw new InputError(field, e.message.slice(e.field.length + 2));
      }
      throw e;
    }
    return {
      values: {
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
      },
      detail: { hospitalCode, personId: person.id, coverageYear: r.coverageYear, type: enc.type, date: r.date, totalFen: enc.costs.total, externalId: externalId ?? null } as Record<string, unknown>,
    };
  }

  async getEncounter(actor: Actor, id: string): Promise<EncounterView> {
    return encounterView(this.db, actor, checkId('id', id));
  }
}

/** An encounter request parsed and checked before anything is read: the schema, the actor's hospital, who the patient is. */
function checkRequest(actor: Actor, body: EncounterRequest): { r: EncounterRequest; hospitalCode: string } {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new InputError('(request)', 'must be a JSON object');
  const r = parseWith(encounterRequestSchema, body);
  const hospitalCode = r.hospitalCode ?? actor.hospitalCode;
  if (!hospitalCode) throw new InputError('hospitalCode', 'say which hospital the encounter is at');
  requireHospital(actor, hospitalCode);
  if (r.idNumber === undefined && r.personId === undefined) throw new InputError('idNumber', 'give the patient’s idNumber or personId');
  if (r.idNumber !== undefined && r.personId !== undefined) throw new InputError('personId', 'give idNumber or personId, not both');
  return { r, hospitalCode };
}

function noPerson(r: EncounterRequest): InputError {
  return r.idNumber !== undefined ? new InputError('idNumber', `no person ${maskIdNumber(r.idNumber)} in the register`) : new InputError('personId', `no person ${r.personId} in the register`);
}

/** The database refused an externalId (or an id) an encounter of another coverage year holds (migration 050). */
function takenInAnotherYear(e: unknown): boolean {
  return isUniqueViolation(e, 'encounter_hospital_code_external_id_key');
}

function duplicate(hospitalCode: string, externalId: string | undefined): ConflictError {
  return new ConflictError('DUPLICATE_ENCOUNTER', `hospital ${hospitalCode} already has an encounter with externalId ${externalId}`);
}
