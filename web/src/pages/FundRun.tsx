/**
 * 基金运行: per fund and month the income, spending, 当期结余, 累计结余 and 可支付月数 (GET
 * /api/v1/fund/position) with the bottom-line alerts and the sentence they cite; the year's
 * budget against the actual figures (GET /api/v1/fund/budget, entered by finance); a hospital's
 * clearing statement of a month with approval and payment for the finance role, and its 3201/3202
 * reconciliation; the fiscal subsidy receipts outstanding by level and age. Every figure is the
 * API's, in yuan.
 */
import { useEffect, useState } from 'react';
import { Alert, App, Button, Card, Col, DatePicker, Descriptions, Form, Input, InputNumber, Row, Select, Space, Statistic, Table, Tag } from 'antd';
import { api, type SessionUser } from '../api';
import { FUND_ACCOUNTS, FUND_LABELS, label, yuan } from '../labels';
import { Chart, type ChartOption } from '../parts/Chart';
import { Citation } from '../parts/Citation';
import { useApi } from '../parts/useApi';

interface CitationOf {
  param: string;
  cite: string | null;
  quote: string | null;
  example: string | null;
}
interface AlertOf {
  code: string;
  account: string;
  month: string;
  message: string;
  citation: CitationOf;
}
interface Position {
  account: string;
  month: string;
  income: number;
  spending: number;
  currentSurplus: number;
  balance: number;
  reserveMonths: number | null;
  alerts: AlertOf[];
}
interface PositionReply {
  region: string;
  bottomLines: { year: number; minimumReserveMonths: number | null; noCurrentDeficit: boolean }[];
  positions: Position[];
  alerts: AlertOf[];
}
interface BudgetLine {
  account: string;
  income: number;
  spending: number;
  actualIncome: number;
  actualSpending: number;
  incomeExecuted: number | null;
  spendingExecuted: number | null;
  monthsElapsed: number;
  recordedBy: string;
  memo: string | null;
  warnings: { code: string; message: string; citation: CitationOf | null }[];
  months: { month: string; yearIncome: number; yearSpending: number }[];
}
interface Statement {
  hospitalCode: string;
  hospitalName: string;
  month: string;
  state: 'open' | 'approved' | 'paid';
  settlements: number;
  reversals: number;
  totalFen: number;
  fundTotalFen: number;
  fundTotal: number;
  lines: { kind: string; encounterType: string; clrType: string; settlements: number; totalFen: number; fundFen: number }[];
  approvedBy: string | null;
  payment: { reference: string; amountFen: number; paidOn: string } | null;
}
interface Reconciliation {
  reported: { reports: { msgid: string; begin: string; end: string }[]; uncoveredDays: string[]; medfee: number; fund: number; count: number };
  statement: { total: number; fundTotal: number; settlements: number; reversals: number };
  live: { medfee: number; fund: number; count: number };
  differences: { field: string; against: string; reported: number; ours: number; difference: number }[];
  details: { matched: number; differences: { setlId: string; problem: string; message: string }[] } | null;
  balanced: boolean;
  rule: string;
}
interface Outstanding {
  asOf: string;
  lines: { level: string; label: string; coverageYear: number; accruedFen: number; receivedFen: number; outstanding: number; aging: Record<string, number>; oldestDays: number | null }[];
  byLevel: { level: string; label: string; outstanding: number }[];
}

const REGIONS = [
  { value: '500230', label: '500230 丰都县（重庆）' },
  { value: '370000', label: '370000 山东省（两条底线）' },
];
const pct = (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(1)}%`);
const STATE_LABELS: Record<string, string> = { open: '未审核（按当前结算生成）', approved: '已审核', paid: '已支付' };
const thisMonth = () => new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 7);

interface MonthRow {
  hospitalCode: string;
  hospitalName: string;
  state: string;
  settlements: number;
  reversals: number;
  fundTotal: number;
  totals: { total: number; basicFund: number; criticalIllness: number; medicalAssistance: number };
}

/** All hospitals' statements of the month, paged on the server (GET /api/v1/fund/statements/month); a row opens the hospital's statement. */
function MonthStatements({ month, changed, onPick }: { month: string; changed: number; onPick: (hospital: string) => void }) {
  const [page, setPage] = useState(1);
  const PAGE = 10;
  const list = useApi<{ total: number; statements: MonthRow[] }>('/api/v1/fund/statements/month', { month, page, pageSize: PAGE });
  // `changed`: a statement approved or paid on this page, so the table is drawn again
  const { reload } = list;
  useEffect(() => {
    if (changed) reload();
  }, [changed, reload]);
  return (
    <Card title={`${month} 各医疗机构月度清算单`} data-testid="month-statements">
      {list.error && <Alert type="error" showIcon title={list.error} />}
      <Table
        size="small"
        rowKey="hospitalCode"
        loading={list.loading}
        dataSource={list.data?.statements ?? []}
        pagination={{ current: page, pageSize: PAGE, total: list.data?.total ?? 0, showSizeChanger: false, onChange: setPage }}
        onRow={(r) => ({ onClick: () => onPick(r.hospitalCode) })}
        columns={[
          { title: '医疗机构', render: (_: unknown, r: MonthRow) => `${r.hospitalName}（${r.hospitalCode}）` },
          { title: '状态', dataIndex: 'state', render: (v: string) => STATE_LABELS[v] ?? v },
          { title: '结算笔数', dataIndex: 'settlements', align: 'right' },
          { title: '冲正笔数', dataIndex: 'reversals', align: 'right' },
          { title: '医疗总费用（元）', align: 'right', render: (_: unknown, r: MonthRow) => yuan(r.totals.total) },
          { title: '基本医保（元）', align: 'right', render: (_: unknown, r: MonthRow) => yuan(r.totals.basicFund) },
          { title: '大病保险（元）', align: 'right', render: (_: unknown, r: MonthRow) => yuan(r.totals.criticalIllness) },
          { title: '医疗救助（元）', align: 'right', render: (_: unknown, r: MonthRow) => yuan(r.totals.medicalAssistance) },
          { title: '应付医疗机构（元）', dataIndex: 'fundTotal', align: 'right', render: yuan },
        ]}
      />
    </Card>
  );
}

export function FundRun({ user }: { user: SessionUser }) {
  const { message } = App.useApp();
  const finance = user.role === 'finance';
  const [region, setRegion] = useState('370000');
  const [account, setAccount] = useState('basic_fund');
  const [year, setYear] = useState(2022);
  const pos = useApi<PositionReply>('/api/v1/fund/position', { region, account });
  const budget = useApi<{ lines: BudgetLine[]; principle: { cite: string | null; quote: string | null; value: string } | null }>('/api/v1/fund/budget', { region, year });
  const hs = useApi<{ hospitals: { code: string; name: string; uncleared: number }[] }>('/api/v1/fund/hospitals');
  const [hospital, setHospital] = useState<string | null>(null);
  const [month, setMonth] = useState(thisMonth());
  const st = useApi<Statement>(hospital ? '/api/v1/fund/statements' : null, { hospital, month });
  const rec = useApi<Reconciliation>(hospital ? '/api/v1/fund/reconciliation' : null, { hospital, month });
  const receipts = useApi<{ outstanding: Outstanding }>('/api/v1/fund/receipts');
  const out = { data: receipts.data?.outstanding ?? null, error: receipts.error };
  const [busy, setBusy] = useState(false);
  const [changed, setChanged] = useState(0);
  const [reference, setReference] = useState('');

  const rows = pos.data?.positions ?? [];
  const last = rows.at(-1);
  const option: ChartOption = {
    legend: { data: ['收入', '支出', '累计结余', '可支付月数'], top: 0, right: 10 },
    grid: { left: 90, right: 60, top: 40, bottom: 30 },
    tooltip: { trigger: 'axis', renderMode: 'richText' },
    xAxis: { type: 'category', data: rows.map((r) => r.month) },
    yAxis: [
      { type: 'value', name: '元' },
      { type: 'value', name: '月' },
    ],
    series: [
      { name: '收入', type: 'bar', data: rows.map((r) => r.income), itemStyle: { color: '#52c41a' } },
      { name: '支出', type: 'bar', data: rows.map((r) => r.spending), itemStyle: { color: '#fa541c' } },
      { name: '累计结余', type: 'line', data: rows.map((r) => r.balance) },
      { name: '可支付月数', type: 'line', yAxisIndex: 1, data: rows.map((r) => r.reserveMonths) },
    ],
  };

  const act = async (what: 'approve' | 'pay') => {
    if (!hospital) return;
    setBusy(true);
    try {
      if (what === 'approve') await api('/api/v1/fund/statements/approve', { body: { hospital, month } });
      else await api('/api/v1/fund/payments', { body: { hospital, month, reference, paidOn: new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10) } });
      void message.success(what === 'approve' ? '清算单已审核' : '已支付');
      st.reload();
      setChanged((c) => c + 1);
      rec.reload();
    } catch (e) {
      void message.error((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const saveBudget = async (v: { account: string; income: number; spending: number; memo?: string }) => {
    try {
      await api('/api/v1/fund/budget', { body: { year, account: v.account, incomeYuan: v.income.toFixed(2), spendingYuan: v.spending.toFixed(2), ...(v.memo ? { memo: v.memo } : {}) } });
      void message.success('预算已保存');
      budget.reload();
    } catch (e) {
      void message.error((e as Error).message);
    }
  };

  return (
    <Row gutter={[16, 16]}>
      <Col span={24}>
        <Space wrap>
          <span>底线规则：</span>
          <Select value={region} onChange={setRegion} options={REGIONS} style={{ width: 260 }} data-testid="fund-region" />
          <Select value={account} onChange={setAccount} options={FUND_ACCOUNTS.map((a) => ({ value: a, label: FUND_LABELS[a] }))} style={{ width: 200 }} data-testid="fund-account" />
        </Space>
      </Col>
      {pos.error && (
        <Col span={24}>
          <Alert type="error" showIcon title={pos.error} />
        </Col>
      )}
      {last && (
        <>
          <Col xs={24} md={8}>
            <Card>
              <Statistic title={`${last.month} 累计结余（元）`} value={last.balance} precision={2} data-testid="fund-balance" />
            </Card>
          </Col>
          <Col xs={24} md={8}>
            <Card>
              <Statistic title={`${last.month.slice(0, 4)} 年当期结余（元）`} value={last.currentSurplus} precision={2} data-testid="fund-surplus" />
            </Card>
          </Col>
          <Col xs={24} md={8}>
            <Card>
              <Statistic title="可支付月数" value={last.reserveMonths ?? '—'} precision={2} data-testid="fund-reserve" />
            </Card>
          </Col>
        </>
      )}
      <Col span={24}>
        <Card title="底线预警" data-testid="fund-alerts">
          {(pos.data?.alerts.length ?? 0) === 0 ? (
            <div className="yb-muted">{pos.data?.bottomLines.some((b) => b.minimumReserveMonths !== null || b.noCurrentDeficit) ? '未触及底线' : '所选统筹区的政策包未设底线'}</div>
          ) : (
            <Table
              size="small"
              rowKey={(a) => `${a.code}|${a.month}`}
              dataSource={pos.data!.alerts}
              pagination={{ pageSize: 6 }}
              columns={[
                { title: '月份', dataIndex: 'month' },
                { title: '预警', dataIndex: 'message' },
                { title: '依据', render: (_: unknown, a) => <Citation cite={a.citation.cite ?? undefined} quote={a.citation.quote ?? undefined} example={a.citation.example ?? undefined} /> },
                { title: '原文', render: (_: unknown, a) => a.citation.quote ?? '' },
              ]}
            />
          )}
        </Card>
      </Col>
      <Col span={24}>
        <Card title="按月收支与结余">
          <Chart option={option} testId="fund-chart" />
          <Table
            className="yb-gap"
            size="small"
            rowKey="month"
            loading={pos.loading}
            dataSource={rows}
            pagination={{ pageSize: 12 }}
            data-testid="fund-positions"
            columns={[
              { title: '月份', dataIndex: 'month' },
              { title: '收入（元）', dataIndex: 'income', align: 'right', render: yuan },
              { title: '支出（元）', dataIndex: 'spending', align: 'right', render: yuan },
              { title: '当期结余（元）', dataIndex: 'currentSurplus', align: 'right', render: yuan },
              { title: '累计结余（元）', dataIndex: 'balance', align: 'right', render: yuan },
              { title: '可支付月数', dataIndex: 'reserveMonths', align: 'right', render: (v: number | null) => (v === null ? '—' : v.toFixed(2)) },
              { title: '预警', render: (_: unknown, r) => r.alerts.map((a) => <Tag color="red" key={a.code}>{a.code === 'CURRENT_YEAR_DEFICIT' ? '收不抵支' : '可支付月数不足'}</Tag>) },
            ]}
          />
        </Card>
      </Col>
      <Col span={24}>
        <Card
          title="预算执行（以收定支）"
          extra={<InputNumber min={2000} max={2100} value={year} onChange={(v) => v && setYear(v)} data-testid="budget-year" />}
        >
          {budget.error && <Alert type="error" showIcon title={budget.error} />}
          {budget.data?.principle && (
            <div className="yb-muted">
              预算原则：{budget.data.principle.value} <Citation cite={budget.data.principle.cite ?? undefined} quote={budget.data.principle.quote ?? undefined} />
            </div>
          )}
          <Table
            size="small"
            rowKey="account"
            dataSource={budget.data?.lines ?? []}
            pagination={false}
            data-testid="budget-table"
            columns={[
              { title: '基金', dataIndex: 'account', render: (a: string) => label(FUND_LABELS, a) },
              { title: '预算收入（元）', dataIndex: 'income', align: 'right', render: yuan },
              { title: '实际收入（元）', dataIndex: 'actualIncome', align: 'right', render: yuan },
              { title: '收入执行', dataIndex: 'incomeExecuted', align: 'right', render: pct },
              { title: '预算支出（元）', dataIndex: 'spending', align: 'right', render: yuan },
              { title: '实际支出（元）', dataIndex: 'actualSpending', align: 'right', render: yuan },
              { title: '支出执行', dataIndex: 'spendingExecuted', align: 'right', render: pct },
              { title: '提示', render: (_: unknown, l) => l.warnings.map((w) => <div key={w.code}>{w.message}</div>) },
            ]}
          />
          {finance && (
            <Form layout="inline" className="yb-gap" onFinish={saveBudget} initialValues={{ account: 'basic_fund' }} data-testid="budget-form">
              <Form.Item name="account" label="基金">
                <Select options={FUND_ACCOUNTS.map((a) => ({ value: a, label: FUND_LABELS[a] }))} style={{ width: 180 }} />
              </Form.Item>
              <Form.Item name="income" label="预算收入（元）" rules={[{ required: true }]}>
                <InputNumber min={0} precision={2} style={{ width: 160 }} />
              </Form.Item>
              <Form.Item name="spending" label="预算支出（元）" rules={[{ required: true }]}>
                <InputNumber min={0} precision={2} style={{ width: 160 }} />
              </Form.Item>
              <Form.Item name="memo" label="说明">
                <Input style={{ width: 160 }} />
              </Form.Item>
              <Button htmlType="submit" type="primary">
                保存预算
              </Button>
            </Form>
          )}
        </Card>
      </Col>
      <Col span={24}>
        <Card
          title="医疗机构清算与对账"
          extra={
            <Space>
              <Select
                placeholder="选择医疗机构"
                value={hospital}
                onChange={setHospital}
                style={{ width: 280 }}
                options={(hs.data?.hospitals ?? []).map((h) => ({ value: h.code, label: `${h.name}（${h.code}）未清算 ${h.uncleared} 笔` }))}
                data-testid="statement-hospital"
              />
              <DatePicker picker="month" allowClear={false} onChange={(d) => d && setMonth(d.format('YYYY-MM'))} placeholder={month} data-testid="statement-month" />
            </Space>
          }
        >
          {st.error && <Alert type="error" showIcon title={st.error} />}
          {st.data && (
            <>
              <Descriptions size="small" column={3} bordered data-testid="statement">
                <Descriptions.Item label="月份">{st.data.month}</Descriptions.Item>
                <Descriptions.Item label="状态">{STATE_LABELS[st.data.state]}</Descriptions.Item>
                <Descriptions.Item label="结算 / 冲销笔数">
                  {st.data.settlements} / {st.data.reversals}
                </Descriptions.Item>
                <Descriptions.Item label="医疗总费用（元）">{yuan(st.data.totalFen / 100)}</Descriptions.Item>
                <Descriptions.Item label="基金应付（元）">
                  <span data-testid="statement-fund">{yuan(st.data.fundTotal)}</span>
                </Descriptions.Item>
                <Descriptions.Item label="支付">{st.data.payment ? `${st.data.payment.reference} ${st.data.payment.paidOn}` : '—'}</Descriptions.Item>
              </Descriptions>
              {finance && (
                <Space className="yb-gap">
                  <Button type="primary" disabled={busy || st.data.state !== 'open' || st.data.settlements + st.data.reversals === 0} onClick={() => act('approve')} data-testid="statement-approve">
                    审核清算单
                  </Button>
                  <Input placeholder="银行流水号" value={reference} onChange={(e) => setReference(e.target.value)} style={{ width: 180 }} data-testid="payment-reference" />
                  <Button disabled={busy || st.data.state !== 'approved' || !reference.trim()} onClick={() => act('pay')} data-testid="statement-pay">
                    支付
                  </Button>
                </Space>
              )}
            </>
          )}
          {rec.data && (
            <div className="yb-gap" data-testid="reconciliation">
              <div className="yb-muted">{rec.data.rule}</div>
              <Table
                size="small"
                rowKey="k"
                pagination={false}
                dataSource={[
                  { k: '医疗费总额（元）', r: yuan(rec.data.reported.medfee), s: yuan(rec.data.statement.total), l: yuan(rec.data.live.medfee) },
                  { k: '基金支付（元）', r: yuan(rec.data.reported.fund), s: yuan(rec.data.statement.fundTotal), l: yuan(rec.data.live.fund) },
                  { k: '结算笔数', r: String(rec.data.reported.count), s: String(rec.data.statement.settlements - rec.data.statement.reversals), l: String(rec.data.live.count) },
                ]}
                columns={[
                  { title: '项目', dataIndex: 'k' },
                  { title: `机构上报（3201，${rec.data.reported.reports.length} 份）`, dataIndex: 'r', align: 'right' },
                  { title: '清算单', dataIndex: 's', align: 'right' },
                  { title: '有效结算（按结算时间）', dataIndex: 'l', align: 'right' },
                ]}
              />
              {rec.data.reported.reports.length === 0 ? (
                <Tag className="yb-gap">机构本月未上报 3201 对总账</Tag>
              ) : (
                <Tag className="yb-gap" color={rec.data.balanced ? 'green' : 'red'}>
                  {rec.data.balanced ? '对账平' : `对账不平：${rec.data.differences.map((d) => `${d.field}（${d.against === 'statement' ? '清算单' : '有效结算'}）差 ${d.difference}`).join('；')}`}
                </Tag>
              )}
              {rec.data.details && rec.data.details.differences.length > 0 && (
                <Table size="small" rowKey="setlId" dataSource={rec.data.details.differences} pagination={{ pageSize: 5 }} columns={[{ title: '结算ID', dataIndex: 'setlId' }, { title: '问题', dataIndex: 'message' }]} />
              )}
            </div>
          )}
        </Card>
      </Col>
      <Col span={24}>
        <MonthStatements month={month} changed={changed} onPick={setHospital} />
      </Col>
      <Col span={24}>
        <Card title="财政补助到位（按级次与账龄）">
          {out.error && <Alert type="error" showIcon title={out.error} />}
          <Table
            size="small"
            rowKey={(l) => `${l.level}|${l.coverageYear}`}
            dataSource={out.data?.lines ?? []}
            pagination={false}
            data-testid="outstanding-table"
            columns={[
              { title: '级次', dataIndex: 'label' },
              { title: '年度', dataIndex: 'coverageYear' },
              { title: '应到（元）', dataIndex: 'accruedFen', align: 'right', render: (f: number) => yuan(f / 100) },
              { title: '已到（元）', dataIndex: 'receivedFen', align: 'right', render: (f: number) => yuan(f / 100) },
              { title: '未到（元）', dataIndex: 'outstanding', align: 'right', render: yuan },
              { title: '0–90天', render: (_: unknown, r) => yuan(r.aging.days0to90 / 100), align: 'right' },
              { title: '91–180天', render: (_: unknown, r) => yuan(r.aging.days91to180 / 100), align: 'right' },
              { title: '181–365天', render: (_: unknown, r) => yuan(r.aging.days181to365 / 100), align: 'right' },
              { title: '365天以上', render: (_: unknown, r) => yuan(r.aging.over365 / 100), align: 'right' },
            ]}
          />
          {out.data && <div className="yb-muted">账龄截至 {out.data.asOf}，自应到月份起算，先到的资金冲抵最早的应到数。</div>}
        </Card>
      </Col>
    </Row>
  );
}
