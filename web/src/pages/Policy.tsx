/**
 * 政策: the packs; a pack resolved through its parents with each value's citation or example
 * mark; a side-by-side diff of two packs; and a notice with the sentences the packs cite
 * highlighted (a citation elsewhere in the console links here with its sentence).
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { Alert, Card, Empty, Input, Select, Space, Table, Tabs, Tag, Typography } from 'antd';
import { api } from '../api';
import { Citation, documentOfCite } from '../parts/Citation';
import { highlight } from '../parts/highlight';
import { useApi } from '../parts/useApi';
import { useRouter } from '../router';

interface PackRow {
  id: string;
  name: string;
  region: string;
  regionName: string;
  year: number;
  chain: string[];
  file: string;
}

interface Param {
  key: string;
  value: unknown;
  from: string;
  cite?: string;
  quote?: string;
  example?: string;
  note?: string;
}

interface Pack {
  id: string;
  name: string;
  region: string;
  year: number;
  chain: string[];
  params: Param[];
}

interface Side {
  value: unknown;
  cite?: string;
  example?: string;
  pack: string;
}

interface Diff {
  from: string;
  to: string;
  unchanged: number;
  changes: { key: string; change: 'added' | 'removed' | 'value' | 'basis'; from: Side | null; to: Side | null }[];
}

interface Doc {
  number: string;
  title: string;
  issuer: string;
  date: string;
  file: string;
}

const CHANGE_LABELS = { added: '新增', removed: '删除', value: '数值变化', basis: '依据变化（引用 ↔ 示例）' };

export function showValue(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

function ValueCell({ v }: { v: unknown }) {
  const s = showValue(v);
  return s.length > 80 ? <pre className="yb-pre yb-pre-short">{s}</pre> : <span className="yb-num">{s}</span>;
}

function ResolvedPack({ packs, query, setQuery }: { packs: PackRow[]; query: URLSearchParams; setQuery: (q: Record<string, string>) => void }) {
  const id = query.get('pack') ?? packs.find((p) => p.id === '500230/2022')?.id ?? packs[0]?.id;
  const [region, year] = (id ?? '/').split('/');
  const { data, error, loading } = useApi<Pack>(id ? `/api/v1/packs/${region}/${year}` : null);
  const [filter, setFilter] = useState('');
  const rows = (data?.params ?? []).filter((p) => !filter || p.key.includes(filter) || (p.cite ?? '').includes(filter));
  const examples = (data?.params ?? []).filter((p) => p.example).length;
  return (
    <Space orientation="vertical" className="yb-full">
      <Space wrap>
        <Select className="yb-pack-select" value={id} onChange={(v) => setQuery({ tab: 'pack', pack: v })} options={packs.map((p) => ({ value: p.id, label: `${p.id} ${p.name}` }))} data-testid="pack-select" />
        <Input.Search allowClear placeholder="按参数名或文号筛选" onSearch={setFilter} />
        {data && (
          <span className="yb-muted">
            继承链：{data.chain.join(' → ')}；{data.params.length} 个参数，其中示例值 {examples} 个
          </span>
        )}
      </Space>
      {error && <Alert type="error" showIcon title={error} />}
      <Table<Param>
        size="small"
        rowKey="key"
        loading={loading}
        dataSource={rows}
        pagination={{ pageSize: 50 }}
        data-testid="pack-params"
        columns={[
          { title: '参数', dataIndex: 'key', width: 260 },
          { title: '值', dataIndex: 'value', render: (v: unknown) => <ValueCell v={v} /> },
          { title: '来自', dataIndex: 'from', width: 110 },
          { title: '依据', render: (_: unknown, p) => <Citation cite={p.cite} quote={p.quote} example={p.example} /> },
        ]}
      />
    </Space>
  );
}

function PackDiff({ packs, query, setQuery }: { packs: PackRow[]; query: URLSearchParams; setQuery: (q: Record<string, string>) => void }) {
  const from = query.get('from') ?? (packs.some((p) => p.id === '500000/2022') ? '500000/2022' : packs[0]?.id);
  const to = query.get('to') ?? (packs.some((p) => p.id === '500000/2023') ? '500000/2023' : packs[1]?.id);
  const { data, error, loading } = useApi<Diff>(from && to ? '/api/v1/pack-diff' : null, { from, to });
  const side = (s: Side | null) => (s ? <div><ValueCell v={s.value} /><div><Citation cite={s.cite} example={s.example} compact /> <span className="yb-muted">{s.pack}</span></div></div> : <span className="yb-muted">（无）</span>);
  const opts = packs.map((p) => ({ value: p.id, label: `${p.id} ${p.name}` }));
  return (
    <Space orientation="vertical" className="yb-full">
      <Space wrap>
        <Select className="yb-pack-select" value={from} options={opts} onChange={(v) => setQuery({ tab: 'diff', from: v, to: to ?? '' })} data-testid="diff-from" />
        对比
        <Select className="yb-pack-select" value={to} options={opts} onChange={(v) => setQuery({ tab: 'diff', from: from ?? '', to: v })} data-testid="diff-to" />
        {data && <span className="yb-muted">{data.changes.length} 处不同，{data.unchanged} 个参数相同</span>}
      </Space>
      {error && <Alert type="error" showIcon title={error} />}
      <Table
        size="small"
        rowKey="key"
        loading={loading}
        dataSource={data?.changes ?? []}
        pagination={{ pageSize: 20 }}
        data-testid="diff-table"
        columns={[
          { title: '参数', dataIndex: 'key', width: 240 },
          { title: '变化', dataIndex: 'change', width: 120, render: (c: keyof typeof CHANGE_LABELS) => <Tag color={c === 'value' ? 'red' : c === 'basis' ? 'orange' : 'blue'}>{CHANGE_LABELS[c]}</Tag> },
          { title: from, dataIndex: 'from', render: side },
          { title: to, dataIndex: 'to', render: side },
        ]}
      />
    </Space>
  );
}

function Notice({ docs, query, setQuery }: { docs: Doc[]; query: URLSearchParams; setQuery: (q: Record<string, string>) => void }) {
  const number = query.get('doc') ?? docs[0]?.number;
  const wanted = query.get('quote');
  const { data: doc, error } = useApi<Doc & { text: string }>(number ? `/api/v1/documents/${encodeURIComponent(number)}` : null);
  const [cited, setCited] = useState<{ quote: string; keys: string[] }[] | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  const box = useRef<HTMLDivElement>(null);
  // the sentences every pack cites from this notice
  useEffect(() => {
    if (!number) return;
    let stop = false;
    setCited(null);
    (async () => {
      const list = await api<PackRow[]>('/api/v1/packs');
      const packs = await Promise.all(list.map((p) => api<Pack>(`/api/v1/packs/${p.region}/${p.year}`)));
      const byQuote = new Map<string, Set<string>>();
      for (const p of packs)
        for (const x of p.params)
          if (x.cite && x.quote && documentOfCite(x.cite) === number) (byQuote.get(x.quote) ?? byQuote.set(x.quote, new Set()).get(x.quote)!).add(`${x.key}（${x.cite}）`);
      if (!stop) setCited([...byQuote.entries()].map(([quote, keys]) => ({ quote, keys: [...keys] })));
    })().catch((e: Error) => !stop && setFailed(e.message));
    return () => {
      stop = true;
    };
  }, [number]);
  const quotes = useMemo(() => {
    const q = (cited ?? []).map((c) => c.quote);
    if (wanted && !q.includes(wanted)) q.unshift(wanted);
    else if (wanted) q.sort((a, b) => (a === wanted ? -1 : b === wanted ? 1 : 0));
    return q;
  }, [cited, wanted]);
  const marked = useMemo(() => (doc ? highlight(doc.text, quotes) : null), [doc, quotes]);
  useEffect(() => {
    box.current?.querySelector('mark.yb-current')?.scrollIntoView({ block: 'center' });
  }, [marked]);
  const wantedIndex = wanted ? quotes.indexOf(wanted) : -1;
  return (
    <Space orientation="vertical" className="yb-full">
      <Select className="yb-doc-select" value={number} onChange={(v) => setQuery({ tab: 'notice', doc: v })} options={docs.map((d) => ({ value: d.number, label: `${d.number} ${d.title}` }))} data-testid="doc-select" />
      {(error || failed) && <Alert type="error" showIcon title={error ?? failed} />}
      {doc && (
        <Typography.Text type="secondary">
          {doc.issuer} · {doc.date} · 标黄的是政策包引用的句子（{marked?.found.filter(Boolean).length ?? 0} 句）{wanted ? '，橙色为当前引用' : ''}
        </Typography.Text>
      )}
      {wanted && marked && wantedIndex >= 0 && !marked.found[wantedIndex] && <Alert type="warning" showIcon title={`在通知原文中没有找到所引句子：“${wanted}”`} />}
      {marked ? (
        <div className="yb-notice" ref={box} data-testid="notice-text">
          {marked.segments.map((s, i) =>
            s.quote < 0 ? <span key={i}>{s.text}</span> : <mark key={i} className={s.quote === wantedIndex ? 'yb-current' : undefined} title={(cited ?? []).find((c) => c.quote === quotes[s.quote])?.keys.join('\n')}>{s.text}</mark>,
          )}
        </div>
      ) : (
        <Card loading />
      )}
    </Space>
  );
}

export function Policy() {
  const { query, navigate } = useRouter();
  const packs = useApi<PackRow[]>('/api/v1/packs');
  const docs = useApi<Doc[]>('/api/v1/documents');
  const tab = query.get('tab') ?? 'packs';
  const setQuery = (q: Record<string, string>) => navigate(`/policy?${new URLSearchParams(q)}`);
  const list = packs.data ?? [];
  return (
    <Card title="政策包与通知">
      {(packs.error || docs.error) && <Alert type="error" showIcon title={packs.error ?? docs.error} />}
      <Tabs
        activeKey={tab}
        onChange={(k) => setQuery({ tab: k })}
        items={[
          {
            key: 'packs',
            label: '政策包',
            children: (
              <Table<PackRow>
                size="small"
                rowKey="id"
                loading={packs.loading}
                dataSource={list}
                pagination={false}
                data-testid="packs-table"
                onRow={(r) => ({ onClick: () => setQuery({ tab: 'pack', pack: r.id }) })}
                rowClassName={() => 'yb-clickable'}
                columns={[
                  { title: '政策包', dataIndex: 'id' },
                  { title: '名称', dataIndex: 'name' },
                  { title: '统筹区', dataIndex: 'regionName', render: (n: string, r) => `${n}（${r.region}）` },
                  { title: '年度', dataIndex: 'year' },
                  { title: '继承链', dataIndex: 'chain', render: (c: string[]) => c.join(' → ') },
                  { title: '文件', dataIndex: 'file' },
                ]}
              />
            ),
          },
          { key: 'pack', label: '解析结果', children: list.length ? <ResolvedPack packs={list} query={query} setQuery={setQuery} /> : <Empty /> },
          { key: 'diff', label: '年度对比', children: list.length ? <PackDiff packs={list} query={query} setQuery={setQuery} /> : <Empty /> },
          { key: 'notice', label: '通知原文', children: docs.data?.length ? <Notice docs={docs.data} query={query} setQuery={setQuery} /> : <Empty /> },
        ]}
      />
    </Card>
  );
}
