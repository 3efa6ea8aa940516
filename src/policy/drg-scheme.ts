/**
 * The CHS-DRG 1.1 grouping scheme as data (policies/drg/chs-drg-1.1/, from OpenDRG): reads the
 * JSON files, checks their shape and that they fit together (every ADRG of an MDC exists and
 * points back to it, orders agree, counts match scheme.json, CC and MCC are disjoint, …) and
 * refuses anything else with a PackError naming the file, the path in it and the problem.
 * The condition language is the data README's §5; compiling it into matchers is drg-compile.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { PackError, type PackProblem } from './errors.js';

export const DEFAULT_DRG_DIR = resolvePath(dirname(fileURLToPath(import.meta.url)), '../../policies/drg/chs-drg-1.1');

/** The numeric fields a `compare` condition reads; a missing value counts as 0 (README §2). */
export const DRG_NUMBER_FIELDS = ['ageYears', 'ageDays', 'birthWeightGrams'] as const;
export type DrgNumberField = (typeof DRG_NUMBER_FIELDS)[number];
export const DRG_COMPARE_OPS = ['==', '<', '<=', '>', '>='] as const;
export type DrgCompareOp = (typeof DRG_COMPARE_OPS)[number];

/** A condition of the scheme (README §5). */
export type DrgCondition =
  | { all: DrgCondition[] }
  | { any: DrgCondition[] }
  | { not: DrgCondition }
  | { kind: 'always' }
  | { kind: 'mainDiagnosisIn'; codes: string[] }
  | { kind: 'anyDiagnosisIn'; codes: string[] }
  | { kind: 'mainProcedureIn'; codes: string[] }
  | { kind: 'anyProcedureIn'; codes: string[]; label?: string }
  | { kind: 'mainProcedureValid' }
  | { kind: 'noValidProcedure' }
  | { kind: 'anyProcedureValid' }
  | { kind: 'sex'; equals: string }
  | { kind: 'compare'; field: DrgNumberField; op: DrgCompareOp; value: number }
  | { kind: 'distinctTraumaRegions'; min: number; regions: Record<string, string[]> }
  | { kind: 'hasMcc' }
  | { kind: 'hasCc' }
  | { kind: 'sexMissing' }
  | { kind: 'noDiagnosis' };

export type DrgLeaf = Extract<DrgCondition, { kind: string }>;
export type DrgConditionKind = DrgLeaf['kind'];

const code = z.string().min(1);
const codes = z.array(code).min(1);
const bare = <K extends string>(kind: K) => z.object({ kind: z.literal(kind) }).strict();

export const drgConditionSchema: z.ZodType<DrgCondition> = z.lazy(() =>
  z.union([
    z.object({ all: z.array(drgConditionSchema).min(1) }).strict(),
    z.object({ any: z.array(drgConditionSchema).min(1) }).strict(),
    z.object({ not: drgConditionSchema }).strict(),
    bare('always'),
    z.object({ kind: z.literal('mainDiagnosisIn'), codes }).strict(),
    z.object({ kind: z.literal('anyDiagnosisIn'), codes }).strict(),
    z.object({ kind: z.literal('mainProcedureIn'), codes }).strict(),
    z.object({ kind: z.literal('anyProcedureIn'), codes, label: z.string().optional() }).strict(),
    bare('mainProcedureValid'),
    bare('noValidProcedure'),
    bare('anyProcedureValid'),
    z.object({ kind: z.literal('sex'), equals: z.string().min(1) }).strict(),
    z.object({ kind: z.literal('compare'), field: z.enum(DRG_NUMBER_FIELDS), op: z.enum(DRG_COMPARE_OPS), value: z.number().int() }).strict(),
    z.object({ kind: z.literal('distinctTraumaRegions'), min: z.number().int().positive(), regions: z.record(z.string().min(1), codes) }).strict(),
    bare('hasMcc'),
    bare('hasCc'),
    bare('sexMissing'),
    bare('noDiagnosis'),
  ]),
);

export const DRG_STATUSES = ['success', 'ungroupable', 'invalid_missing_sex', 'invalid_newborn_no_weight', 'invalid_no_diagnosis'] as const;
export type DrgStatus = (typeof DRG_STATUSES)[number];
export type DrgInvalidStatus = Exclude<DrgStatus, 'success' | 'ungroupable'>;

const validationRule = z.union([
  z
    .object({
      status: z.enum(['invalid_missing_sex', 'invalid_newborn_no_weight', 'invalid_no_diagnosis']),
      opendrgStatus: z.string(),
      message: z.string().min(1),
      when: drgConditionSchema,
    })
    .strict(),
  z.object({ normalise: z.literal('sex'), map: z.record(z.string().min(1), z.string().min(1)) }).strict(),
]);

const counts = z
  .object({
    mdc: z.number().int(),
    adrg: z.number().int(),
    drg: z.number().int(),
    cc: z.number().int(),
    mcc: z.number().int(),
    ccExclusions: z.number().int(),
    validProcedures: z.number().int(),
    diagnosisNames: z.number().int(),
    procedureNames: z.number().int(),
  })
  .strict();

const schemeFile = z
  .object({
    scheme: z.string().min(1),
    dataVersion: z.string().min(1),
    source: z.object({ project: z.string(), url: z.string(), path: z.string(), commit: z.string(), license: z.string() }).strict(),
    counts,
    validation: z.array(validationRule).min(1),
    mdcOrder: z.array(z.string().regex(/^MDC[A-Z]$/, 'an MDC code is MDC + one letter')).min(1),
    notes: z.array(z.string()).optional(),
    sourceFileSha256Prefix: z.record(z.string(), z.string()).optional(),
  })
  .strict();

const mdcFile = z.array(
  z
    .object({
      code: z.string().regex(/^MDC[A-Z]$/),
      name: z.string().min(1),
      nameEn: z.string().min(1),
      order: z.number().int().positive(),
      entry: drgConditionSchema,
      adrgs: z.array(z.string().regex(/^[A-Z]{2}\d$/, 'an ADRG code is two letters and a digit')).min(1),
      disabledRules: z.array(z.object({ code: z.string(), enabled: z.boolean(), position: z.number().int().nonnegative(), conditionIfEnabled: drgConditionSchema }).strict()),
    })
    .strict(),
);

const adrgFile = z.record(
  z.string(),
  z
    .object({
      code: z.string().regex(/^[A-Z]{2}\d$/),
      name: z.string().min(1),
      mdc: z.string(),
      order: z.number().int().positive(),
      condition: drgConditionSchema,
      drgs: z.array(z.string().regex(/^[A-Z]{2}\d\d$/, 'a DRG code is two letters and two digits')).min(1),
    })
    .strict(),
);

export const DRG_SPLITS = ['MCC', 'CC', 'noCC', 'unsplit'] as const;
export type DrgSplit = (typeof DRG_SPLITS)[number];

const drgFile = z.record(
  z.string(),
  z
    .object({
      code: z.string().regex(/^[A-Z]{2}\d\d$/),
      name: z.string().min(1),
      mdc: z.string(),
      adrg: z.string(),
      order: z.number().int().positive(),
      split: z.enum(DRG_SPLITS),
      condition: drgConditionSchema,
    })
    .strict(),
);

const codeTable = z.record(code, z.string().min(1));
const codeList = z.array(code);

export type DrgSchemeFile = z.infer<typeof schemeFile>;
export type DrgMdcDef = z.infer<typeof mdcFile>[number];
export type DrgAdrgDef = z.infer<typeof adrgFile>[string];
export type DrgDef = z.infer<typeof drgFile>[string];

/** The scheme as read and checked; no matcher compiled yet. */
export interface DrgSchemeData {
  dir: string;
  meta: DrgSchemeFile;
  mdcs: DrgMdcDef[];
  adrgs: Record<string, DrgAdrgDef>;
  drgs: Record<string, DrgDef>;
  /** diagnosis code → exclusion table (numbers kept as strings) */
  mcc: Record<string, string>;
  cc: Record<string, string>;
  /** main diagnosis code → exclusion table */
  ccExclusions: Record<string, string>;
  validProcedures: string[];
  diagnosisNames: Record<string, string>;
  procedureNames: Record<string, string>;
  /** the optional code conversions (README §8), read only when asked for */
  diagnosisCodeMap?: Record<string, string>;
  procedureCodeMap?: Record<string, string>;
}

export interface ReadDrgOptions {
  /** also read diagnosis-code-map.json and procedure-code-map.json (never applied unless asked) */
  codeMaps?: boolean;
}

/** Read and check the scheme in `dir`; throws PackError listing every problem found. */
export function readDrgScheme(dir: string = DEFAULT_DRG_DIR, opts: ReadDrgOptions = {}): DrgSchemeData {
  const problems: PackProblem[] = [];
  const read = <T>(file: string, schema: z.ZodType<T>): T | null => {
    const path = join(dir, file);
    if (!existsSync(path)) {
      problems.push({ file, path: '(file)', message: `missing from ${dir}` });
      return null;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      problems.push({ file, path: '(file)', message: `not valid JSON: ${(e as Error).message}` });
      return null;
    }
    const r = schema.safeParse(raw);
    if (!r.success) {
      for (const i of r.error.issues.slice(0, 20)) problems.push({ file, path: i.path.map(String).join('.') || '(root)', message: i.message });
      return null;
    }
    return r.data;
  };
  const meta = read('scheme.json', schemeFile);
  const mdcs = read('mdc.json', mdcFile);
  const adrgs = read('adrg.json', adrgFile);
  const drgs = read('drg.json', drgFile);
  const mcc = read('mcc.json', codeTable);
  const cc = read('cc.json', codeTable);
  const ccExclusions = read('cc-exclusions.json', codeTable);
  const validProcedures = read('procedures-valid.json', codeList);
  const diagnosisNames = read('diagnosis-names.json', codeTable);
  const procedureNames = read('procedure-names.json', codeTable);
  const diagnosisCodeMap = opts.codeMaps ? read('diagnosis-code-map.json', codeTable) : undefined;
  const procedureCodeMap = opts.codeMaps ? read('procedure-code-map.json', codeTable) : undefined;
  if (problems.length) throw new PackError(problems);
  const data: DrgSchemeData = {
    dir,
    meta: meta!,
    mdcs: mdcs!,
    adrgs: adrgs!,
    drgs: drgs!,
    mcc: mcc!,
    cc: cc!,
    ccExclusions: ccExclusions!,
    validProcedures: validProcedures!,
    diagnosisNames: diagnosisNames!,
    procedureNames: procedureNames!,
    ...(diagnosisCodeMap ? { diagnosisCodeMap } : {}),
    ...(procedureCodeMap ? { procedureCodeMap } : {}),
  };
  checkCoherence(data, problems);
  if (problems.length) throw new PackError(problems);
  return data;
}

const SPLIT_DIGIT: Record<DrgSplit, string> = { MCC: '1', CC: '3', noCC: '5', unsplit: '9' };
const VALIDATION_KINDS = new Set<DrgConditionKind>(['sexMissing', 'noDiagnosis', 'compare']);

function leaves(c: DrgCondition, out: DrgLeaf[] = []): DrgLeaf[] {
  if ('all' in c) for (const x of c.all) leaves(x, out);
  else if ('any' in c) for (const x of c.any) leaves(x, out);
  else if ('not' in c) leaves(c.not, out);
  else out.push(c);
  return out;
}

/** The checks across files: what the grouper relies on (README §1, §4). */
function checkCoherence(d: DrgSchemeData, problems: PackProblem[]): void {
  const p = (file: string, path: string, message: string): void => void problems.push({ file, path, message });
  const { meta } = d;
  const c = meta.counts;
  const sizes: [keyof typeof c, string, number][] = [
    ['mdc', 'mdc.json', d.mdcs.length],
    ['adrg', 'adrg.json', Object.keys(d.adrgs).length],
    ['drg', 'drg.json', Object.keys(d.drgs).length],
    ['cc', 'cc.json', Object.keys(d.cc).length],
    ['mcc', 'mcc.json', Object.keys(d.mcc).length],
    ['ccExclusions', 'cc-exclusions.json', Object.keys(d.ccExclusions).length],
    ['validProcedures', 'procedures-valid.json', new Set(d.validProcedures).size],
    ['diagnosisNames', 'diagnosis-names.json', Object.keys(d.diagnosisNames).length],
    ['procedureNames', 'procedure-names.json', Object.keys(d.procedureNames).length],
  ];
  for (const [key, file, n] of sizes) if (c[key] !== n) p('scheme.json', `counts.${key}`, `says ${c[key]} but ${file} holds ${n}`);

  const statuses = meta.validation.flatMap((v) => ('status' in v ? [v.status] : []));
  if (new Set(statuses).size !== statuses.length) p('scheme.json', 'validation', 'a status appears in two validation rules');
  meta.validation.forEach((v, i) => {
    if ('when' in v) for (const l of leaves(v.when)) if (!VALIDATION_KINDS.has(l.kind)) p('scheme.json', `validation.${i}.when`, `kind ${l.kind} is not a validation condition`);
  });

  if (meta.mdcOrder.join() !== d.mdcs.map((m) => m.code).join()) p('mdc.json', '(root)', `the MDCs are not in scheme.json's mdcOrder (${meta.mdcOrder.join(', ')})`);
  const listedBy = new Map<string, string>();
  d.mdcs.forEach((m, i) => {
    if (m.order !== i + 1) p('mdc.json', `${i}.order`, `is ${m.order}, expected ${i + 1} (its position)`);
    m.adrgs.forEach((a, j) => {
      const def = d.adrgs[a];
      if (listedBy.has(a)) p('mdc.json', `${i}.adrgs.${j}`, `${a} is also listed by ${listedBy.get(a)}`);
      listedBy.set(a, m.code);
      if (!def) return p('mdc.json', `${i}.adrgs.${j}`, `${a} is not in adrg.json`);
      if (def.mdc !== m.code) p('adrg.json', `${a}.mdc`, `is ${def.mdc} but ${m.code} lists it`);
      if (def.order !== j + 1) p('adrg.json', `${a}.order`, `is ${def.order} but it is at position ${j + 1} of ${m.code}`);
      if (def.code[0] !== m.code[3]) p('adrg.json', `${a}.code`, `does not start with the letter of ${m.code}`);
    });
    m.disabledRules.forEach((r, j) => {
      if (r.enabled) p('mdc.json', `${i}.disabledRules.${j}.enabled`, `${r.code} is enabled; the ambiguity groups (xQY) are switched off in CHS-DRG 1.1 and this grouper does not apply them`);
    });
    for (const l of leaves(m.entry)) if (l.kind === 'hasMcc' || l.kind === 'hasCc' || (VALIDATION_KINDS.has(l.kind) && l.kind !== 'compare')) p('mdc.json', `${i}.entry`, `kind ${l.kind} cannot open an MDC`);
  });
  for (const [a, def] of Object.entries(d.adrgs)) {
    if (def.code !== a) p('adrg.json', `${a}.code`, `is ${def.code}, not its key`);
    if (!listedBy.has(a)) p('adrg.json', a, 'no MDC lists this ADRG');
    const seen = new Set<string>();
    def.drgs.forEach((g, j) => {
      const drg = d.drgs[g];
      seen.add(g);
      if (!drg) return p('adrg.json', `${a}.drgs.${j}`, `${g} is not in drg.json`);
      if (drg.adrg !== a) p('drg.json', `${g}.adrg`, `is ${drg.adrg} but ${a} lists it`);
      if (drg.mdc !== def.mdc) p('drg.json', `${g}.mdc`, `is ${drg.mdc}, its ADRG's MDC is ${def.mdc}`);
      if (!g.startsWith(a)) p('drg.json', `${g}.code`, `does not start with its ADRG ${a}`);
      if (drg.order !== j + 1) p('drg.json', `${g}.order`, `is ${drg.order} but it is at position ${j + 1} of ${a}`);
      if (g[3] !== SPLIT_DIGIT[drg.split]) p('drg.json', `${g}.split`, `${drg.split} groups end in ${SPLIT_DIGIT[drg.split]}`);
      if (j === def.drgs.length - 1 && !('kind' in drg.condition && drg.condition.kind === 'always'))
        p('drg.json', `${g}.condition`, `the last DRG of ${a} must be "always", so that every record of the ADRG gets a DRG`);
      for (const l of leaves(drg.condition)) if (l.kind !== 'always' && l.kind !== 'hasMcc' && l.kind !== 'hasCc') p('drg.json', `${g}.condition`, `kind ${l.kind} is not a DRG split condition (hasMcc, hasCc, always)`);
    });
    for (const l of leaves(def.condition)) if (l.kind === 'hasMcc' || l.kind === 'hasCc' || (VALIDATION_KINDS.has(l.kind) && l.kind !== 'compare')) p('adrg.json', `${a}.condition`, `kind ${l.kind} cannot decide an ADRG`);
    if (seen.size !== def.drgs.length) p('adrg.json', `${a}.drgs`, 'lists a DRG twice');
  }
  for (const g of Object.keys(d.drgs)) if (!d.adrgs[d.drgs[g].adrg]?.drgs.includes(g)) p('drg.json', g, `its ADRG ${d.drgs[g].adrg} does not list it`);
  for (const k of Object.keys(d.mcc)) if (k in d.cc) p('mcc.json', k, 'is in cc.json too; a code is a CC or an MCC, not both');
  for (const m of d.mdcs)
    for (const l of leaves(m.entry))
      if (l.kind === 'distinctTraumaRegions') {
        if (Object.keys(l.regions).length > 30) p('mdc.json', `${m.code}.entry`, 'at most 30 trauma regions are supported');
        const regionOf = new Map<string, string>();
        for (const [region, list] of Object.entries(l.regions))
          for (const x of list) {
            if (regionOf.has(x) && regionOf.get(x) !== region) p('mdc.json', `${m.code}.entry`, `${x} is in the trauma regions ${regionOf.get(x)} and ${region}`);
            regionOf.set(x, region);
          }
      }
}
