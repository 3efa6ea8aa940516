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

/** Collects steps when tracing; a no-op (and no allocation) when not. */
export class Trace {
  readonly steps: TraceStep[] = [];
  readonly examples = new Set<string>();
  constructor(readonly on: boolean) {}

  add(step: string, value: unknown, explain: string, p?: ResolvedParam, rule?: string): void {
    if (p?.example) this.examples.add(p.key);
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
