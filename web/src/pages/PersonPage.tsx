/**
 * One person: the register record, needy statuses and their sources, the household, each
 * year's enrollment and payment with the benefit period, the contribution quote with its trace
 * as the notice's articles, settlements and accumulators (for roles that read settlements), and
 * the history of changes.
 */
import { useState } from 'react';
import { Alert, Button, Card, Descriptions, Empty, Select, Space, Table, Tabs, Tag } from 'antd';
import type { SessionUser } from '../api';
import { ACCUMULATOR_LABELS, CHANNEL_LABELS, ENCOUNTER_LABELS, ENROLLMENT_STATES, GENDER_LABELS, KIND_LABELS, SOURCE_LABELS, STATUS_LABELS, SUBSIDY_LEVEL_LABELS, TIER_LABELS, label, yuan } from '../labels';
import { may } from '../pages';
import { Trace, type TraceStep } from '../parts/Trace';
import { useApi } from '../parts/useApi';
import { Link } from '../router';
import type { PersonRow } from './Persons';

interface Status {
  id: string;
  status: string;
  source: string;
  validFrom: string;
  validTo: string | null;
  reference: string | null;
}

interface Person {
  id: string;
  idNumber: string;
  name: string;
  gender: string;
  birthDate: string;
  householdId: string | null;
  villageCode: string;
  villageName: string;
  region: string;
  kind: string;
  kindLabel: string;
  graduationYear: number | null;
  houseNo: string | null;
  address: string | null;
  version: number;
  createdAt: string;
  updatedAt: string;
  statuses: Status[];
}

export interface Enrollment {
  id: string;
  personId: string;
  idNumber: string;
  name: string;
  villageCode: string;
  villageName: string;
  coverageYear: number;
  region: string;
  pack: string;
  tier: string | null;
  state: string;
  standardYuan: number;
  assistanceYuan: number | null;
  dueYuan: number | null;
  subsidyBorneByPersonYuan: number | null;
  fiscalSubsidyYuan: number | null;
  benefitPeriod: { start: string; end: string } | null;
  waitingDays: number | null;
  refusal: { code: string; message: string } | null;
  blockReason: string | null;
  paidYuan: number;
  paidOn: string | null;
  version: number;
}

interface EnrollmentDetail extends Enrollment {
  quote: {
    accepted?: boolean;
    standardContribution?: number;
    contributionAssistance?: number | null;
    individualDue?: number | null;
    fiscalSubsidy?: { total: number; shares: { level: string; amount: number }[] } | null;
    examplesUsed?: string[];
    trace?: TraceStep[];
    matchesRecord: boolean;
  };
}

interface HistoryRow {
  id: string;
  entity: string;
  entityId: string;
  changedAt: string;
  changedBy: string;
  before: unknown;
  after: unknown;
}

export interface SettlementSummary {
  id: string;
  encounterId: string;
  personId: string;
  person: { name: string; idNumber: string };
  hospitalCode: string;
  coverageYear: number;
  encounterDate: string;
  encounterType: string;
  total: number;
  basicFund: number;
  criticalIllness: number;
  medicalAssistance: number;
  fundTotal: number;
  personalCash: number;
  cashReason: string | null;
  settledAt: string;
  settledBy: string;
  reversedAt: string | null;
  reversedBy: string | null;
}

const time = (s: string) => new Date(s).toLocaleString('zh-CN', { hour12: false });

function Household({ person }: { person: Person }) {
  const { data, error } = useApi<{ items: PersonRow[]; total: number }>(person.householdId ? '/api/v1/persons' : null, { householdId: person.householdId ?? undefined, pageSize: 100 });
  if (!person.householdId) return <Empty description="未登记家庭户" />;
  return (
    <>
      <Descriptions size="small" column={3} items={[{ label: '户号', children: person.houseNo }, { label: '地址', children: person.address ?? '—' }, { label: '家庭成员', children: data ? `${data.total} 人` : '…' }]} />
      {error && <Alert type="error" showIcon title={error} />}
      <Table<PersonRow>
        size="small"
        rowKey="id"
        pagination={false}
        dataSource={data?.items ?? []}
        columns={[
          { title: '姓名', dataIndex: 'name', render: (n: string, r) => (r.id === person.id ? <b>{n}（本人）</b> : <Link to={`/persons/${r.id}`}>{n}</Link>) },
          { title: '身份证号', dataIndex: 'idNumber' },
          { title: '出生年份', dataIndex: 'birthYear' },
          { title: '人员类别', dataIndex: 'kind', render: (k: string) => label(KIND_LABELS, k) },
        ]}
      />
    </>
  );
}

function QuoteTrace({ id }: { id: string }) {
  const { data, error, loading } = useApi<EnrollmentDetail>(`/api/v1/enrollments/${id}`);
  if (error) return <Alert type="error" showIcon title={error} />;
  if (!data) return <Card loading={loading} />;
  const q = data.quote;
  return (
    <Card size="small" title={`${data.coverageYear} 年度缴费测算（${data.pack}）`} data-testid="quote-trace">
      {!q.matchesRecord && <Alert type="warning" showIcon title="按现行政策包重新测算的结果与登记的金额不一致（政策包可能已修改）" />}
      <Descriptions
        size="small"
        column={4}
        items={[
          { label: '筹资标准', children: yuan(q.standardContribution) },
          { label: '分类资助', children: yuan(q.contributionAssistance) },
          { label: '个人应缴', children: yuan(q.individualDue) },
          { label: '财政补助', children: q.fiscalSubsidy ? `${yuan(q.fiscalSubsidy.total)}（${q.fiscalSubsidy.shares.map((s) => `${label(SUBSIDY_LEVEL_LABELS, s.level)} ${yuan(s.amount)}`).join('，')}）` : '—' },
        ]}
      />
      {q.examplesUsed && q.examplesUsed.length > 0 && <Alert type="warning" showIcon className="yb-gap" title={`用到的示例值（通知未规定，不是政策）：${q.examplesUsed.join('、')}`} />}
      <Trace steps={q.trace ?? []} testId="quote-trace-steps" />
    </Card>
  );
}

function Enrollments({ personId }: { personId: string }) {
  const { data, error, loading } = useApi<{ items: Enrollment[] }>('/api/v1/enrollments', { person: personId, limit: 50 });
  const [open, setOpen] = useState<string | null>(null);
  const items = data?.items ?? [];
  const shown = open ?? items[items.length - 1]?.id ?? null;
  return (
    <>
      {error && <Alert type="error" showIcon title={error} />}
      <Table<Enrollment>
        size="small"
        rowKey="id"
        loading={loading}
        pagination={false}
        dataSource={items}
        data-testid="enrollments-table"
        onRow={(r) => ({ onClick: () => setOpen(r.id) })}
        rowClassName={(r) => (r.id === shown ? 'ant-table-row-selected yb-clickable' : 'yb-clickable')}
        columns={[
          { title: '年度', dataIndex: 'coverageYear' },
          { title: '状态', dataIndex: 'state', render: (s: string, r) => <Tag color={s === 'paid' ? 'green' : s === 'assessed' ? 'blue' : 'red'}>{label(ENROLLMENT_STATES, s)}{r.refusal ? `：${r.refusal.message}` : ''}</Tag> },
          { title: '档次', dataIndex: 'tier', render: (t: string | null) => label(TIER_LABELS, t) },
          { title: '筹资标准', dataIndex: 'standardYuan', render: yuan, align: 'right' },
          { title: '分类资助', dataIndex: 'assistanceYuan', render: yuan, align: 'right' },
          { title: '个人应缴', dataIndex: 'dueYuan', render: yuan, align: 'right' },
          { title: '财政补助', dataIndex: 'fiscalSubsidyYuan', render: yuan, align: 'right' },
          { title: '已缴', dataIndex: 'paidYuan', render: yuan, align: 'right' },
          { title: '缴费日期', dataIndex: 'paidOn', render: (d: string | null) => d ?? '—' },
          { title: '待遇享受期', dataIndex: 'benefitPeriod', render: (b: Enrollment['benefitPeriod'], r) => (b ? `${b.start} 至 ${b.end}${r.waitingDays ? `（等待期 ${r.waitingDays} 天）` : ''}` : '—') },
        ]}
      />
      {items.some((e) => e.blockReason) && <Alert type="warning" showIcon className="yb-gap" title={items.filter((e) => e.blockReason).map((e) => `${e.coverageYear}：${e.blockReason}`).join('；')} />}
      {shown && (
        <div className="yb-gap">
          <QuoteTrace id={shown} key={shown} />
        </div>
      )}
      <div className="yb-muted yb-gap">缴费渠道：{Object.values(CHANNEL_LABELS).join('、')}；缴费登记在“缴费与导入”页。</div>
    </>
  );
}

function Settlements({ personId, years }: { personId: string; years: number[] }) {
  const [year, setYear] = useState<number>(years[years.length - 1] ?? new Date().getFullYear());
  const [after, setAfter] = useState<string[]>([]);
  const list = useApi<{ settlements: SettlementSummary[]; next: string | null }>('/api/v1/settlements', { person: personId, year, limit: 20, after: after[after.length - 1] });
  const acc = useApi<{ version: number; accumulators: Record<string, unknown> }>(`/api/v1/persons/${personId}/accumulators`, { year });
  const accRows = Object.entries(acc.data?.accumulators ?? {}).map(([k, v]) => ({ k, v: typeof v === 'object' && v !== null ? Object.entries(v as Record<string, number>).map(([d, n]) => `${d}: ${yuan(n)}`).join('；') || '—' : k === 'inpatientAdmissions' ? String(v) : yuan(v as number) }));
  return (
    <Space orientation="vertical" className="yb-full">
      <Space>
        年度
        <Select value={year} onChange={(y) => { setYear(y); setAfter([]); }} options={(years.length ? years : [year]).map((y) => ({ value: y, label: `${y}` }))} />
      </Space>
      {(list.error || acc.error) && <Alert type="error" showIcon title={list.error ?? acc.error} />}
      <Table<SettlementSummary>
        size="small"
        rowKey="id"
        loading={list.loading}
        dataSource={list.data?.settlements ?? []}
        pagination={false}
        data-testid="person-settlements"
        columns={[
          { title: '结算号', dataIndex: 'id', render: (id: string) => <Link to={`/hospitals/settlements/${id}`}>{id}</Link> },
          { title: '就诊日期', dataIndex: 'encounterDate' },
          { title: '类型', dataIndex: 'encounterType', render: (t: string) => label(ENCOUNTER_LABELS, t) },
          { title: '医疗机构', dataIndex: 'hospitalCode' },
          { title: '总费用', dataIndex: 'total', render: yuan, align: 'right' },
          { title: '基本医保', dataIndex: 'basicFund', render: yuan, align: 'right' },
          { title: '大病保险', dataIndex: 'criticalIllness', render: yuan, align: 'right' },
          { title: '医疗救助', dataIndex: 'medicalAssistance', render: yuan, align: 'right' },
          { title: '个人现金', dataIndex: 'personalCash', render: yuan, align: 'right' },
          { title: '状态', dataIndex: 'reversedAt', render: (r: string | null) => (r ? <Tag color="red">已冲正</Tag> : <Tag color="green">有效</Tag>) },
        ]}
      />
      <Space>
        <Button size="small" disabled={!after.length} onClick={() => setAfter((a) => a.slice(0, -1))}>
          上一页
        </Button>
        <Button size="small" disabled={!list.data?.next} onClick={() => list.data?.next && setAfter((a) => [...a, list.data!.next!])}>
          下一页
        </Button>
      </Space>
      <Card size="small" title={`${year} 年度累计（版本 ${acc.data?.version ?? '…'}）`}>
        <Descriptions size="small" column={3} items={accRows.map((r) => ({ label: ACCUMULATOR_LABELS[r.k] ?? r.k, children: <span className="yb-num">{r.v}</span> }))} />
      </Card>
    </Space>
  );
}

function History({ personId }: { personId: string }) {
  const { data, error, loading } = useApi<HistoryRow[]>(`/api/v1/persons/${personId}/history`);
  return (
    <>
      {error && <Alert type="error" showIcon title={error} />}
      <Table<HistoryRow>
        size="small"
        rowKey="id"
        loading={loading}
        dataSource={data ?? []}
        pagination={{ pageSize: 20 }}
        columns={[
          { title: '时间', dataIndex: 'changedAt', render: time },
          { title: '经办人', dataIndex: 'changedBy' },
          { title: '对象', dataIndex: 'entity', render: (e: string) => (e === 'person' ? '人员信息' : '困难身份') },
          { title: '变更前', dataIndex: 'before', render: (v: unknown) => (v ? <pre className="yb-pre">{JSON.stringify(v, null, 1)}</pre> : '（新增）') },
          { title: '变更后', dataIndex: 'after', render: (v: unknown) => <pre className="yb-pre">{JSON.stringify(v, null, 1)}</pre> },
        ]}
      />
    </>
  );
}

export function PersonPage({ id, user }: { id: string; user: SessionUser }) {
  const { data: p, error, loading } = useApi<Person>(`/api/v1/persons/${encodeURIComponent(id)}`);
  const enr = useApi<{ items: Enrollment[] }>(p ? '/api/v1/enrollments' : null, { person: id, limit: 50 });
  if (error) return <Alert type="error" showIcon title={error} data-testid="person-error" />;
  if (!p) return <Card loading={loading} />;
  const years = [...new Set((enr.data?.items ?? []).map((e) => e.coverageYear))].sort();
  const tabs = [
    {
      key: 'statuses',
      label: `困难身份（${p.statuses.length}）`,
      children: (
        <Table<Status>
          size="small"
          rowKey="id"
          pagination={false}
          dataSource={p.statuses}
          data-testid="statuses-table"
          columns={[
            { title: '身份', dataIndex: 'status', render: (s: string) => label(STATUS_LABELS as Record<string, string>, s) },
            { title: '认定部门（来源）', dataIndex: 'source', render: (s: string) => label(SOURCE_LABELS, s) },
            { title: '起始日期', dataIndex: 'validFrom' },
            { title: '终止日期', dataIndex: 'validTo', render: (d: string | null) => d ?? '（长期）' },
            { title: '文号', dataIndex: 'reference', render: (r: string | null) => r ?? '—' },
          ]}
        />
      ),
    },
    { key: 'household', label: '家庭户', children: <Household person={p} /> },
    { key: 'enrollment', label: '参保与缴费', children: <Enrollments personId={p.id} /> },
    ...(may(user, 'settlement.read') ? [{ key: 'settlements', label: '结算与累计', children: <Settlements personId={p.id} years={years} /> }] : []),
    { key: 'history', label: '变更历史', children: <History personId={p.id} /> },
  ];
  return (
    <Space orientation="vertical" className="yb-full">
      <Card title={<span data-testid="person-title">{p.name}</span>} extra={<Link to="/persons">返回人员查询</Link>}>
        <Descriptions
          size="small"
          column={3}
          items={[
            { label: '身份证号', children: <span data-testid="person-id-number">{p.idNumber}</span> },
            { label: '性别', children: label(GENDER_LABELS, p.gender) },
            { label: '出生日期', children: p.birthDate },
            { label: '人员类别', children: p.kindLabel },
            { label: '村（居）', children: `${p.villageName}（${p.villageCode}）` },
            { label: '统筹区', children: p.region },
            { label: '毕业年份', children: p.graduationYear ?? '—' },
            { label: '登记时间', children: time(p.createdAt) },
            { label: '记录版本', children: p.version },
          ]}
        />
      </Card>
      <Card>
        <Tabs items={tabs} defaultActiveKey="enrollment" />
      </Card>
    </Space>
  );
}
