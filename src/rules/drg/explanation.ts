/**
 * Why a record got its group, step by step: which validation ran, which MDCs it entered (the
 * entry condition and the code that opened it) and which it left again, which list or
 * condition matched the ADRG, and which MCC / CC decided the split and which secondary
 * diagnoses the exclusion table removed, with the Chinese names of the dictionaries.
 *
 * Grouping with explanations records what the explanation needs — a copy of the record's codes,
 * ages and weight, and where the grouping ended (the validation rule, or the MDC, ADRG and DRG)
 * — and the steps with their texts are built when first read (`steps`, or JSON.stringify, which
 * calls toJSON), once: a caller that keeps or filters results pays for the texts of those it
 * reads only. Grouping itself (group.ts) builds no string.
 */
import { DX_MDCS, PX_MDCS, type CompiledAdrg, type CompiledCondition, type CompiledDrgScheme, type CompiledLeaf, type CompiledMdc, type DrgFacts } from '../../policy/drg-compile.js';
import { complicationReport, firstDrg, type Complication, type ComplicationReport } from './drg-split.js';
import { factsOf, newFacts, type DrgRecord, type DrgResult } from './record.js';

/** A code the explanation points at, with its name (null: not in the dictionary). */
export interface DrgCodeRef {
  code: string;
  name: string | null;
  /** position in `diagnoses` / `procedures` (0 = the main one); undefined (left out of JSON) when none */
  position: number | undefined;
}

/** One condition that decided a step. */
export interface DrgReason {
  /** the condition kind (README §5) */
  condition: string;
  held: boolean;
  explain: string;
  /** the codes that decided it; undefined (left out of JSON) when none */
  codes: DrgCodeRef[] | undefined;
  /** the procedure group of a combined-surgery rule (JA1, JA2, NA1), else undefined */
  label: string | undefined;
}

export type DrgStepKind = 'validation' | 'sex' | 'mdc' | 'adrg' | 'drg' | 'ungroupable';
export type DrgStepOutcome = 'passed' | 'failed' | 'normalised' | 'entered' | 'not_entered' | 'fell_through' | 'matched' | 'ungroupable';

export interface DrgStep {
  step: DrgStepKind;
  /** the validation status, MDC, ADRG or DRG the step is about */
  code: string | null;
  name: string | null;
  outcome: DrgStepOutcome;
  explain: string;
  /** where the rule is in the scheme's data */
  rule: string;
  because: DrgReason[];
  /** mdc / adrg step: the ADRGs the index offered before (or, when the MDC was left, instead of) this one, and why each failed */
  tried: { code: string; name: string; because: DrgReason[] }[] | undefined;
  /** drg step: the secondary diagnoses that count, and those the exclusion table removed */
  complications: ComplicationReport | undefined;
}

/** The steps of one grouping. Some steps (passed validation, MDCA without a procedure) are shared, frozen objects: copy before changing. */
export interface DrgExplanation {
  readonly scheme: string;
  readonly steps: DrgStep[];
}

const schemeNames = new WeakMap<CompiledDrgScheme, string>();
function schemeName(s: CompiledDrgScheme): string {
  let n = schemeNames.get(s);
  if (n === undefined) schemeNames.set(s, (n = `${s.name} (data version ${s.version})`));
  return n;
}

const NO_CODES: readonly string[] = Object.freeze([]);
const copy = (xs: readonly string[] | undefined): readonly string[] => (xs === undefined || xs.length === 0 ? NO_CODES : xs.slice());

/**
 * An explanation recorded at grouping (see the module comment): the record's fields the steps
 * read, copied (a caller may reuse its record), and the result; `steps` built on first read.
 */
export class RecordedExplanation implements DrgExplanation {
  readonly scheme: string;
  readonly #s: CompiledDrgScheme;
  readonly #r: DrgRecord;
  readonly #result: DrgResult;
  #steps: DrgStep[] | null = null;

  constructor(s: CompiledDrgScheme, r: DrgRecord, result: DrgResult) {
    this.scheme = schemeName(s);
    this.#s = s;
    this.#r = { sex: r.sex, ageYears: r.ageYears, ageDays: r.ageDays, birthWeightGrams: r.birthWeightGrams, diagnoses: copy(r.diagnoses), procedures: copy(r.procedures) };
    this.#result = result;
  }

  get steps(): DrgStep[] {
    return (this.#steps ??= explainSteps(this.#s, this.#r, this.#result));
  }

  toJSON(): { scheme: string; steps: DrgStep[] } {
    return { scheme: this.scheme, steps: this.steps };
  }
}

const SEX_WORDS: Record<string, string> = { '1': 'male', '2': 'female' };

/** The complications that count as MCC. */
function mccOf(rep: ComplicationReport): Complication[] {
  const out: Complication[] = [];
  for (let i = 0; i < rep.counted.length; i++) if (rep.counted[i].list === 'MCC') out.push(rep.counted[i]);
  return out;
}

class Explainer {
  constructor(
    private readonly s: CompiledDrgScheme,
    private readonly r: DrgRecord,
    private readonly f: DrgFacts,
  ) {}

  private report: ComplicationReport | null = null;

  /** The record's complications (computed once). */
  complications(): ComplicationReport {
    return (this.report ??= complicationReport(this.s, this.f.diagnoses));
  }

  private mainName: string | null | undefined = undefined;

  dx(code: string, position?: number): DrgCodeRef {
    if (code === this.f.main) return { code, name: (this.mainName ??= this.s.index.diagnosisName(code)), position };
    return { code, name: this.s.index.diagnosisName(code), position };
  }
  px(code: string, position?: number): DrgCodeRef {
    return { code, name: this.s.index.procedureName(code), position };
  }
  static text(c: DrgCodeRef): string {
    return c.name ? `${c.code} ${c.name}` : `${c.code} (not in the dictionary)`;
  }

  /** The reasons a condition held (every part) or failed (the first failing part); `held` when already known. */
  reasons(n: CompiledCondition, out: DrgReason[] = [], held: boolean = n.test(this.f)): DrgReason[] {
    if (n.op === 'leaf') out.push(this.leaf(n, held));
    else if (n.op === 'not') {
      const inner = this.reasons(n.of, [], !held);
      out.push(reason('not', held, `not (${joined(inner)})`, undefined, undefined));
    } else if (n.op === 'all') {
      if (held) for (const c of n.of) this.reasons(c, out, true);
      else this.reasons(firstWith(n.of, this.f, false), out, false);
    } else if (held) this.reasons(firstWith(n.of, this.f, true), out, true);
    else for (const c of n.of) this.reasons(c, out, false);
    return out;
  }

  private leaf(n: CompiledLeaf, held: boolean): DrgReason {
    const f = this.f;
    const kind = n.kind;
    const label = n.label ?? undefined;
    const set = n.set;
    const size = set ? listSize(set) : '';
    switch (kind) {
      case 'always':
        return reason(kind, held, 'always holds (the catch-all)', undefined, label);
      case 'mainDiagnosisIn': {
        const c = this.dx(f.main, 0);
        return reason(kind, held, `main diagnosis ${Explainer.text(c)} is ${held ? '' : 'not '}in ${size}`, [c], label);
      }
      case 'anyDiagnosisIn': {
        const i = indexIn(f.diagnoses, set!);
        if (i < 0) return reason(kind, held, `no diagnosis is in ${size}`, undefined, label);
        const c = this.dx(f.diagnoses[i], i);
        return reason(kind, held, `${i === 0 ? 'main' : `secondary (position ${i})`} diagnosis ${Explainer.text(c)} is in ${size}`, [c], label);
      }
      case 'mainProcedureIn':
      case 'mainProcedureValid': {
        const valid = kind === 'mainProcedureValid';
        if (f.mainProcedure === '') return reason(kind, held, `there is no main procedure (one ${valid ? 'that is a valid procedure' : `in ${size}`} is needed)`, undefined, label);
        const c = this.px(f.mainProcedure, 0);
        return reason(kind, held, `main procedure ${Explainer.text(c)} is ${held ? '' : 'not '}${valid ? 'a valid procedure (procedures-valid.json)' : `in ${size}`}`, [c], label);
      }
      case 'anyProcedureIn': {
        const group = n.label === null ? '' : `procedure group ${n.label}: `;
        const i = indexIn(f.procedures, set!);
        if (i < 0) return reason(kind, held, `${group}no procedure is in ${size}`, undefined, label);
        const c = this.px(f.procedures[i], i);
        return reason(kind, held, `${group}${i === 0 ? 'main' : `other (position ${i})`} procedure ${Explainer.text(c)} is in ${size}`, [c], label);
      }
      case 'anyProcedureValid':
      case 'noValidProcedure': {
        const i = indexIn(f.procedures, set!);
        if (i < 0) return reason(kind, held, f.procedures.length ? `none of the ${f.procedures.length} procedures is a valid procedure (procedures-valid.json)` : 'there is no procedure', undefined, label);
        const c = this.px(f.procedures[i], i);
        return reason(kind, held, `procedure ${Explainer.text(c)} (position ${i}) is a valid procedure (procedures-valid.json)`, [c], label);
      }
      case 'sex':
        return reason(kind, held, `sex is "${f.sex}"${held ? '' : `, not "${n.equals}"`} (${SEX_WORDS[n.equals!] ?? n.equals} needed)`, undefined, label);
      case 'compare': {
        const field = n.field!;
        const raw = field === 'ageYears' ? this.r.ageYears : field === 'ageDays' ? this.r.ageDays : this.r.birthWeightGrams;
        const value = field === 'ageYears' ? f.ageYears : field === 'ageDays' ? f.ageDays : f.birthWeightGrams;
        return reason(kind, held, `${field} ${value}${raw === null || raw === undefined ? ' (missing: counts as 0)' : ''} ${n.cmp} ${n.value} ${held ? 'holds' : 'does not hold'}`, undefined, label);
      }
      case 'distinctTraumaRegions': {
        const seen = new Map<number, DrgCodeRef>();
        f.diagnoses.forEach((d, i) => {
          const k = n.regions!.get(d);
          if (k !== undefined && !seen.has(k)) seen.set(k, this.dx(d, i));
        });
        let list = '';
        for (const [k, c] of seen) list += `${list ? ', ' : ': '}${n.regionNames[k]} (${Explainer.text(c)})`;
        return reason(kind, held, `the diagnoses touch ${seen.size} trauma region${seen.size === 1 ? '' : 's'} (at least ${n.value} needed)${list}`, [...seen.values()], label);
      }
      case 'hasMcc':
      case 'hasCc': {
        const list = kind === 'hasMcc' ? 'MCC' : 'CC';
        const counted = this.complications().counted;
        const refs: DrgCodeRef[] = [];
        let text = '';
        for (let i = 0; i < counted.length; i++) {
          const c = counted[i];
          if (c.list !== list) continue;
          const ref = this.dx(c.code, c.position);
          text += `${refs.length ? ', ' : ''}${Explainer.text(ref)}`;
          refs.push(ref);
        }
        if (!refs.length) return reason(kind, held, `no secondary diagnosis counts as ${list === 'MCC' ? 'an MCC' : 'a CC'}`, undefined, label);
        return reason(kind, held, `${list === 'MCC' ? 'an MCC' : 'a CC'} among the secondary diagnoses: ${text}`, refs, label);
      }
      case 'sexMissing':
        return reason(kind, held, held ? 'sex is missing (null, absent or "")' : `sex is given ("${f.sex}")`, undefined, label);
      case 'noDiagnosis':
        return reason(kind, held, held ? 'no diagnosis is given' : `${f.diagnoses.length} diagnos${f.diagnoses.length === 1 ? 'is' : 'es'} given`, undefined, label);
    }
  }

  private complicationNames(xs: readonly Complication[]): string {
    let t = '';
    for (let i = 0; i < xs.length; i++) {
      const c = xs[i];
      t += `${i ? ', ' : ''}${Explainer.text(this.dx(c.code))} (${c.list}, secondary ${c.position})`;
    }
    return t;
  }

  splitText(split: string, rep: ComplicationReport, a: CompiledAdrg): string {
    switch (split) {
      case 'unsplit':
        return 'the ADRG is not split by complications';
      case 'MCC':
        return `split by a major complication (MCC): ${this.complicationNames(mccOf(rep))}`;
      case 'CC': {
        const mcc = mccOf(rep);
        return mcc.length && !rep.hasCc ? `split by a complication: the MCC ${this.complicationNames(mcc)} counts as a CC here` : `split by a complication (CC): ${this.complicationNames(rep.counted)}`;
      }
      default: {
        if (rep.counted.length === 0) return 'no MCC or CC counts among the secondary diagnoses';
        let cc = false;
        for (let i = 0; i < a.drgs.length; i++) if (a.drgs[i].split === 'CC') cc = true;
        const only = cc ? '' : ' (this ADRG splits on an MCC only)';
        return `${this.complicationNames(rep.counted)} count${rep.counted.length === 1 ? 's' : ''}, but not for a higher group of this ADRG${only}`;
      }
    }
  }}

/** A reason, every field present (one shape for all reasons). */
function reason(condition: string, held: boolean, explain: string, codes: DrgCodeRef[] | undefined, label: string | undefined): DrgReason {
  return { condition, held, explain, codes, label };
}

/** The first part of a condition whose test gives `held` (one exists: the caller knows the whole's value). */
function firstWith(of: readonly CompiledCondition[], f: DrgFacts, held: boolean): CompiledCondition {
  for (let i = 0; i < of.length; i++) if (of[i].test(f) === held) return of[i];
  throw new Error('no part of the condition gives its value');
}

/** The position of the first code of `codes` in `set`, or -1. */
function indexIn(codes: readonly string[], set: ReadonlySet<string>): number {
  for (let i = 0; i < codes.length; i++) if (set.has(codes[i])) return i;
  return -1;
}

/** A step, every field present (one shape for all steps). */
function step(
  kind: DrgStepKind,
  code: string | null,
  name: string | null,
  outcome: DrgStepOutcome,
  explain: string,
  rule: string,
  because: DrgReason[],
  tried?: DrgStep['tried'],
  complications?: ComplicationReport,
): DrgStep {
  return { step: kind, code, name, outcome, explain, rule, because, tried, complications };
}

/** Record the explanation of how `r` was grouped into `result` (group.ts calls this after grouping); its steps are built when read. */
export function explainGrouping(s: CompiledDrgScheme, r: DrgRecord, result: DrgResult): DrgExplanation {
  return new RecordedExplanation(s, r, result);
}

/** The steps of how `r` was grouped into `result`. */
export function explainSteps(s: CompiledDrgScheme, r: DrgRecord, result: DrgResult): DrgStep[] {
  const f = factsOf(r, newFacts());
  const e = new Explainer(s, r, f);
  const steps: DrgStep[] = [];
  // validation: the rules in order, up to the first that holds (one step, naming the rules, when all pass)
  for (let i = 0; i < s.validation.length; i++) {
    const v = s.validation[i];
    if (!v.when.test(f)) continue;
    const because: DrgReason[] = [];
    for (let j = 0; j < i; j++) e.reasons(s.validation[j].when, because, false);
    const explain = `validation failed: ${v.message} (${v.status})${i ? `, after ${i} rule${i === 1 ? '' : 's'} passed` : ''}`;
    steps.push(step('validation', v.status, v.message, 'failed', explain, `scheme.json validation[${i}]`, e.reasons(v.when, because, true)));
    return steps;
  }
  steps.push(passedValidation(s));
  const to = s.sexWords.get(f.sex);
  if (to !== undefined) {
    steps.push(step('sex', to, null, 'normalised', `sex "${f.sex}" is read as "${to}"`, 'scheme.json validation (normalise sex)', []));
    f.sex = to;
  }
  // the MDCs the main diagnosis's index run offers and, in each, the ADRGs by main diagnosis and
  // by main procedure, read from the index runs as group.ts locate reads them
  const ix = s.index;
  const dg = ix.dxGroups;
  const pg = ix.pxGroups;
  let q0 = ix.px[ix.procedure(f.mainProcedure) + PX_MDCS];
  const pn = pg[q0++];
  let p = ix.dx[ix.diagnosis(f.main) + DX_MDCS];
  const offered = dg[p++];
  for (let g = 0; g < offered; g++) {
    const k = dg[p];
    const count = dg[p + 1];
    const byMain = p + 2;
    p = byMain + count;
    const m = s.mdcs[k];
    const enters = m.rest(f); // the index offered this MDC: its main-diagnosis list holds the code
    const entry = e.reasons(m.entry, [], enters);
    if (!enters) {
      steps.push(notEntered(m, entry, f.mainProcedure === '' && m.entry.op === 'leaf' && (m.entry.kind === 'mainProcedureValid' || m.entry.kind === 'mainProcedureIn')));
      continue;
    }
    // the ADRGs the index offers, in order (as group.ts walks them), up to the one that holds
    let q = q0;
    let qn = 0;
    for (let h = 0; h < pn; h++) {
      if (pg[q] === k) {
        qn = pg[q + 1];
        break;
      }
      q += 2 + pg[q + 1];
    }
    const order = qn ? mergeAscending(dg, byMain, count, pg, q + 2, qn) : dg.subarray(byMain, byMain + count);
    let at = -1;
    for (let i = 0; i < order.length; i++)
      if (m.adrgs[order[i]].rest(f)) {
        at = i;
        break;
      }
    const end = at < 0 ? order.length : at;
    const tried: NonNullable<DrgStep['tried']> = [];
    let triedCodes = '';
    for (let i = 0; i < end; i++) {
      const x = m.adrgs[order[i]];
      tried.push({ code: x.code, name: x.name, because: e.reasons(x.condition, [], false) });
      triedCodes += i ? `, ${x.code}` : x.code;
    }
    const triedText = end ? ` (tried before, not met: ${triedCodes})` : '';
    if (at < 0) {
      const explain = `${m.code} ${m.name} is entered (${joined(entry)}), but none of its ADRGs matches${triedText}${notOffered(m, order)}: on to the next MDC`;
      steps.push(step('mdc', m.code, m.name, 'fell_through', explain, `mdc.json ${m.code}.entry, README §4 step 2`, entry, tried));
      continue;
    }
    const a = m.adrgs[order[at]];
    steps.push(step('mdc', m.code, m.name, 'entered', `${m.code} ${m.name}: ${joined(entry)}`, `mdc.json ${m.code}.entry`, entry));
    const why = e.reasons(a.condition, [], true);
    steps.push(step('adrg', a.code, a.name, 'matched', `${a.code} ${a.name}: ${joined(why)}${triedText}`, `adrg.json ${a.code}.condition`, why, tried));
    const drg = firstDrg(a, f);
    const rep = e.complications();
    let excluded = '';
    if (rep.excluded.length) {
      excluded = `; the exclusion table ${rep.exclusionTable} of the main diagnosis ${Explainer.text(e.dx(rep.main))} removes `;
      for (let i = 0; i < rep.excluded.length; i++) {
        const c = rep.excluded[i];
        excluded += `${i ? ', ' : ''}${Explainer.text(e.dx(c.code))} (${c.list}, secondary ${c.position})`;
      }
    }
    const explain = `${drg.code} ${drg.name}: ${e.splitText(drg.split, rep, a)}${excluded}`;
    steps.push(step('drg', drg.code, drg.name, 'matched', explain, `drg.json ${drg.code}.condition, README §4.1`, e.reasons(drg.condition, [], true), undefined, rep));
    return steps;
  }
  const inList = offered > dg[ix.dx[ix.unknownDx + DX_MDCS]];
  const explain = `no MDC gives an ADRG${inList ? '' : `; the main diagnosis ${Explainer.text(e.dx(f.main))} is in no MDC's entry list`} (${result.status})`;
  steps.push(step('ungroupable', null, null, 'ungroupable', explain, 'README §4 step 5', []));
  return steps;
}

/**
 * The ADRGs of an MDC the index did not offer (their main-diagnosis or main-procedure list, which
 * they cannot do without, holds neither of the record's codes), for a fall-through's text.
 */
function notOffered(m: CompiledMdc, offered: ArrayLike<number>): string {
  const adrgs = m.adrgs;
  if (offered.length === adrgs.length) return '';
  // `offered` is ascending: walk both once, no Set, no arrays
  let byMain = '';
  let nMain = 0;
  let byProcedure = '';
  let nProcedure = 0;
  for (let i = 0, j = 0; i < adrgs.length; i++) {
    if (j < offered.length && offered[j] === i) {
      j++;
      continue;
    }
    const a = adrgs[i];
    if (a.key === 'main') byMain += `${nMain++ ? ', ' : ''}${a.code}`;
    else if (a.key === 'procedure') byProcedure += `${nProcedure++ ? ', ' : ''}${a.code}`;
  }
  const need = (codes: string, n: number, what: string): string => `${codes} need${n === 1 ? 's' : ''} a ${what} from ${n === 1 ? 'its list' : 'their lists'}`;
  let t = '';
  if (nMain) t += `; ${need(byMain, nMain, 'main diagnosis')}`;
  if (nProcedure) t += `; ${need(byProcedure, nProcedure, 'main procedure')}`;
  return t;
}

function failed(rs: DrgReason[]): string {
  const x: DrgReason[] = [];
  for (let i = 0; i < rs.length; i++) if (!rs[i].held) x.push(rs[i]);
  return joined(x.length ? x : rs);
}

/** The reasons' texts, "; " between them. */
function joined(rs: readonly DrgReason[]): string {
  let t = rs.length ? rs[0].explain : '';
  for (let i = 1; i < rs.length; i++) t += `; ${rs[i].explain}`;
  return t;
}

const passed = new WeakMap<CompiledDrgScheme, DrgStep>();

/** The step of a record that passes every validation rule (the same for every such record). */
function passedValidation(s: CompiledDrgScheme): DrgStep {
  let p = passed.get(s);
  if (!p) {
    const explain = `passed the ${s.validation.length} validation rules (${s.validation.map((v) => `${v.status}: ${v.message}`).join('; ')}: none applies)`;
    p = step('validation', null, null, 'passed', explain, `scheme.json validation[0–${s.validation.length - 1}]`, []);
    Object.freeze(p.because);
    passed.set(s, Object.freeze(p));
  }
  return p;
}

const notEnteredSteps = new WeakMap<CompiledMdc, DrgStep>();

const notEnteredStep = (m: CompiledMdc, entry: DrgReason[]): DrgStep => step('mdc', m.code, m.name, 'not_entered', `${m.code} ${m.name} is not entered: ${failed(entry)}`, `mdc.json ${m.code}.entry`, entry);

/**
 * The step of an MDC not entered. When its entry is one main-procedure leaf and the record has
 * no procedure (`shared`: MDCA for every record without one), the step is the same for every such record.
 */
function notEntered(m: CompiledMdc, entry: DrgReason[], shared: boolean): DrgStep {
  if (!shared) return notEnteredStep(m, entry);
  let st = notEnteredSteps.get(m);
  if (!st) {
    st = notEnteredStep(m, entry);
    Object.freeze(st.because);
    notEnteredSteps.set(m, Object.freeze(st));
  }
  return st;
}

/** The positions `na` in `a` from `ia` and `nb` in `b` from `ib`, both ascending, merged ascending. */
function mergeAscending(a: Int32Array, ia: number, na: number, b: Int32Array, ib: number, nb: number): number[] {
  const out: number[] = [];
  const ea = ia + na;
  const eb = ib + nb;
  while (ia < ea || ib < eb) out.push(ib >= eb || (ia < ea && a[ia] < b[ib]) ? a[ia++] : b[ib++]);
  return out;
}

const sizes = new WeakMap<ReadonlySet<string>, string>();
/** "the list of 253 codes", once per list */
function listSize(set: ReadonlySet<string>): string {
  let t = sizes.get(set);
  if (t === undefined) sizes.set(set, (t = `the list of ${set.size} codes`));
  return t;
}
