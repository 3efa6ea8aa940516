/**
 * Load a generated town into the registers in bulk (batched multi-row INSERTs in one
 * transaction per batch): areas, hospitals, households, persons, needy statuses.
 */
import type { Kysely } from 'kysely';
import type { DB } from '../store/schema.js';
import type { Town } from './population.js';

export interface LoadProgress {
  (done: number, total: number, what: string): void;
}

const BATCH = 1000;

/** The town's county, townships, villages and hospitals (idempotent). */
export async function loadAreas(db: Kysely<DB>, town: Town): Promise<void> {
  const region = town.county;
  await db.transaction().execute(async (tx) => {
    for (const a of town.areas)
      await tx.insertInto('admin_area').values({ code: a.code, name: a.name, level: a.level, parent_code: a.parent, region }).onConflict((oc) => oc.column('code').doNothing()).execute();
    for (const h of town.hospitals)
      await tx.insertInto('hospital').values({ code: h.code, name: h.name, level: h.level, region, ownership: h.ownership }).onConflict((oc) => oc.column('code').doNothing()).execute();
  });
}

export async function loadTown(db: Kysely<DB>, town: Town, onProgress?: LoadProgress): Promise<{ personIds: string[] }> {
  await loadAreas(db, town);
  const householdId = new Map<string, string>();
  for (let i = 0; i < town.households.length; i += BATCH) {
    const rows = await db
      .insertInto('household')
      .values(town.households.slice(i, i + BATCH).map((h) => ({ village_code: h.villageCode, house_no: h.houseNo })))
      .onConflict((oc) => oc.columns(['village_code', 'house_no']).doUpdateSet((eb) => ({ address: eb.ref('excluded.address') })))
      .returning(['id', 'village_code', 'house_no'])
      .execute();
    for (const r of rows) householdId.set(`${r.village_code}/${r.house_no}`, r.id);
    onProgress?.(Math.min(i + BATCH, town.households.length), town.households.length, 'households');
  }
  const personIds: string[] = [];
  for (let i = 0; i < town.persons.length; i += BATCH) {
    const batch = town.persons.slice(i, i + BATCH);
    await db.transaction().execute(async (tx) => {
      const rows = await tx
        .insertInto('person')
        .values(
          batch.map((p) => ({
            id_number: p.idNumber,
            name: p.name,
            gender: p.gender,
            birth_date: p.birthDate,
            household_id: householdId.get(`${p.villageCode}/${p.houseNo}`) ?? null,
            village_code: p.villageCode,
            kind: p.kind,
            graduation_year: p.graduationYear,
          })),
        )
        .onConflict((oc) => oc.column('id_number').doUpdateSet((eb) => ({ name: eb.ref('excluded.name') })))
        .returning(['id', 'id_number'])
        .execute();
      const idOf = new Map(rows.map((r) => [r.id_number, r.id]));
      const statuses = batch.flatMap((p) =>
        p.statuses.map((s) => ({ person_id: idOf.get(p.idNumber)!, status: s.status, source: s.source, valid_from: s.validFrom, valid_to: s.validTo, reference: 'demo' })),
      );
      if (statuses.length)
        await tx
          .insertInto('needy_status')
          .values(statuses)
          .onConflict((oc) => oc.columns(['person_id', 'status', 'source', 'valid_from']).doNothing())
          .execute();
      for (const p of batch) personIds.push(idOf.get(p.idNumber)!);
    });
    onProgress?.(Math.min(i + BATCH, town.persons.length), town.persons.length, 'persons');
  }
  return { personIds };
}
