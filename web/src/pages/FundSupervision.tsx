/**
 * 基金监管 (issue #18 item 4): the fraud-screening hits (GET /api/v1/risk/hits, paged by id on the
 * server), counted per rule and state, each with its rule code, plain-Chinese explanation and the
 * notice's sentence; one hit down to its settlements and fee lines (GET /api/v1/risk/hits/:id);
 * the case's workflow open → reviewed → confirmed / dismissed for the roles allowed
 * (POST /api/v1/risk/hits/:id/moves; confirming recovers through the ledger), the recovery shown.
 */
import { useState } from 'react';
import { Alert, App, Button, Card, Descriptions, Drawer, Input, InputNumber, Select, Space, Table, Tag } from 'antd';
import { api, type SessionUser } from '../api';
import { ENCOUNTER_LABELS } from '../labels';
import { Citation } from '../parts/Citation';
import { useApi } from '../parts/useApi';

interface CitationOf {
  cite: string | null;
  quote: string | null;
  example: string | null;
}

interface Hit {
  id: string;
  rule: string;
  ruleName: string;
  explain: string | null;
  citation: CitationOf | null;
  subject: string;
  coverageYear: number;
  hospitalCode: string | null;
  villageCode: string | null;
  settlementIds: string[];
  amount: number;
  state: string;
  recovered: number;
  recoveryEntry: string | null;
}

interface HitPage {
  cases: Hit[];
  next: string | null;
  summary: { rule: string; state: string; cases: number; amount: number }[];
}

interface HitDetail extends Hit {
  settlements: { settlementId: string; hospitalCode: string; type: string; date: string; visit: string | null; person: { name: string; idNumber: string; villageCode: string }; total: number; basicFund: number; criticalIllness: number; medicalAssistance: number; cash: number; reversed: boolean }[];
  feeLines: { mdtrtId: string; feedetlSn: string; amount: number; cancelled: boolean; named: boolean; line: Record<string, unknown> }[];
  events: { from: string; to: string; actor: string; note: string | null; amount: number | null; at: string }[];
}

const STATES: Record<string, string> = { open: '待审核', reviewed: '已复核', confirmed: '已确认违规', dismissed: '已排除' };
const STATE_COLORS: Record<string, string> = { open: 'blue', reviewed: 'gold', confirmed: 'red', dismissed: 'default' };
const NEXT: Record<string, { to: string; label: string }[]> = { open: [{ to: 'reviewed', label: '复核' }], reviewed: [{ to: 'confirmed', label: '确认违规并追回' }, { to: 'dismissed', label: '排除' }], confirmed: [], dismissed: [] };
const yuan = (v: number | null | undefined) => (v === null || v === undefined ? '—' : v.toFixed(2));
const PAGE = 20;

function cite(c: CitationOf | null) {
  return c ? <Citation cite={c.cite ?? undefined} quote={c.quote ?? undefined} example={c.example ?? undefined} /> : '—';
}

function HitDrawer({ id, region, user, onClose, onMoved }: { id: string; region: string; user: SessionUser; onClose: () => void; onMoved: () => void }) {
  const { message } = App.useApp();
  const d = useApi<HitDetail>(`/api/v1/risk/hits/${id}`, { region });
  const [note, setNote] = useState('');
  const [recover, setRecover] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);
  const mayMove = ['admin', 'policy_officer'].includes(user.role);
  const move = async (to: string) => {
    setBusy(true);
    try {
      await api(`/api/v1/risk/hits/${id}/moves`, { body: { region, to, ...(note ? { note } : {}), ...(to === 'confirmed' && recover !== null ? { recover: recover.toFixed(2) } : {}) } });
      void message.success(`案件 ${id} 已${STATES[to] === '已复核' ? '复核' : STATES[to]}`);
      d.reload();
      onMoved();
    } catch (e) {
      void message.error((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const h = d.data;
  return (
    <Drawer open onClose={onClose} size="large" title={`疑点 ${id}`}>
      {d.error && <Alert type="error" showIcon title={d.error} />}
      {h && (
        <div data-testid="hit-detail">
          <Descriptions size="small" column={1} bordered>
            <Descriptions.Item label="规则">{`${h.rule} ${h.ruleName}`}</Descriptions.Item>
            <Descriptions.Item label="解释">{h.explain ?? '—'}</Descriptions.Item>
            <Descriptions.Item label="政策依据">{cite(h.citation)}</Descriptions.Item>
            <Descriptions.Item label="涉及金额（元）">{yuan(h.amount)}</Descriptions.Item>
            <Descriptions.Item label="状态">
              <Tag color={STATE_COLORS[h.state]} data-testid="hit-state">
                {STATES[h.state] ?? h.state}
              </Tag>
            </Descriptions.Item>
            <Descriptions.Item label="已追回（元）">
              <span data-testid="hit-recovered">{yuan(h.recovered)}</span>
              {h.recoveryEntry ? `（记账凭证 ${h.recoveryEntry}）` : ''}
            </Descriptions.Item>
          </Descriptions>
          {mayMove && NEXT[h.state].length > 0 && (
            <Space className="yb-gap" wrap>
              <Input placeholder="审核意见" value={note} onChange={(e) => setNote(e.target.value)} style={{ width: 240 }} data-testid="hit-note" />
              {h.state === 'reviewed' && (
                <>
                  追回金额（元）
                  <InputNumber min={0} precision={2} value={recover} placeholder={yuan(h.amount)} onChange={(v) => setRecover(v)} data-testid="hit-recover" />
                </>
              )}
              {NEXT[h.state].map((n) => (
                <Button key={n.to} loading={busy} danger={n.to === 'confirmed'} onClick={() => void move(n.to)} data-testid={`hit-move-${n.to}`}>
                  {n.label}
                </Button>
              ))}
            </Space>
          )}
          <h4 className="yb-gap">涉及的结算</h4>
          <Table
            size="small"
            rowKey="settlementId"
            dataSource={h.settlements}
            pagination={false}
            data-testid="hit-settlements"
            columns={[
              { title: '结算号', dataIndex: 'settlementId' },
              { title: '日期', dataIndex: 'date', render: (v: string) => String(v).slice(0, 10) },
              { title: '医院', dataIndex: 'hospitalCode' },
              { title: '类别', dataIndex: 'type', render: (t: string) => ENCOUNTER_LABELS[t as keyof typeof ENCOUNTER_LABELS] ?? t },
              { title: '参保人', render: (_: unknown, s: HitDetail['settlements'][number]) => `${s.person.name} ${s.person.idNumber}` },
              { title: '总费用（元）', dataIndex: 'total', align: 'right', render: yuan },
              { title: '基金支付（元）', align: 'right', render: (_: unknown, s: HitDetail['settlements'][number]) => yuan(Math.round((s.basicFund + s.criticalIllness + s.medicalAssistance) * 100) / 100) },
              { title: '已冲正', dataIndex: 'reversed', render: (r: boolean) => (r ? '是' : '否') },
            ]}
          />
          <h4 className="yb-gap">费用明细{h.feeLines.some((f) => f.named) ? '（规则指出的明细）' : ''}</h4>
          <Table
            size="small"
            rowKey={(f) => `${f.mdtrtId}/${f.feedetlSn}`}
            dataSource={h.feeLines}
            pagination={{ pageSize: 20, showSizeChanger: false }}
            data-testid="hit-fees"
            columns={[
              { title: '就诊号', dataIndex: 'mdtrtId' },
              { title: '明细流水号', dataIndex: 'feedetlSn' },
              { title: '项目', render: (_: unknown, f: HitDetail['feeLines'][number]) => String(f.line.medins_list_name ?? f.line.hilist_name ?? f.line.med_list_codg ?? '—') },
              { title: '数量', render: (_: unknown, f: HitDetail['feeLines'][number]) => String(f.line.cnt ?? '—') },
              { title: '金额（元）', dataIndex: 'amount', align: 'right', render: yuan },
              { title: '已撤销', dataIndex: 'cancelled', render: (c: boolean) => (c ? '是' : '否') },
            ]}
          />
          <h4 className="yb-gap">审核记录</h4>
          <Table
            size="small"
            rowKey="at"
            dataSource={h.events}
            pagination={false}
            data-testid="hit-events"
            columns={[
              { title: '时间', dataIndex: 'at' },
              { title: '经办人', dataIndex: 'actor' },
              { title: '变更', render: (_: unknown, e: HitDetail['events'][number]) => `${STATES[e.from] ?? e.from} → ${STATES[e.to] ?? e.to}` },
              { title: '意见', dataIndex: 'note', render: (n: string | null) => n ?? '—' },
              { title: '追回（元）', dataIndex: 'amount', align: 'right', render: yuan },
            ]}
          />
        </div>
      )}
    </Drawer>
  );
}

export function FundSupervision({ user }: { user: SessionUser }) {
  const [region, setRegion] = useState('500230');
  // the demo town's coverage year (src/sim/seed-demo.ts)
  const [year, setYear] = useState<number>(2022);
  const [rule, setRule] = useState('');
  const [state, setState] = useState('');
  // keyset paging: the ids after which each page starts (the first page starts at nothing)
  const [starts, setStarts] = useState<string[]>(['']);
  const [open, setOpen] = useState<string | null>(null);
  const ok = /^\d{6}$/.test(region);
  const after = starts[starts.length - 1];
  const hits = useApi<HitPage>(ok ? '/api/v1/risk/hits' : null, { region, year, rule, state, after, limit: PAGE });
  const reset = () => setStarts(['']);
  const rules = [...new Set((hits.data?.summary ?? []).map((s) => s.rule))];
  const byRule = rules.map((r) => {
    const lines = (hits.data?.summary ?? []).filter((s) => s.rule === r);
    const per = (st: string) => lines.find((l) => l.state === st)?.cases ?? 0;
    return { rule: r, cases: lines.reduce((a, l) => a + l.cases, 0), amount: Math.round(lines.reduce((a, l) => a + l.amount, 0) * 100) / 100, open: per('open'), reviewed: per('reviewed'), confirmed: per('confirmed'), dismissed: per('dismissed') };
  });
  return (
    <Card>
      <Space className="yb-gap" wrap>
        统筹区
        <Input value={region} onChange={(e) => (setRegion(e.target.value.trim()), reset())} style={{ width: 120 }} data-testid="sup-region" />
        年度
        <InputNumber value={year} min={2000} max={2100} onChange={(v) => v !== null && (setYear(v), reset())} data-testid="sup-year" />
        规则
        <Select value={rule} onChange={(v) => (setRule(v), reset())} style={{ width: 120 }} options={[{ value: '', label: '全部' }, ...rules.map((r) => ({ value: r, label: r }))]} data-testid="sup-rule" />
        状态
        <Select value={state} onChange={(v) => (setState(v), reset())} style={{ width: 140 }} options={[{ value: '', label: '全部' }, ...Object.entries(STATES).map(([value, label]) => ({ value, label }))]} />
      </Space>
      {!ok && <Alert type="error" showIcon title="输入有误：「统筹区」必须是6位行政区划代码" />}
      {hits.error && <Alert type="error" showIcon title={hits.error} data-testid="sup-error" />}
      <h4>按规则汇总</h4>
      <Table
        size="small"
        rowKey="rule"
        dataSource={byRule}
        pagination={false}
        data-testid="sup-summary"
        columns={[
          { title: '规则', dataIndex: 'rule' },
          { title: '疑点数', dataIndex: 'cases', align: 'right' },
          { title: '涉及金额（元）', dataIndex: 'amount', align: 'right', render: yuan },
          { title: '待审核', dataIndex: 'open', align: 'right' },
          { title: '已复核', dataIndex: 'reviewed', align: 'right' },
          { title: '已确认', dataIndex: 'confirmed', align: 'right' },
          { title: '已排除', dataIndex: 'dismissed', align: 'right' },
        ]}
      />
      <h4 className="yb-gap">疑点</h4>
      <Table
        size="small"
        rowKey="id"
        loading={hits.loading}
        dataSource={hits.data?.cases ?? []}
        pagination={false}
        data-testid="sup-hits"
        expandable={{ expandedRowRender: (h: Hit) => <div>{h.explain}{cite(h.citation)}</div> }}
        columns={[
          { title: '编号', dataIndex: 'id' },
          { title: '规则', render: (_: unknown, h: Hit) => `${h.rule} ${h.ruleName}` },
          { title: '对象', dataIndex: 'subject' },
          { title: '医院', dataIndex: 'hospitalCode', render: (v: string | null) => v ?? '—' },
          { title: '涉及金额（元）', dataIndex: 'amount', align: 'right', render: yuan },
          { title: '状态', dataIndex: 'state', render: (s: string) => <Tag color={STATE_COLORS[s]}>{STATES[s] ?? s}</Tag> },
          { title: '已追回（元）', dataIndex: 'recovered', align: 'right', render: yuan },
          {
            title: '操作',
            render: (_: unknown, h: Hit) => (
              <Button size="small" onClick={() => setOpen(h.id)} data-testid={`hit-open-${h.id}`}>
                明细与审核
              </Button>
            ),
          },
        ]}
      />
      <Space className="yb-gap">
        <Button disabled={starts.length <= 1} onClick={() => setStarts(starts.slice(0, -1))}>
          上一页
        </Button>
        <span data-testid="sup-page">第 {starts.length} 页</span>
        <Button disabled={!hits.data?.next} onClick={() => hits.data?.next && setStarts([...starts, hits.data.next])} data-testid="sup-next">
          下一页
        </Button>
      </Space>
      {open && <HitDrawer id={open} region={region} user={user} onClose={() => setOpen(null)} onMoved={hits.reload} />}
    </Card>
  );
}
