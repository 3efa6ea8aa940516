/** Human-readable renderings of a resolved pack and of a pack diff, for the CLI. */
import type { PackDiff, ParamSide } from './diff.js';
import type { ResolvedPack, ResolvedParam } from './loader.js';

const valueText = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

function basis(p: { cite?: string; example?: string }): string {
  if (p.cite && p.example) return `依据 ${p.cite}；金额为示例：${p.example}`;
  if (p.cite) return `依据 ${p.cite}`;
  return `示例（非政策）：${p.example ?? ''}`;
}

/** One block per parameter: key = value, where it was set, and its citation or example mark. */
export function renderPack(pack: ResolvedPack): string {
  const lines = [`# ${pack.name}  (${pack.id}; resolved through ${pack.chain.join(' → ')})`, ''];
  for (const key of [...pack.params.keys()].sort()) {
    const p = pack.params.get(key) as ResolvedParam;
    lines.push(`${key} = ${valueText(p.value)}`);
    lines.push(`    from ${p.from}${p.from === pack.id ? '' : ' (inherited)'} · ${basis(p)}`);
    if (p.quote) lines.push(`    「${p.quote}」`);
    if (p.note) lines.push(`    note: ${p.note}`);
  }
  const examples = [...pack.params.values()].filter((p) => p.example).length;
  lines.push('', `${pack.params.size} parameters, ${examples} of them example values (not policy).`);
  return lines.join('\n');
}

const sideText = (s: ParamSide | null): string => (s ? `${valueText(s.value)}  [${s.pack}; ${basis(s)}]` : '—');

export function renderDiff(d: PackDiff): string {
  const mark = { added: '+', removed: '-', value: '~', basis: '≈' } as const;
  const lines = [`# ${d.from} → ${d.to}: ${d.changes.length} changed, ${d.unchanged} unchanged`, ''];
  for (const c of d.changes) {
    lines.push(`${mark[c.change]} ${c.key}  (${c.change === 'basis' ? 'same value, different basis' : c.change})`);
    if (c.from) lines.push(`    ${d.from}: ${sideText(c.from)}`);
    if (c.to) lines.push(`    ${d.to}: ${sideText(c.to)}`);
  }
  return lines.join('\n');
}
