/**
 * What differs between two resolved packs (e.g. Chongqing 2022 vs 2023): each parameter
 * added, removed, or changed in value or in its basis (citation ↔ example). Pure.
 */
import type { ResolvedPack, ResolvedParam } from './loader.js';

export type ChangeKind = 'added' | 'removed' | 'value' | 'basis';

export interface ParamSide {
  value: unknown;
  cite?: string;
  example?: string;
  pack: string;
}

export interface ParamChange {
  key: string;
  change: ChangeKind;
  from: ParamSide | null;
  to: ParamSide | null;
}

export interface PackDiff {
  from: string;
  to: string;
  changes: ParamChange[];
  unchanged: number;
}

const side = (p: ResolvedParam): ParamSide => ({
  value: p.value,
  ...(p.cite ? { cite: p.cite } : {}),
  ...(p.example ? { example: p.example } : {}),
  pack: p.from,
});

/** Stable JSON (object keys sorted) so that equal values compare equal. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

export function diffPacks(a: ResolvedPack, b: ResolvedPack): PackDiff {
  const keys = [...new Set([...a.params.keys(), ...b.params.keys()])].sort();
  const changes: ParamChange[] = [];
  let unchanged = 0;
  for (const key of keys) {
    const pa = a.params.get(key);
    const pb = b.params.get(key);
    if (!pa && pb) changes.push({ key, change: 'added', from: null, to: side(pb) });
    else if (pa && !pb) changes.push({ key, change: 'removed', from: side(pa), to: null });
    else if (pa && pb) {
      if (canonical(pa.value) !== canonical(pb.value)) changes.push({ key, change: 'value', from: side(pa), to: side(pb) });
      else if (Boolean(pa.example) !== Boolean(pb.example) || (pa.cite ?? '') !== (pb.cite ?? ''))
        changes.push({ key, change: 'basis', from: side(pa), to: side(pb) });
      else unchanged++;
    }
  }
  return { from: a.id, to: b.id, changes, unchanged };
}
