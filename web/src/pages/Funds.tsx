/**
 * 基金: balances by fund (trial balance), income and spending by month (the ledger's
 * fund-months view, with a chart), what is payable to each hospital, and the fiscal subsidies
 * receivable by level. Every figure is the API's, in yuan.
 */
import { useMemo, useState } from 'react';
import { Alert, Card, Col, Row, Select, Statistic, Table, Tag } from 'antd';
import { FUND_ACCOUNTS, FUND_LABELS, LEDGER_SOURCE_LABELS, SUBSIDY_LEVEL_LABELS, label, yuan } from '../labels';
import { Chart, type ChartOption } from '../parts/Chart';
import { useApi } from '../parts/useApi';

interface Line {
  account: string;
  name: string;
  kind: string;
  balance: number;
  natural: number;
  debit: number;
  credit: number;
}

interface TrialBalance {
  accounts: Line[];
  totalDebit: number;
  totalCredit: number;
  balanced: boolean;
  payableByHospital: { hospitalCode: string; name: string; payable: number }[];
  payableOther: number;
}

interface MonthLine {
  month: string;
  account: string;
  source: string;
  income: number;
  spending: number;
  incomeFen: number;
  spendingFen: number;
}

const cents = (fen: number) => fen / 100;

export function Funds() {
  const tb = useApi<TrialBalance>('/api/v1/ledger/balances');
  const [account, setAccount] = useState<string>('basic_fund');
  const months = useApi<{ lines: MonthLine[] }>('/api/v1/ledger/fund-months', { account });
  const accounts = tb.data?.accounts ?? [];
  const funds = FUND_ACCOUNTS.map((a) => accounts.find((x) => x.account === a)).filter((x): x is Line => !!x);
  const receivable = accounts.filter((a) => a.account.startsWith('subsidy_receivable_') || a.account === 'medical_assistance_appropriation_receivable');

  const byMonth = useMemo(() => {
    const m = new Map<string, { month: string; incomeFen: number; spendingFen: number; sources: Map<string, { i: number; s: number }> }>();
    for (const l of months.data?.lines ?? []) {
      const row = m.get(l.month) ?? m.set(l.month, { month: l.month, incomeFen: 0, spendingFen: 0, sources: new Map() }).get(l.month)!;
      row.incomeFen += l.incomeFen;
      row.spendingFen += l.spendingFen;
      const s = row.sources.get(l.source) ?? { i: 0, s: 0 };
      s.i += l.incomeFen;
      s.s += l.spendingFen;
      row.sources.set(l.source, s);
    }
    return [...m.values()];
  }, [months.data]);

  const option: ChartOption = {
    legend: { data: ['收入', '支出'], top: 0, right: 10 },
    grid: { left: 80, right: 20, top: 40, bottom: 30 },
    xAxis: { type: 'category', data: byMonth.map((r) => r.month) },
    yAxis: { type: 'value', name: '元' },
    series: [
      { name: '收入', type: 'bar', data: byMonth.map((r) => cents(r.incomeFen)), itemStyle: { color: '#52c41a' } },
      { name: '支出', type: 'bar', data: byMonth.map((r) => cents(r.spendingFen)), itemStyle: { color: '#fa541c' } },
    ],
  };

  return (
    <Row gutter={[16, 16]}>
      {tb.error && (
        <Col span={24}>
          <Alert type="error" showIcon title={tb.error} />
        </Col>
      )}
      {funds.map((f) => (
        <Col xs={24} md={8} key={f.account}>
          <Card>
            <Statistic title={`${FUND_LABELS[f.account]}结余（元）`} value={f.natural} precision={2} data-testid={`balance-${f.account}`} />
            <div className="yb-muted">{f.name}（{f.account}），由记账分录汇总</div>
          </Card>
        </Col>
      ))}
      <Col span={24}>
        {tb.data && <Tag color={tb.data.balanced ? 'green' : 'red'}>{tb.data.balanced ? `账平：借方合计 ${yuan(tb.data.totalDebit)} = 贷方合计 ${yuan(tb.data.totalCredit)}` : '账不平，请检查'}</Tag>}
      </Col>
      <Col span={24}>
        <Card
          title="按月收入与支出"
          extra={<Select value={account} onChange={setAccount} options={FUND_ACCOUNTS.map((a) => ({ value: a, label: FUND_LABELS[a] }))} data-testid="month-fund" />}
        >
          {months.error && <Alert type="error" showIcon title={months.error} />}
          <Chart option={option} testId="month-chart" />
          <div className="yb-muted">月份按业务日期：缴费按缴费日期，财政补助按缴费日期，结算按就诊日期；冲正和资金划转按记账日期。</div>
          <Table
            className="yb-gap"
            size="small"
            rowKey="month"
            loading={months.loading}
            dataSource={byMonth}
            pagination={false}
            data-testid="month-table"
            columns={[
              { title: '月份', dataIndex: 'month' },
              { title: '收入（元）', dataIndex: 'incomeFen', align: 'right', render: (f: number) => yuan(cents(f)) },
              { title: '支出（元）', dataIndex: 'spendingFen', align: 'right', render: (f: number) => yuan(cents(f)) },
              { title: '净额（元）', align: 'right', render: (_: unknown, r) => yuan(cents(r.incomeFen - r.spendingFen)) },
              {
                title: '来源',
                render: (_: unknown, r) =>
                  [...r.sources.entries()].map(([s, v]) => (
                    <Tag key={s}>
                      {label(LEDGER_SOURCE_LABELS, s)} {v.i ? `+${yuan(cents(v.i))}` : ''}
                      {v.s ? ` −${yuan(cents(v.s))}` : ''}
                    </Tag>
                  )),
              },
            ]}
          />
        </Card>
      </Col>
      <Col xs={24} lg={12}>
        <Card title="应付定点医疗机构款">
          <Table
            size="small"
            rowKey="hospitalCode"
            dataSource={tb.data?.payableByHospital ?? []}
            pagination={{ pageSize: 10 }}
            data-testid="payable-table"
            columns={[
              { title: '医疗机构', dataIndex: 'name', render: (n: string, r) => `${n}（${r.hospitalCode}）` },
              { title: '应付（元）', dataIndex: 'payable', align: 'right', render: yuan },
            ]}
          />
          {tb.data && tb.data.payableOther !== 0 && <div className="yb-muted">未归属到结算的应付款：{yuan(tb.data.payableOther)}</div>}
        </Card>
      </Col>
      <Col xs={24} lg={12}>
        <Card title="应收财政资金（按级次）">
          <Table
            size="small"
            rowKey="account"
            dataSource={receivable}
            pagination={false}
            data-testid="receivable-table"
            columns={[
              { title: '科目', dataIndex: 'name', render: (n: string, r) => `${n}${r.account.startsWith('subsidy_receivable_') ? `（${label(SUBSIDY_LEVEL_LABELS, r.account.replace('subsidy_receivable_', ''))}）` : ''}` },
              { title: '应收（元）', dataIndex: 'natural', align: 'right', render: yuan },
            ]}
          />
        </Card>
      </Col>
    </Row>
  );
}
