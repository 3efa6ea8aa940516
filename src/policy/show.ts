/** Human-readable renderings of a resolved pack and of a pack diff, for the CLI. */
import type { PackDiff, ParamSide } from './diff.js';
import type { ResolvedPack, ResolvedParam } from './loader.js';

const valueText = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

function basis(p: { cite?: string; example?: string }): string {
  if (p.cite && p.example) return `依据 ${p.cite}；金额为示例：${p.example}`;
  if (p.cite) return `依据 ${p.cite}`;
  return `示例（非政策）：${p.example ?? ''}`;
}

/** When the pack shown is another region's (a parent's), the sentence saying so; else null. */
export function fallbackNotice(pack: ResolvedPack, region: string, regionName?: string): string | null {
  if (pack.region === region) return null;
  return `区划 ${region}${regionName ? `（${regionName}）` : ''} 在 ${pack.year} 年没有本级政策包；以下为上级 ${pack.id}（${pack.name}）${pack.region === '000000' ? '，即全国基线，多为示例值' : ''}，其答复均会提示这一点。`;
}

/** One block per parameter: key = value, where it was set, and its citation or example mark. */
export function renderPack(pack: ResolvedPack, notice: string | null = null): string {
  const lines = [...(notice ? [`! ${notice}`, ''] : []), `# ${pack.name}  (${pack.id}; resolved through ${pack.chain.join(' → ')})`, ''];
  for (const key of [...pack.params.keys()].sort()) {
    const p = pack.params.get(key) as ResolvedParam;
    lines.push(`${key} = ${valueText(p.value)}${p.bound === 'min' ? (key === 'contribution.average' ? '  (average floor: the standards must average at least this)' : '  (floor)') : ''}`);
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
