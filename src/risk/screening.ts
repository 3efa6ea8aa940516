/**
 * Running the screening: each rule of the area's pack as one set-based statement
 * (src/risk/screen-sql.ts), one after the other, each committing by itself; returns what each
 * found and how long it took.
 */
import type { Kysely } from 'kysely';
import { InputError } from '../errors.js';
import { audit } from '../access/audit.js';
import { requirePermission, type Actor } from '../access/roles.js';
import type { PolicyLibrary } from '../policy/loader.js';
import { SCREEN_CODES, screenRulesOf, type ScreenCode, type ScreenRule } from '../rules/risk/screen-rules.js';
import type { DB } from '../store/schema.js';
import { SCREEN_SQL, type ScreenScope } from './screen-sql.js';
import { screenFeeLines } from '../rules/risk/screen-lines.js';

export interface ScreenRun {
  year: number;
  region: string;
  pack: string;
  rules: { code: ScreenCode; name: string; found: number; ms: number }[];
}

export function rulesFor(lib: PolicyLibrary, region: string, year: number): { pack: string; rules: Map<ScreenCode, ScreenRule> } {
  const pack = lib.packFor(region, year);
  if (!pack) throw new InputError('region', `no policy pack covers region ${region} in ${year}`);
  return { pack: pack.id, rules: screenRulesOf(pack) };
}

/** Screen the year's settlements of the area's insured persons with the area's rules (all, or the codes asked for). */
export async function runScreening(db: Kysely<DB>, lib: PolicyLibrary, opts: { year: number; region: string; codes?: string[]; allRegions?: boolean; onRule?: (done: number, total: number, code: ScreenCode) => void }): Promise<ScreenRun> {
  const { pack, rules } = rulesFor(lib, opts.region, opts.year);
  for (const c of opts.codes ?? []) if (!(SCREEN_CODES as readonly string[]).includes(c)) throw new InputError('codes', `no screening rule ${c} (rules: ${SCREEN_CODES.join(', ')})`);
  const scope: ScreenScope = { year: opts.year, region: opts.allRegions ? null : opts.region };
  const out: ScreenRun = { year: opts.year, region: opts.region, pack, rules: [] };
  const todo = [...rules].filter(([code]) => !opts.codes?.length || opts.codes.includes(code));
  for (const [code, rule] of todo) {
    const t0 = performance.now();
    const r = await SCREEN_SQL[code](rule, scope).execute(db);
    out.rules.push({ code, name: rule.name, found: Number(r.numAffectedRows ?? 0), ms: Math.round(performance.now() - t0) });
    opts.onRule?.(out.rules.length, todo.length, code);
  }
  return out;
}

/** A screening run asked for by someone (HTTP, CLI): permission checked, the run audited with what it found. */
export async function screenFor(db: Kysely<DB>, lib: PolicyLibrary, actor: Actor, opts: Parameters<typeof runScreening>[2]): Promise<ScreenRun> {
  requirePermission(actor, 'risk.screen');
  const run = await runScreening(db, lib, opts);
  await audit(db, actor, 'risk.screen', 'risk_case', null, { year: run.year, region: run.region, pack: run.pack, found: Object.fromEntries(run.rules.map((r) => [r.code, r.found])) });
  return run;
}

export { screenFeeLines, type FeeLineIn, type LineHit } from '../rules/risk/screen-lines.js';

/** The area's rules, then one encounter's fee lines screened with them (before settlement: 3101/3102). */
export function screenEncounterLines(lib: PolicyLibrary, region: string, year: number, lines: import('../rules/risk/screen-lines.js').FeeLineIn[]) {
  return screenFeeLines(rulesFor(lib, region, year).rules, lines);
}
