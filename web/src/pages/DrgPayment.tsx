/**
 * DRG付费: what the notices measure of payment by group for an area and year
 * (GET /api/v1/drg/metrics) — the DRG/DIP share of the inpatient fund spending and of the
 * secondary-and-above public hospitals, each target beside it with its quote, and per hospital
 * cases, CMI, 结余/超支, cost and days per weight, with a chart of payment against item cost.
 */
import { useState } from 'react';
import { Alert, Card, Col, Input, InputNumber, Row, Space, Statistic, Table, Tag } from 'antd';
import { Chart, type ChartOption } from '../parts/Chart';
import { useApi } from '../parts/useApi';

interface Share {
  numerator: string;
  denominator: string;
  value: string | null;
  percent: string | null;
}

interface Target {
  key: string;
  measure: string;
  share?: string;
  cite: string;
  quote: string;
  note?: string;
  actual: string | null;
  met: boolean | null;
  binds: boolean;
}

interface HospitalLine {
  code: string;
  name: string;
  level: string;
  cases: number;
  cmi: string | null;
  costPerWeight: string | null;
  daysPerWeight: string | null;
  paid: { cases: number; run: 'year' | 'month'; payment: string; cost: string; balance: string; result: string } | null;
}

interface Metrics {
  region: string;
  year: number;
  pack: string | null;
  method: string | null;
  catalogue: string | null;
  fund: { share: Share; rule: string };
  hospitals: { publicSecondaryPlus: number; paidByGroup: number; paidByDrg: number; ownershipUnknown: string[]; groupShare: Share; drgShare: Share; rule: string };
  targets: Target[];
  perHospital: HospitalLine[];
}

const MEASURES: Record<string, string> = {
  fund_share: '按病组付费基金支出占住院基金支出',
  public_hospitals: '二级及以上公立医院按DRG/DIP付费',
  drg_hospitals: '二级及以上公立医院按DRG付费',
  area_share: '统筹地区覆盖比例（全国背景）',
  none: '推进要求',
};

const pct = (v: string | null | undefined) => (v === null || v === undefined ? '—' : `${(Number(v) * 100).toFixed(2)}%`);

export function DrgPayment() {
  const [region, setRegion] = useState('500230');
  // the demo town's coverage year (src/sim/seed-demo.ts)
  const [year, setYear] = useState<number>(2022);
  const ok = /^\d{6}$/.test(region) && year >= 2000 && year <= 2100;
  const m = useApi<Metrics>(ok ? '/api/v1/drg/metrics' : null, { region, year: String(year) });
  const d = m.data;
  const paid = (d?.perHospital ?? []).filter((h) => h.paid);
  const option: ChartOption = {
    legend: { data: ['按病组支付', '按项目费用'], top: 0, right: 10 },
    grid: { left: 80, right: 20, top: 40, bottom: 30 },
    xAxis: { type: 'category', data: paid.map((h) => h.name) },
    yAxis: { type: 'value', name: '元' },
    series: [
      { name: '按病组支付', type: 'bar', data: paid.map((h) => Number(h.paid!.payment)), itemStyle: { color: '#1677ff' } },
      { name: '按项目费用', type: 'bar', data: paid.map((h) => Number(h.paid!.cost)), itemStyle: { color: '#fa8c16' } },
    ],
  };
  return (
    <Row gutter={[16, 16]}>
      <Col span={24}>
        <Space>
          统筹区
          <Input value={region} onChange={(e) => setRegion(e.target.value.trim())} style={{ width: 120 }} data-testid="drg-region" />
          年度
          <InputNumber value={year} min={2000} max={2100} onChange={(v) => v !== null && setYear(v)} data-testid="drg-year" />
          {d && <Tag>{d.pack ? `${d.pack}（${d.method}）${d.catalogue ? `，目录：${d.catalogue}` : '，尚无病组权重'}` : '本年度无按病组付费的医院'}</Tag>}
        </Space>
      </Col>
      {m.error && (
        <Col span={24}>
          <Alert type="error" showIcon title={m.error} />
        </Col>
      )}
      <Col xs={24} md={12}>
        <Card>
          <Statistic title="按病组付费基金支出占住院基金支出" value={pct(d?.fund.share.value)} data-testid="drg-fund-share" />
          <div className="yb-muted">
            {d ? `${d.fund.share.numerator} / ${d.fund.share.denominator} 元。` : ''}
            {d?.fund.rule}
          </div>
        </Card>
      </Col>
      <Col xs={24} md={12}>
        <Card>
          <Statistic title="二级及以上公立医院按DRG/DIP付费" value={d ? `${d.hospitals.paidByGroup} / ${d.hospitals.publicSecondaryPlus}（${pct(d.hospitals.groupShare.value)}）` : '—'} data-testid="drg-hospital-share" />
          <div className="yb-muted">
            {d ? `其中按DRG付费 ${d.hospitals.paidByDrg} 家（${pct(d.hospitals.drgShare.value)}）。` : ''}
            {d?.hospitals.ownershipUnknown.length ? `所有制未登记：${d.hospitals.ownershipUnknown.join('、')}。` : ''}
            {d?.hospitals.rule}
          </div>
        </Card>
      </Col>
      <Col span={24}>
        <Card title="政策目标">
          <Table
            size="small"
            rowKey="key"
            dataSource={d?.targets ?? []}
            pagination={false}
            data-testid="drg-targets"
            columns={[
              { title: '指标', dataIndex: 'measure', render: (v: string) => MEASURES[v] ?? v },
              { title: '适用', dataIndex: 'binds', render: (b: boolean) => (b ? <Tag color="blue">本统筹区适用</Tag> : <Tag>外省目标，对照</Tag>) },
              { title: '目标', dataIndex: 'share', render: (v?: string) => (v ? `≥ ${pct(v)}` : '—') },
              { title: '本统筹区', dataIndex: 'actual', render: (v: string | null, t) => (t.measure === 'area_share' ? '仅作背景' : pct(v)) },
              { title: '达标', dataIndex: 'met', render: (v: boolean | null) => (v === null ? '—' : v ? <Tag color="green">已达到</Tag> : <Tag color="red">未达到</Tag>) },
              { title: '依据', dataIndex: 'cite', render: (c: string, t) => <span title={t.note}>{c}：「{t.quote}」{t.note ? `（${t.note}）` : ''}</span> },
            ]}
          />
        </Card>
      </Col>
      <Col span={24}>
        <Card title="按医院">
          <Chart option={option} testId="drg-chart" />
          <Table
            className="yb-gap"
            size="small"
            rowKey="code"
            loading={m.loading}
            dataSource={d?.perHospital ?? []}
            pagination={false}
            data-testid="drg-hospitals"
            columns={[
              { title: '医院', dataIndex: 'name', render: (n: string, r) => `${n}（${r.code}）` },
              { title: '病例数', dataIndex: 'cases', align: 'right' },
              { title: 'CMI', dataIndex: 'cmi', align: 'right', render: (v: string | null) => v ?? '—' },
              { title: '每权重费用（元）', dataIndex: 'costPerWeight', align: 'right', render: (v: string | null) => v ?? '—' },
              { title: '每权重住院日', dataIndex: 'daysPerWeight', align: 'right', render: (v: string | null) => v ?? '—' },
              { title: '按病组支付（元）', align: 'right', render: (_: unknown, r) => r.paid?.payment ?? '—' },
              { title: '按项目费用（元）', align: 'right', render: (_: unknown, r) => r.paid?.cost ?? '—' },
              { title: '结余 / 超支（元）', align: 'right', render: (_: unknown, r) => (r.paid ? <Tag color={r.paid.result === '超支' ? 'red' : 'green'}>{`${r.paid.result} ${r.paid.balance}`}</Tag> : '未付费') },
              { title: '依据', render: (_: unknown, r) => (r.paid ? (r.paid.run === 'year' ? '年度清算' : '月度预付') : '—') },
            ]}
          />
        </Card>
      </Col>
    </Row>
  );
}
