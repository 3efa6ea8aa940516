/**
 * Room src/policy/ — the policy packs: schema, loading with citations, conflicts, diff, rendering.
 * May import: the base modules (errors, money, dates) only.
 *
 * Loads policy packs from `policies/`: validates each file, resolves a pack through its
 * parents (national → province → county, or an explicit region/year), checks every
 * citation against the notice it names, and refuses rule conflicts.
 */
import { readdirSync, readFileSync, existsSync, statSync } from 'node:fs';
import { join, relative, resolve as resolvePath, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { documentOf, normalizeText } from './citation.js';
import { PackError, type PackProblem } from './errors.js';
import { familyOf, packFileSchema, RULE_GROUPS, type PackFile, type RuleGroup, type Rule } from './schema.js';
import { findConflicts, type Interval } from './conflicts.js';
import { parseDay } from '../dates.js';
import { parseRate, yuanToFen } from '../money.js';
import { STATUS_GROUPS } from './vocabulary.js';

export const DEFAULT_POLICY_DIR = resolvePath(dirname(fileURLToPath(import.meta.url)), '../../policies');

export interface SourceDocument {
  number: string;
  title: string;
  issuer: string;
  date: string;
  file: string;
  /** whitespace-free text, for checking quoted sentences */
  text: string;
}

export interface Region {
  code: string;
  name: string;
}

export interface ResolvedParam {
  key: string;
  value: unknown;
  cite?: string;
  quote?: string;
  example?: string;
  note?: string;
  bound?: 'min' | 'exact';
  /** the pack that set it, "500230/2022" */
  from: string;
}

export interface ResolvedPack {
  id: string;
  region: string;
  year: number;
  name: string;
  /** the packs this one was resolved through, nearest first */
  chain: string[];
  params: Map<string, ResolvedParam>;
  rules: { [G in RuleGroup]: Map<string, Rule<G> & { param: ResolvedParam }> };
}

interface LoadedFile {
  file: string;
  data: PackFile;
}

export class PolicyLibrary {
  readonly documents = new Map<string, SourceDocument>();
  readonly regions = new Map<string, Region>();
  private readonly files = new Map<string, LoadedFile>();
  private readonly resolved = new Map<string, ResolvedPack>();

  private constructor(readonly dir: string) {}

  /** Load and validate every pack under `dir`; throws PackError listing every problem. */
  static load(dir: string = DEFAULT_POLICY_DIR): PolicyLibrary {
    const lib = new PolicyLibrary(dir);
    const problems: PackProblem[] = [];
    lib.loadDocuments(problems);
    lib.loadRegions(problems);
    for (const file of listPackFiles(dir)) lib.loadFile(file, problems);
    if (problems.length === 0)
      for (const id of lib.files.keys()) {
        try {
          lib.resolve(id);
        } catch (e) {
          if (e instanceof PackError) problems.push(...e.problems);
          else throw e;
        }
      }
    if (problems.length) throw new PackError(problems);
    return lib;
  }

  packIds(): string[] {
    return [...this.files.keys()].sort();
  }

  hasPack(id: string): boolean {
    return this.files.has(id);
  }

  years(): number[] {
    return [...new Set([...this.files.values()].map((f) => f.data.year))].sort();
  }

  /** The pack id that governs a region in a year: its own, or its nearest ancestor's. */
  packIdFor(region: string, year: number): string | null {
    for (const code of ancestorsOf(region)) if (this.files.has(`${code}/${year}`)) return `${code}/${year}`;
    return null;
  }

  /** A region's pack for a year, resolved through its parents. */
  packFor(region: string, year: number): ResolvedPack | null {
    const id = this.packIdFor(region, year);
    return id ? this.resolve(id) : null;
  }

  resolve(id: string): ResolvedPack {
    const cached = this.resolved.get(id);
    if (cached) return cached;
    const own = this.files.get(id);
    if (!own) throw new PackError([{ file: id, path: '', message: 'no such pack' }]);
    const problems: PackProblem[] = [];
    const chain = [id];
    const params = new Map<string, ResolvedParam>();
    let parent: ResolvedPack | null = null;
    const parentId = this.parentIdOf(own.data);
    if (parentId) {
      if (!this.files.has(parentId))
        problems.push({ file: own.file, path: 'extends', message: `parent pack ${parentId} does not exist` });
      else if (parentId === id) problems.push({ file: own.file, path: 'extends', message: 'a pack cannot extend itself' });
      else {
        parent = this.resolve(parentId);
        chain.push(...parent.chain);
        for (const [k, v] of parent.params) params.set(k, v);
      }
    }
    for (const [key, p] of Object.entries(own.data.params)) {
      if (p.value === null) {
        params.delete(key); // an explicit null removes an inherited parameter (e.g. a rule that no longer applies)
        continue;
      }
      params.set(key, { key, value: p.value, cite: p.cite, quote: p.quote, example: p.example, note: p.note, bound: p.bound, from: id });
    }
    // A pack extending another year must restate every year-specific value.
    if (parent && parent.year !== own.data.year)
      for (const [key, p] of params)
        if (p.from !== id && familyOf(key)?.yearly)
          problems.push({
            file: own.file,
            path: `params.${key}`,
            message: `inherited from ${p.from} (another coverage year); a year-specific value must be restated for ${own.data.year}, with its citation or an example mark`,
          });
    const rules = {} as ResolvedPack['rules'];
    for (const g of Object.keys(RULE_GROUPS) as RuleGroup[]) rules[g] = new Map();
    for (const [key, p] of params) {
      const m = /^rules\.(\w+)\.(\w+)$/.exec(key);
      if (!m) continue;
      const g = m[1] as RuleGroup;
      const parsed = RULE_GROUPS[g].safeParse(p.value);
      if (!parsed.success) {
        for (const issue of parsed.error.issues)
          problems.push({ file: this.fileOf(p.from), path: `params.${key}.value${fmtPath(issue.path)}`, message: issue.message });
        continue;
      }
      (rules[g] as Map<string, unknown>).set(m[2], { ...parsed.data, param: p });
    }
    const windowParam = params.get('enrollment.window')?.value as { from: string; to: string } | undefined;
    const window: Interval | null = windowParam ? { lo: parseDay(windowParam.from), hi: parseDay(windowParam.to) } : null;
    for (const g of Object.keys(rules) as RuleGroup[]) {
      const group = rules[g] as Map<string, Rule>;
      for (const [rid, r] of group)
        for (const ex of r.exceptionTo ?? [])
          if (!group.has(ex))
            problems.push({ file: this.fileOf((r as unknown as { param: ResolvedParam }).param.from), path: `params.rules.${g}.${rid}.value.exceptionTo`, message: `names rule "${ex}", which group ${g} of ${id} does not have` });
      for (const [a, b] of findConflicts(group, window, own.data.year, g === 'assistance', groupStatuses(params)))
        problems.push({
          file: own.file,
          path: `params.rules.${g}`,
          message: `rules "${a}" and "${b}" can both apply to the same case with different outcomes, and neither is declared the exception (exceptionTo) of the other`,
        });
    }
    problems.push(...checkGroupsAndShares(params, (from) => this.fileOf(from)));
    // Subsidy splits must add up to the per-capita subsidy.
    const perCapita = params.get('fiscalSubsidy.perCapita');
    for (const [key, p] of params) {
      if (!key.startsWith('fiscalSubsidy.split.') || !perCapita) continue;
      const sum = (p.value as { amount: number | string }[]).reduce((s, l) => s + toFen(l.amount), 0);
      if (sum !== toFen(perCapita.value as number))
        problems.push({ file: this.fileOf(p.from), path: `params.${key}`, message: `shares add up to ${sum / 100} yuan, not the per-capita subsidy ${toFen(perCapita.value as number) / 100}` });
    }
    if (problems.length) throw new PackError(problems);
    const pack: ResolvedPack = { id, region: own.data.region, year: own.data.year, name: own.data.name, chain, params, rules };
    this.resolved.set(id, pack);
    return pack;
  }

  /** The file a pack id was loaded from, relative to the policy folder. */
  fileOf(id: string): string {
    return this.files.get(id)?.file ?? id;
  }

  raw(id: string): PackFile | undefined {
    return this.files.get(id)?.data;
  }

  private parentIdOf(p: PackFile): string | null {
    if (p.extends) return p.extends.includes('/') ? p.extends : `${p.extends}/${p.year}`;
    if (p.region === '000000') return null;
    for (const code of ancestorsOf(p.region).slice(1)) if (this.files.has(`${code}/${p.year}`)) return `${code}/${p.year}`;
    return null;
  }

  private loadDocuments(problems: PackProblem[]): void {
    const indexFile = join(this.dir, 'sources', 'index.yaml');
    const schema = z.array(
      z.object({ number: z.string(), title: z.string(), issuer: z.string(), date: z.string(), file: z.string() }).strict(),
    );
    const parsed = schema.safeParse(readYaml(indexFile, problems, this.dir));
    if (!parsed.success) {
      for (const i of parsed.error.issues) problems.push({ file: relative(this.dir, indexFile), path: fmtPath(i.path), message: i.message });
      return;
    }
    for (const d of parsed.data) {
      const path = join(this.dir, 'sources', d.file);
      if (!existsSync(path)) {
        problems.push({ file: 'sources/index.yaml', path: d.number, message: `text file ${d.file} is missing` });
        continue;
      }
      this.documents.set(d.number, { ...d, text: normalizeText(readFileSync(path, 'utf8')) });
    }
  }

  private loadRegions(problems: PackProblem[]): void {
    const file = join(this.dir, 'regions.yaml');
    const schema = z.record(z.string().regex(/^\d{6}$/), z.string());
    const parsed = schema.safeParse(readYaml(file, problems, this.dir));
    if (!parsed.success) {
      for (const i of parsed.error.issues) problems.push({ file: 'regions.yaml', path: fmtPath(i.path), message: i.message });
      return;
    }
    for (const [code, name] of Object.entries(parsed.data)) this.regions.set(code, { code, name });
  }

  private loadFile(path: string, problems: PackProblem[]): void {
    const file = relative(this.dir, path);
    const raw = readYaml(path, problems, this.dir);
    if (raw === undefined) return;
    const parsed = packFileSchema.safeParse(raw);
    if (!parsed.success) {
      for (const i of parsed.error.issues) problems.push({ file, path: fmtPath(i.path), message: i.message });
      return;
    }
    const data = parsed.data;
    const expected = `${data.region}/${data.year}.yaml`;
    if (!file.replaceAll('\\', '/').endsWith(expected))
      problems.push({ file, path: 'region', message: `a pack for ${data.region}/${data.year} must live at ${expected}` });
    if (!this.regions.has(data.region))
      problems.push({ file, path: 'region', message: `region ${data.region} is not in regions.yaml` });
    for (const d of data.documents)
      if (!this.documents.has(d)) problems.push({ file, path: 'documents', message: `document ${d} is not in sources/index.yaml` });
    for (const [key, p] of Object.entries(data.params)) {
      const at = `params.${key}`;
      const family = familyOf(key);
      if (!family) {
        problems.push({ file, path: at, message: 'unknown parameter (see src/policy/schema.ts for the parameter families)' });
        continue;
      }
      if (p.value === null) continue;
      if (!p.cite && !p.example)
        problems.push({ file, path: at, message: 'has neither a citation (cite) nor an example mark (example: why this value)' });
      if (p.cite) {
        const docNo = documentOf(p.cite);
        const doc = docNo ? this.documents.get(docNo) : undefined;
        if (!doc) problems.push({ file, path: `${at}.cite`, message: `"${p.cite}" does not name a document in sources/index.yaml` });
        else if (!data.documents.includes(docNo!)) problems.push({ file, path: `${at}.cite`, message: `cites ${docNo}, which the pack's documents do not list (a pack cites only the notices that apply to its area)` });
        else if (!p.quote) problems.push({ file, path: `${at}.quote`, message: 'a cited value needs the sentence it comes from (quote)' });
        else if (!doc.text.includes(normalizeText(p.quote)))
          problems.push({ file, path: `${at}.quote`, message: `the quoted sentence is not in ${docNo} (${doc.file})` });
      }
      const checked = family.schema.safeParse(p.value);
      if (!checked.success)
        for (const i of checked.error.issues) problems.push({ file, path: `${at}.value${fmtPath(i.path)}`, message: i.message });
    }
    const id = `${data.region}/${data.year}`;
    if (this.files.has(id)) problems.push({ file, path: 'region', message: `pack ${id} is defined twice` });
    this.files.set(id, { file, data });
  }
}

/** A region code and the codes above it: 500230 → 500200 → 500000 → 000000. */
export function ancestorsOf(region: string): string[] {
  const out = [region];
  if (region.slice(4) !== '00') out.push(`${region.slice(0, 4)}00`);
  if (region.slice(2) !== '0000') out.push(`${region.slice(0, 2)}0000`);
  if (region !== '000000') out.push('000000');
  return [...new Set(out)];
}

/** The statuses of each derived group the pack defines (groups.<name>). */
export function groupStatuses(params: Map<string, ResolvedParam>): Map<string, readonly string[]> {
  const out = new Map<string, readonly string[]>();
  for (const [key, p] of params) if (key.startsWith('groups.')) out.set(key.slice('groups.'.length), (p.value as { statuses: string[] }).statuses);
  return out;
}

/**
 * A group a rule or benefit names must be defined by the pack (groups.<name>: its statuses, its
 * residence); population shares add up to 100%; a subsidy class's kinds name a class that exists.
 */
function checkGroupsAndShares(params: Map<string, ResolvedParam>, fileOf: (from: string) => string): PackProblem[] {
  const problems: PackProblem[] = [];
  const groups = new Set(Object.keys(STATUS_GROUPS));
  const named = (key: string, p: ResolvedParam, list: unknown): void => {
    for (const s of Array.isArray(list) ? list : [])
      if (groups.has(s as string) && !params.has(`groups.${s as string}`))
        problems.push({ file: fileOf(p.from), path: `params.${key}`, message: `names the group ${s as string}, which the pack does not define: add groups.${s as string} (its statuses and residence, cited or marked example)` });
  };
  for (const [key, p] of params) {
    const v = p.value as Record<string, unknown>;
    if (key.startsWith('rules.')) named(key, p, (v.when as { status?: unknown } | undefined)?.status);
    else if (key === 'benefits.criticalIllness.preferentialStatuses') named(key, p, p.value);
    else if (key === 'benefits.medicalAssistance.classes') for (const c of p.value as { status: unknown }[]) named(key, p, c.status);
    if (key === 'population.shares' || key === 'population.tierShares') {
      const rates = Object.values(v).map((r) => parseRate(r as string | number));
      if (!addsUpToOne(rates))
        problems.push({ file: fileOf(p.from), path: `params.${key}`, message: `shares add up to ${rates.map((r) => r.text).join(' + ')}, not 100%` });
    }
    if (key.startsWith('fiscalSubsidy.classKinds.')) {
      const cls = key.slice('fiscalSubsidy.classKinds.'.length);
      if (!params.has(`fiscalSubsidy.split.${cls}`))
        problems.push({ file: fileOf(p.from), path: `params.${key}`, message: `names subsidy class ${cls}, which has no fiscalSubsidy.split.${cls}` });
    }
  }
  return problems;
}

/** Whether exact rates add up to exactly 1 (100%). */
function addsUpToOne(rates: { num: number; den: number }[]): boolean {
  let num = 0n;
  let den = 1n;
  for (const r of rates) {
    num = num * BigInt(r.den) + BigInt(r.num) * den;
    den *= BigInt(r.den);
  }
  return num === den;
}

function toFen(v: number | string): number {
  return yuanToFen(v);
}

function fmtPath(path: PropertyKey[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
}

function readYaml(path: string, problems: PackProblem[], dir: string): unknown {
  const file = relative(dir, path);
  if (!existsSync(path)) {
    problems.push({ file, path: '', message: 'file is missing' });
    return undefined;
  }
  try {
    return parseYaml(readFileSync(path, 'utf8'));
  } catch (e) {
    problems.push({ file, path: '', message: `not valid YAML: ${(e as Error).message.split('\n')[0]}` });
    return undefined;
  }
}

function listPackFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    if (!/^\d{6}$/.test(entry)) continue;
    const sub = join(dir, entry);
    if (!statSync(sub).isDirectory()) continue;
    for (const f of readdirSync(sub)) if (/^\d{4}\.yaml$/.test(f)) out.push(join(sub, f));
  }
  return out.sort();
}
