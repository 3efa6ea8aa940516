/**
 * The pack's assistance table, derived once from the compiled pack, in two forms used as
 * yardsticks for the engine: a flat lookup table for a plain loop (the floor), and a JDM
 * decision table for @gorules/zen-engine. Both give, per person, the most favourable
 * assistance of the person's statuses at the person's tier, capped at the standard — the
 * engine's contributionAssistance for an on-time payer, without the rest of the quote.
 */
import { applyRate, parseRate, yuanToFen, type Fen } from '../src/money.js';
import type { CompiledPack, CompiledRule } from '../src/rules/compile.js';
import { tier1Standard } from '../src/rules/contribution.js';
import type { QuoteInput } from '../src/rules/input.js';
import { NEEDY_STATUSES, PERSON_KINDS, type PersonKind, type Tier } from '../src/policy/vocabulary.js';

/** Cell value of a rule that assists the whole standard, whatever it is. */
export const FULL = 0x3fffffff;
const NS = NEEDY_STATUSES.length;
const TIER_INDEX: readonly Tier[] = ['tier1', 'tier2'];

export interface AssistanceTable {
  /** uncapped assistance in fen per (tier, status bit): index tierIdx * NS + bit; FULL for 全额资助; 0 for none */
  cells: Int32Array;
  /** the rule each cell came from, for printing */
  cellRule: (string | null)[];
  /** individual standard in fen per (kind, tier): index kindIdx * 2 + tierIdx */
  standard: Int32Array;
  kindIndex: Map<string, number>;
}

const SUPPORTED_CONDITIONS = new Set(['status', 'tier']);

function amount(cp: CompiledPack, r: CompiledRule<'assistance'>): number {
  const a = r.rule.then.assist;
  if ('full' in a) return FULL;
  if ('yuan' in a) return yuanToFen(a.yuan);
  if (a.of === 'tier1') return applyRate(tier1Standard(cp), parseRate(a.rate));
  throw new Error(`bench table: rule ${r.id} assists a rate of the person's own standard; the flat table does not model it`);
}

/**
 * For each tier and each single status bit: the rules that apply to a person with only
 * that status, minus those an applying rule overrides (exceptionTo), then the largest
 * amount. A person's assistance is then min(max over the person's status bits, standard).
 * This equals the engine's choice as long as no rule matched through one status is
 * overridden by a rule matched only through another — the agreement check would show it.
 */
export function buildAssistanceTable(cp: CompiledPack): AssistanceTable {
  for (const r of cp.rules.assistance)
    for (const key of Object.keys(r.rule.when))
      if (!SUPPORTED_CONDITIONS.has(key)) throw new Error(`bench table: assistance rule ${r.id} has a ${key} condition; the flat table keys only on status and tier`);
  const cells = new Int32Array(2 * NS);
  const cellRule: (string | null)[] = new Array(2 * NS).fill(null);
  for (let t = 0; t < 2; t++)
    for (let bit = 0; bit < NS; bit++) {
      const probe = probeInput(cp, TIER_INDEX[t], bit);
      const hits = cp.rules.assistance.filter((r) => r.matches(probe, { age: 0, periodsCounted: false, groupChecks: null }));
      const kept = hits.filter((r) => !hits.some((o) => o !== r && o.overrides.has(r.id)));
      let best = 0;
      let bestId: string | null = null;
      for (const r of kept) {
        const f = amount(cp, r);
        if (f > best) {
          best = f;
          bestId = r.id;
        }
      }
      cells[t * NS + bit] = best;
      cellRule[t * NS + bit] = bestId;
    }
  const standard = new Int32Array(PERSON_KINDS.length * 2);
  const kindIndex = new Map<string, number>();
  PERSON_KINDS.forEach((k, i) => {
    kindIndex.set(k, i);
    const s = cp.standard[k];
    standard[i * 2] = s.byTier ? s.byTier[0] : s.single!;
    standard[i * 2 + 1] = s.byTier ? s.byTier[1] : s.single!;
  });
  return { cells, cellRule, standard, kindIndex };
}

function probeInput(cp: CompiledPack, tier: Tier, bit: number): QuoteInput {
  return {
    region: cp.pack.region,
    coverageYear: cp.pack.year,
    tier,
    kind: 'adult',
    statusMask: 1 << bit,
    statuses: [NEEDY_STATUSES[bit]],
    birth: cp.coverageStart,
    paid: cp.window.from,
    paidAssumed: false,
    enrolled: null,
    guardianEnrolled: false,
    previousCoverage: null,
    graduationYear: null,
    subsidyClass: null,
    residence: null,
  };
}

/** The floor: one person's assistance by table lookup — the most favourable status, capped at the standard. */
export function floorAssistance(t: AssistanceTable, q: QuoteInput): Fen {
  let m = q.statusMask;
  if (m === 0) return 0;
  const tierIdx = q.tier === 'tier2' ? 1 : 0;
  const base = tierIdx * NS;
  const cells = t.cells;
  let best = 0;
  while (m !== 0) {
    const low = m & -m;
    const a = cells[base + 31 - Math.clz32(low)];
    if (a > best) best = a;
    m ^= low;
  }
  const std = t.standard[t.kindIndex.get(q.kind)! * 2 + tierIdx];
  return best < std ? best : std;
}

/** The standard the floor caps at (the engine's, except for newborns following a guardian). */
export function floorStandard(t: AssistanceTable, q: QuoteInput): Fen {
  return t.standard[t.kindIndex.get(q.kind)! * 2 + (q.tier === 'tier2' ? 1 : 0)];
}

/** Statuses of a mask by name, implied statuses included: what the decision table is given. */
export function maskStatuses(mask: number): string[] {
  const out: string[] = [];
  for (let bit = 0; bit < NS; bit++) if (mask & (1 << bit)) out.push(NEEDY_STATUSES[bit]);
  return out;
}

export interface ZenRow {
  kinds: PersonKind[] | null;
  tier: Tier;
  status: string;
  fen: Fen;
}

/**
 * The same table as a JDM graph: input → decision table → output. One row per
 * (tier, status, capped amount), with the kinds whose standard gives that amount (empty
 * cell when it is every kind); rows ordered by amount, descending, under hit policy
 * "first", so the first row that matches is the most favourable — as the floor's max.
 * A last catch-all row answers 0.
 */
export function buildZenDecision(t: AssistanceTable): { jdm: object; rows: ZenRow[] } {
  const rows: ZenRow[] = [];
  for (let ti = 0; ti < 2; ti++)
    for (let bit = 0; bit < NS; bit++) {
      const cell = t.cells[ti * NS + bit];
      if (cell === 0) continue;
      const byFen = new Map<number, PersonKind[]>();
      PERSON_KINDS.forEach((k, ki) => {
        const std = t.standard[ki * 2 + ti];
        const fen = cell < std ? cell : std;
        if (fen === 0) return;
        const list = byFen.get(fen) ?? [];
        list.push(k);
        byFen.set(fen, list);
      });
      for (const [fen, kinds] of byFen)
        rows.push({ kinds: kinds.length === PERSON_KINDS.length ? null : kinds, tier: TIER_INDEX[ti], status: NEEDY_STATUSES[bit], fen });
    }
  rows.sort((a, b) => b.fen - a.fen);
  const q = (s: string): string => JSON.stringify(s);
  const rules = rows.map((r, i) => ({
    _id: `r${i + 1}`,
    cKind: r.kinds ? r.kinds.map(q).join(', ') : '',
    cTier: q(r.tier),
    cStatus: `${q(r.status)} in $`,
    oFen: String(r.fen),
  }));
  rules.push({ _id: 'r0', cKind: '', cTier: '', cStatus: '', oFen: '0' });
  const position = { x: 0, y: 0 };
  const jdm = {
    nodes: [
      { id: 'request', type: 'inputNode', name: 'Request', position },
      {
        id: 'assistance',
        type: 'decisionTableNode',
        name: '分类资助',
        position,
        content: {
          hitPolicy: 'first',
          inputs: [
            { id: 'cKind', name: 'Kind', field: 'kind' },
            { id: 'cTier', name: 'Tier', field: 'tier' },
            { id: 'cStatus', name: 'Statuses', field: 'statuses' },
          ],
          outputs: [{ id: 'oFen', name: 'Assistance (fen)', field: 'assistance' }],
          rules,
        },
      },
      { id: 'response', type: 'outputNode', name: 'Response', position },
    ],
    edges: [
      { id: 'e1', sourceId: 'request', targetId: 'assistance', type: 'edge' },
      { id: 'e2', sourceId: 'assistance', targetId: 'response', type: 'edge' },
    ],
  };
  return { jdm, rows };
}
