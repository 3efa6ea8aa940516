/**
 * Running the screening: the rows read once into the run's temporary tables, then each rule of
 * the area's pack as one set-based statement over them (src/risk/screen-sql.ts), one after the
 * other, all in one transaction; returns what each found and how long it took.
 */
import { sql, type Kysely } from 'kysely';
import { InputError } from '../errors.js';
import { audit } from '../access/audit.js';
import { requirePermission, type Actor } from '../access/roles.js';
import type { PolicyLibrary } from '../policy/loader.js';
import { num, SCREEN_CODES, screenRulesOf, type ScreenCode, type ScreenRule } from '../rules/risk/screen-rules.js';
import type { DB } from '../store/schema.js';
import { prepareScreen, SCREEN_SQL, type ScreenScope } from './screen-sql.js';

/** The rules that read fee lines. */
const LINE_CODES: readonly ScreenCode[] = ['FR04', 'FR05', 'FR06', 'FR07'];
import { screenFeeLines } from '../rules/risk/screen-lines.js';

export interface ScreenRun {
  year: number;
  region: string;
  pack: string;
  /** reading the rows once (prepareScreen), ms */
  readMs: number;
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
  const out: ScreenRun = { year: opts.year, region: opts.region, pack, readMs: 0, rules: [] };
  const todo = [...rules].filter(([code]) => !opts.codes?.length || opts.codes.includes(code));
  const fr09 = rules.get('FR09');
  const prepare = prepareScreen(scope, { historyMonths: fr09 && todo.some(([c]) => c === 'FR09') ? num(fr09, 'historyMonths') : 0, feeLines: todo.some(([c]) => LINE_CODES.includes(c)), rules: new Map(todo) });
  // one transaction: the rules read the same rows (the run's temporary tables), and a run is written whole or not at all
  await db.transaction().execute(async (tx) => {
    // the rules' hash joins and aggregates kept in memory (example: a setting of this run, not of the server)
    await sql`SET LOCAL work_mem = '256MB'`.execute(tx);
    // no JIT compilation: the statements are planned afresh in every run, and their estimated
    // costs (millions of rows read) made the server compile each one (seconds of CPU for FR03 and
    // the one read, whose work is few rows or plain scans; measured at 10 M, BENCHMARKS.md)
    await sql`SET LOCAL jit = off`.execute(tx);
    const p0 = performance.now();
    for (const st of prepare) await st.execute(tx);
    out.readMs = Math.round(performance.now() - p0);
    for (const [code, rule] of todo) {
      const t0 = performance.now();
      const r = await SCREEN_SQL[code](rule, scope).execute(tx);
      out.rules.push({ code, name: rule.name, found: Number(r.numAffectedRows ?? 0), ms: Math.round(performance.now() - t0) });
      opts.onRule?.(out.rules.length, todo.length, code);
    }
  });
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
