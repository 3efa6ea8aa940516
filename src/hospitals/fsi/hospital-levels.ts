/**
 * The level (医院等级) of each hospital the platform's settlements name, kept for a short while
 * (HOSPITAL_LEVEL_SECONDS) so that a 2207 / 2304 does not read it each time. It is only the level
 * the encounter is parsed with: the settlement itself reads the hospital's level from the
 * hospital table in its own statement, so a level changed meanwhile is settled at once as changed.
 */
import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../../store/schema.js';
import { FsiError } from './fields.js';

export const HOSPITAL_LEVEL_SECONDS = 30;

export class HospitalLevels {
  private readonly known = new Map<string, { level: string; until: number }>();

  constructor(private readonly seconds = HOSPITAL_LEVEL_SECONDS) {}

  async of(db: Kysely<DB> | Transaction<DB>, code: string, now = Date.now()): Promise<string> {
    const k = this.known.get(code);
    if (k && k.until > now) return k.level;
    const h = await db.selectFrom('hospital').select('level').where('code', '=', code).executeTakeFirst();
    if (!h) throw new FsiError(`定点医药机构 ${code} 不在医疗机构登记中`);
    this.known.set(code, { level: h.level, until: now + this.seconds * 1000 });
    return h.level;
  }
}
