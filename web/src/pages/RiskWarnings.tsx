/**
 * 风险预警 (issue #18 items 1–3): the high-burden warnings per village, paged on the server
 * (GET /api/v1/risk/warnings), each with burden, threshold, statuses and the rule cited, down to
 * the person's settled encounters (GET /api/v1/risk/warnings/:id); the needy persons not covered
 * with their reasons (GET /api/v1/risk/coverage-gaps); and 依申请救助: the applications, applying
 * (from a warning or not) and the medical-assistance role's decision.
 */
import { useState } from 'react';
import { Alert, App, Button, Card, Drawer, Form, Input, InputNumber, Modal, Select, Space, Table, Tabs, Tag } from 'antd';
import { api, type SessionUser } from '../api';
import { ENCOUNTER_LABELS, STATUS_LABELS } from '../labels';
import { Citation } from '../parts/Citation';
import { useApi } from '../parts/useApi';

interface CitationOf {
  rule?: string;
  cite: string | null;
  quote: string | null;
  example: string | null;
}

interface Warning {
  id: string;
  personId: string;
  name: string;
  idNumber: string;
  villageCode: string;
  villageName: string;
  coverageYear: number;
  basis: string;
  ruleLabel: string;
  basisLabel: string;
  periodFrom: string;
  periodTo: string;
  burden: number;
  threshold: number;
  needy: boolean;
  statuses: { code: string; label: string }[];
  encounters: number;
  foundBy: string;
  explanation: { text: string; citation: CitationOf; share: string; pack: string } | null;
}

interface WarningPage {
  villages: { villageCode: string; villageName: string; warnings: Warning[] }[];
  total: number;
  /** the rule's bases by name, from the API */
  bases: { code: string; label: string }[];
}

interface WarningDetail {
  warning: Warning;
  encounters: { settlementId: string; encounterId: string; hospitalCode: string; type: string; date: string; total: number; basicFund: number; criticalIllness: number; medicalAssistance: number; cash: number }[];
}

interface Gap {
  personId: string;
  name: string;
  idNumber: string;
  villageCode: string;
  villageName: string;
  statuses: string[];
  enrollmentState: string | null;
  reason: string;
  text: string;
  cite: string;
  quote: string;
}

interface Application {
  id: string;
  personId: string;
  person?: { name: string; idNumber: string; villageCode: string };
  coverageYear: number;
  warningId: string | null;
  reason: string;
  state: string;
  requested: number | null;
  approved: number | null;
  decision: unknown;
  referrals: { code: string; name: string }[];
}

const APP_STATES: Record<string, string> = { open: '待审批', approved: '已批准', rejected: '不予救助' };
const yuan = (v: number | null | undefined) => (v === null || v === undefined ? '—' : v.toFixed(2));
const PAGE = 20;

function WarningList({ year, user, onApply }: { year: number; user: SessionUser; onApply: (w: Warning) => void }) {
  const [basis, setBasis] = useState<string>('');
  const [village, setVillage] = useState('');
  const [page, setPage] = useState(1);
  const [open, setOpen] = useState<string | null>(null);
  const ok = village === '' || /^\d{6}(\d{3}(\d{3})?)?$/.test(village);
  const list = useApi<WarningPage>(ok ? '/api/v1/risk/warnings' : null, { year, basis, village, offset: (page - 1) * PAGE, limit: PAGE });
  const detail = useApi<WarningDetail>(open ? `/api/v1/risk/warnings/${open}` : null);
  const rows = (list.data?.villages ?? []).flatMap((v) => v.warnings);
  const canApply = ['admin', 'clerk', 'medical_assistance'].includes(user.role);
  return (
    <>
      <Space className="yb-gap" wrap>
        口径
        <Select value={basis} onChange={(v) => (setBasis(v), setPage(1))} style={{ width: 140 }} data-testid="warn-basis" options={[{ value: '', label: '全部' }, ...(list.data?.bases ?? []).map((b) => ({ value: b.code, label: b.label }))]} />
        区域代码
        <Input value={village} placeholder="县/乡镇/村代码" onChange={(e) => (setVillage(e.target.value.trim()), setPage(1))} style={{ width: 180 }} data-testid="warn-village" />
        <Tag data-testid="warn-total">预警 {list.data?.total ?? '—'} 条</Tag>
      </Space>
      {!ok && <Alert type="error" showIcon title="输入有误：「村」必须是县（6位）、乡镇（9位）或村（12位）代码" />}
      {list.error && <Alert type="error" showIcon title={list.error} data-testid="warn-error" />}
      <Table
        size="small"
        rowKey="id"
        loading={list.loading}
        dataSource={rows}
        data-testid="warn-table"
        pagination={{ current: page, pageSize: PAGE, total: list.data?.total ?? 0, showSizeChanger: false, onChange: setPage }}
        columns={[
          { title: '村', render: (_: unknown, w: Warning) => `${w.villageName}（${w.villageCode}）` },
          { title: '参保人', render: (_: unknown, w: Warning) => `${w.name} ${w.idNumber}` },
          { title: '口径', dataIndex: 'basisLabel', render: (b: string, w: Warning) => `${b}（${w.periodFrom} 至 ${w.periodTo}）` },
          { title: '个人负担（元）', dataIndex: 'burden', align: 'right', render: yuan },
          { title: '预警线（元）', dataIndex: 'threshold', align: 'right', render: yuan },
          { title: '身份', render: (_: unknown, w: Warning) => (w.statuses.length ? w.statuses.map((s) => <Tag key={s.code}>{s.label}</Tag>) : '一般参保人') },
          { title: '就诊次数', dataIndex: 'encounters', align: 'right' },
          { title: '依据', render: (_: unknown, w: Warning) => (w.explanation ? <Citation cite={w.explanation.citation.cite ?? undefined} quote={w.explanation.citation.quote ?? undefined} example={w.explanation.citation.example ?? undefined} compact /> : '—') },
          {
            title: '操作',
            render: (_: unknown, w: Warning) => (
              <Space>
                <Button size="small" onClick={() => setOpen(w.id)} data-testid={`warn-open-${w.id}`}>
                  就诊明细
                </Button>
                {canApply && (
                  <Button size="small" onClick={() => onApply(w)}>
                    申请救助
                  </Button>
                )}
              </Space>
            ),
          },
        ]}
      />
      <Drawer open={!!open} onClose={() => setOpen(null)} size="large" title="预警详情：预警期间的已结算就诊">
        {detail.error && <Alert type="error" showIcon title={detail.error} />}
        {detail.data && (
          <div data-testid="warn-detail">
            <p>
              {detail.data.warning.name} {detail.data.warning.idNumber}，{detail.data.warning.villageName}
            </p>
            <p data-testid="warn-rule">
              <Tag color="volcano">{detail.data.warning.ruleLabel}（{detail.data.warning.basisLabel}）</Tag>
              {detail.data.warning.explanation?.citation.cite && <span>依据：{detail.data.warning.explanation.citation.cite}</span>}
            </p>
            <p>{detail.data.warning.explanation?.text}</p>
            {detail.data.warning.explanation && (
              <Citation cite={detail.data.warning.explanation.citation.cite ?? undefined} quote={detail.data.warning.explanation.citation.quote ?? undefined} example={detail.data.warning.explanation.citation.example ?? undefined} />
            )}
            <Table
              className="yb-gap"
              size="small"
              rowKey="settlementId"
              dataSource={detail.data.encounters}
              pagination={false}
              data-testid="warn-encounters"
              columns={[
                { title: '日期', dataIndex: 'date' },
                { title: '医院', dataIndex: 'hospitalCode' },
                { title: '类别', dataIndex: 'type', render: (t: string) => ENCOUNTER_LABELS[t as keyof typeof ENCOUNTER_LABELS] ?? t },
                { title: '总费用（元）', dataIndex: 'total', align: 'right', render: yuan },
                { title: '基本医保（元）', dataIndex: 'basicFund', align: 'right', render: yuan },
                { title: '大病保险（元）', dataIndex: 'criticalIllness', align: 'right', render: yuan },
                { title: '医疗救助（元）', dataIndex: 'medicalAssistance', align: 'right', render: yuan },
                { title: '个人负担（元）', dataIndex: 'cash', align: 'right', render: yuan },
              ]}
            />
          </div>
        )}
      </Drawer>
    </>
  );
}

function GapList({ year }: { year: number }) {
  const [page, setPage] = useState(1);
  const gaps = useApi<{ total: number; byReason: Record<string, number>; gaps: Gap[] }>('/api/v1/risk/coverage-gaps', { year, offset: (page - 1) * PAGE, limit: PAGE });
  return (
    <>
      {gaps.error && <Alert type="error" showIcon title={gaps.error} />}
      <Space className="yb-gap" wrap data-testid="gap-total">
        <Tag>共 {gaps.data?.total ?? '—'} 人</Tag>
      </Space>
      <Table
        size="small"
        rowKey="personId"
        loading={gaps.loading}
        dataSource={gaps.data?.gaps ?? []}
        data-testid="gap-table"
        pagination={{ current: page, pageSize: PAGE, total: gaps.data?.total ?? 0, showSizeChanger: false, onChange: setPage }}
        columns={[
          { title: '村', render: (_: unknown, g: Gap) => `${g.villageName}（${g.villageCode}）` },
          { title: '参保人', render: (_: unknown, g: Gap) => `${g.name} ${g.idNumber}` },
          { title: '身份', dataIndex: 'statuses', render: (s: string[]) => s.map((x) => <Tag key={x}>{STATUS_LABELS[x as keyof typeof STATUS_LABELS] ?? x}</Tag>) },
          { title: '原因', dataIndex: 'text' },
          { title: '依据', render: (_: unknown, g: Gap) => <Citation cite={g.cite} quote={g.quote} compact /> },
        ]}
      />
    </>
  );
}

function Applications({ year, user, draft, onDraft }: { year: number; user: SessionUser; draft: Partial<{ personId: string; warningId: string; requested: number }> | null; onDraft: (d: Partial<{ personId: string; warningId: string; requested: number }> | null) => void }) {
  const { message } = App.useApp();
  const [state, setState] = useState('');
  const list = useApi<{ applications: Application[] }>('/api/v1/assistance/applications', { year, state, limit: 200 });
  const [deciding, setDeciding] = useState<Application | null>(null);
  const canDecide = ['admin', 'medical_assistance'].includes(user.role);
  const apply = async (v: { personId: string; requested: number; reason: string; warningId?: string; document?: string }) => {
    try {
      await api('/api/v1/assistance/applications', {
        body: { personId: String(v.personId ?? ''), coverageYear: year, requested: v.requested === undefined || v.requested === null ? undefined : v.requested.toFixed(2), reason: v.reason ?? '', ...(v.warningId ? { warningId: String(v.warningId) } : {}), ...(v.document ? { documents: [{ name: v.document }] } : {}) },
      });
      void message.success('申请已提交');
      onDraft(null);
      list.reload();
    } catch (e) {
      void message.error((e as Error).message);
    }
  };
  const decide = async (v: { approve: boolean; reason: string }) => {
    if (!deciding) return;
    try {
      await api(`/api/v1/assistance/applications/${deciding.id}/decision`, { body: { approve: v.approve, reason: v.reason ?? '' } });
      void message.success(v.approve ? '已批准，救助金已记账' : '已决定不予救助');
      setDeciding(null);
      list.reload();
    } catch (e) {
      void message.error((e as Error).message);
    }
  };
  return (
    <>
      <Space className="yb-gap">
        状态
        <Select value={state} onChange={setState} style={{ width: 140 }} options={[{ value: '', label: '全部' }, ...Object.entries(APP_STATES).map(([value, label]) => ({ value, label }))]} />
        <Button type="primary" onClick={() => onDraft({})} data-testid="apply-new">
          新的救助申请
        </Button>
      </Space>
      {list.error && <Alert type="error" showIcon title={list.error} />}
      <Table
        size="small"
        rowKey="id"
        loading={list.loading}
        dataSource={list.data?.applications ?? []}
        data-testid="apply-table"
        pagination={{ pageSize: PAGE, showSizeChanger: false }}
        columns={[
          { title: '编号', dataIndex: 'id' },
          { title: '参保人', render: (_: unknown, a: Application) => (a.person ? `${a.person.name} ${a.person.idNumber}` : a.personId) },
          { title: '理由', dataIndex: 'reason' },
          { title: '申请金额（元）', dataIndex: 'requested', align: 'right', render: yuan },
          { title: '批准金额（元）', dataIndex: 'approved', align: 'right', render: yuan },
          { title: '状态', dataIndex: 'state', render: (s: string) => <Tag color={s === 'approved' ? 'green' : s === 'rejected' ? 'red' : 'blue'}>{APP_STATES[s] ?? s}</Tag> },
          { title: '转介', dataIndex: 'referrals', render: (r: Application['referrals']) => r.map((x) => <Tag key={x.code}>{x.name}</Tag>) },
          {
            title: '操作',
            render: (_: unknown, a: Application) =>
              canDecide && a.state === 'open' ? (
                <Button size="small" onClick={() => setDeciding(a)} data-testid={`apply-decide-${a.id}`}>
                  审批
                </Button>
              ) : null,
          },
        ]}
      />
      <Modal open={draft !== null} title="依申请救助" onCancel={() => onDraft(null)} footer={null} destroyOnHidden>
        {draft !== null && (
          <Form layout="vertical" onFinish={apply} initialValues={draft} data-testid="apply-form">
            <Form.Item name="personId" label="参保人编号">
              <Input />
            </Form.Item>
            <Form.Item name="warningId" label="预警编号（可不填）">
              <Input />
            </Form.Item>
            <Form.Item name="requested" label="申请救助金额（元，经三重制度后的政策范围内负担）">
              <InputNumber min={0} precision={2} style={{ width: '100%' }} />
            </Form.Item>
            <Form.Item name="reason" label="理由">
              <Input.TextArea rows={2} />
            </Form.Item>
            <Form.Item name="document" label="材料名称（可不填）">
              <Input />
            </Form.Item>
            <Button type="primary" htmlType="submit" data-testid="apply-submit">
              提交申请
            </Button>
          </Form>
        )}
      </Modal>
      <Modal open={!!deciding} title={`审批申请 ${deciding?.id ?? ''}`} onCancel={() => setDeciding(null)} footer={null} destroyOnHidden>
        {deciding && (
          <Form layout="vertical" onFinish={decide} initialValues={{ approve: true }} data-testid="decide-form">
            <Form.Item name="approve" label="审批结论">
              <Select options={[{ value: true, label: '批准（在年度救助限额内支付）' }, { value: false, label: '不予救助' }]} />
            </Form.Item>
            <Form.Item name="reason" label="理由">
              <Input.TextArea rows={2} />
            </Form.Item>
            <Button type="primary" htmlType="submit" data-testid="decide-submit">
              确定
            </Button>
          </Form>
        )}
      </Modal>
    </>
  );
}

export function RiskWarnings({ user }: { user: SessionUser }) {
  // the demo town's coverage year (src/sim/seed-demo.ts)
  const [year, setYear] = useState<number>(2022);
  const [tab, setTab] = useState('warnings');
  const [draft, setDraft] = useState<Partial<{ personId: string; warningId: string; requested: number }> | null>(null);
  const applyFor = (w: Warning) => {
    setDraft({ personId: w.personId, warningId: w.id, requested: w.burden });
    setTab('applications');
  };
  return (
    <Card>
      <Space className="yb-gap">
        年度
        <InputNumber value={year} min={2000} max={2100} onChange={(v) => v !== null && setYear(v)} data-testid="risk-year" />
      </Space>
      <Tabs
        activeKey={tab}
        onChange={setTab}
        items={[
          { key: 'warnings', label: '高额费用负担预警', children: <WarningList year={year} user={user} onApply={applyFor} /> },
          { key: 'gaps', label: '应保未保、应资未资', children: <GapList year={year} /> },
          ...(['admin', 'clerk', 'medical_assistance'].includes(user.role) ? [{ key: 'applications', label: '依申请救助', children: <Applications year={year} user={user} draft={draft} onDraft={setDraft} /> }] : []),
        ]}
      />
    </Card>
  );
}
