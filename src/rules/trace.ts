/** Every computed amount explains itself: the step, its value, and the rule behind it. */
import type { ResolvedParam } from '../policy/loader.js';

export interface TraceStep {
  step: string;
  value: unknown;
  /** what was decided, in the words a clerk reads */
  explain: string;
  param?: string;
  rule?: string;
  pack?: string;
  cite?: string;
  quote?: string;
  /** present when the value is an example, not cited policy */
  example?: string;
  note?: string;
}

/**
 * Collects steps when tracing. Callers build explanations only when `on` (the explanation
 * strings are most of the cost of a quote); with tracing off they call `use` so the
 * example values a result rests on are still reported.
 */
const NO_STEPS: TraceStep[] = [];
Object.freeze(NO_STEPS);

export class Trace {
  readonly steps: TraceStep[];
  private readonly exampleKeys: string[] = [];
  constructor(readonly on: boolean) {
    this.steps = on ? [] : NO_STEPS;
  }

  /** Note that a parameter was used (records it if it is an example value). */
  use(p: ResolvedParam | undefined): void {
    if (p?.example && !this.exampleKeys.includes(p.key)) this.exampleKeys.push(p.key);
  }

  /** The example parameters used, in the order first used (the trace's own list: call once, when done; sort at the edge). */
  examples(): string[] {
    return this.exampleKeys;
  }

  add(step: string, value: unknown, explain: string, p?: ResolvedParam, rule?: string): void {
    this.use(p);
    if (!this.on) return;
    const s: TraceStep = { step, value, explain };
    if (p) {
      s.param = p.key;
      s.pack = p.from;
      if (p.cite) s.cite = p.cite;
      if (p.quote) s.quote = p.quote;
      if (p.example) s.example = p.example;
      if (p.note) s.note = p.note;
    }
    if (rule) s.rule = rule;
    this.steps.push(s);
  }
}
