/**
 * 参保进度: an area's progress as of a date against its targets (rate against the target and
 * against last year; each village's imported target beside the derived one: ProgressTargets), the seven groups (兴义府发〔2022〕3号 一, from the pack) and 医保电子凭证
 * activation, with charts; county → township → village by clicking a row, and at a village the
 * seven groups' missing persons, paged on the server. Every figure is the monitoring API's (a
 * county's townships are its villages summed as the server sums them). The area, year and date
 * live in the URL; a clerk is offered only their own areas and the server refuses any other.
 */
import { useMemo } from 'react';
import { Alert, Breadcrumb, Card, Col, DatePicker, Form, Row, Select, Space, Statistic, Table, Tag, TreeSelect } from 'antd';
import dayjs from 'dayjs';
import type { SessionUser } from '../api';
import { yuan } from '../labels';
import { areaTree, useAreas } from '../parts/areas';
import {
  chainOf,
  EVOUCHER_CHANNEL_LABELS,
  homeArea,
  rateText,
  readable,
  rowsBelow,
  TARGET_SOURCE_LABELS,
  useCampaignDefaults,
  type EvouchersAnswer,
  type GroupsAnswer,
  type ProgressAnswer,
  type Sums,
} from '../parts/campaign';
import { Chart, type ChartOption } from '../parts/Chart';
import { useApi } from '../parts/useApi';
import { useRouter } from '../router';
import { NotActivated, ProgressMissing } from './ProgressLists';
import { ProgressTargets } from './ProgressTargets';

const LEVEL_BELOW: Record<string, string> = { county: '乡镇（街道）', township: '村（社区）', village: '' };

export function Progress({ user }: { user: SessionUser }) {
  const { query, navigate } = useRouter();
  const { areas, names, error: areaError } = useAreas();
  const mine = useMemo(() => readable(user, areas), [user, areas]);
  const area = query.get('area') ?? homeArea(user, areas);
  const region = areas.find((a) => a.code === area)?.region ?? mine[0]?.region;
  const qYear = query.get('year') ? Number(query.get('year')) : undefined;
  const defaults = useCampaignDefaults(region, qYear);
  const year = defaults.year;
  const asOf = query.get('asOf') ?? defaults.asOf;
  const ready = !!area && year !== undefined && !!asOf;
  const q = { area, year, asOf };
  const p = useApi<ProgressAnswer>(ready ? '/api/v1/monitoring/progress' : null, q);
  const g = useApi<GroupsAnswer>(ready ? '/api/v1/monitoring/priority-groups' : null, q);
  const e = useApi<EvouchersAnswer>(ready ? '/api/v1/monitoring/evouchers' : null, q);

  const go = (o: { area?: string; year?: number; asOf?: string; group?: string; page?: number; pageSize?: number }) => {
    const s = new URLSearchParams();
    const v = { area, year, asOf, ...o };
    for (const [k, x] of Object.entries(v)) if (x !== undefined && x !== '' && !(k === 'page' && x === 1) && !(k === 'pageSize' && x === 20)) s.set(k, String(x));
    navigate(`/progress?${s}`);
  };

  const level = p.data?.area.level;
  const rows = useMemo(() => (p.data && level !== 'village' ? rowsBelow(p.data, g.data, e.data, names) : []), [p.data, g.data, e.data, names, level]);
  const t = p.data?.totals;
  const error = areaError ?? defaults.error ?? p.error ?? g.error ?? e.error;
  const chain = area ? chainOf(area, areas).filter((a) => mine.some((m) => m.code === a.code)) : [];

  const seriesOption: ChartOption = {
    legend: { data: ['已参保（人）', '参保率（%）'], top: 0, right: 10 },
    grid: { left: 60, right: 60, top: 40, bottom: 30 },
    xAxis: { type: 'category', data: (p.data?.series ?? []).map((s) => s.asOf) },
    yAxis: [
      { type: 'value', name: '人' },
      { type: 'value', name: '%', max: 100, min: 0 },
    ],
    series: [
      { name: '已参保（人）', type: 'bar', data: (p.data?.series ?? []).map((s) => s.paid), itemStyle: { color: '#91caff' } },
      { name: '参保率（%）', type: 'line', yAxisIndex: 1, data: (p.data?.series ?? []).map((s) => s.rate?.percent ?? null), itemStyle: { color: '#1677ff' } },
    ],
  };
  const rowsOption: ChartOption = {
    legend: { data: ['应参保', '已参保', '参保率（%）'], top: 0, right: 10 },
    grid: { left: 60, right: 60, top: 40, bottom: 60 },
    xAxis: { type: 'category', data: rows.map((r) => r.name), axisLabel: { interval: 0, rotate: rows.length > 8 ? 30 : 0 } },
    yAxis: [
      { type: 'value', name: '人' },
      { type: 'value', name: '%', max: 100, min: 0 },
    ],
    series: [
      { name: '应参保', type: 'bar', data: rows.map((r) => r.target), itemStyle: { color: '#d9d9d9' } },
      { name: '已参保', type: 'bar', data: rows.map((r) => r.paid), itemStyle: { color: '#52c41a' } },
      { name: '参保率（%）', type: 'line', yAxisIndex: 1, data: rows.map((r) => r.rate?.percent ?? null), itemStyle: { color: '#fa8c16' } },
    ],
  };
  const groups = g.data?.totals.groups ?? [];
  const groupsOption: ChartOption = {
    legend: { data: ['已参保', '未参保'], top: 0, right: 10 },
    grid: { left: 110, right: 30, top: 40, bottom: 30 },
    tooltip: { trigger: 'axis' },
    yAxis: { type: 'category', data: groups.map((x) => x.label), inverse: true },
    xAxis: { type: 'value', name: '人' },
    series: [
      { name: '已参保', type: 'bar', stack: 'n', data: groups.map((x) => x.enrolled), itemStyle: { color: '#52c41a' } },
      { name: '未参保', type: 'bar', stack: 'n', data: groups.map((x) => x.missing), itemStyle: { color: '#ff4d4f' } },
    ],
  };
  const channels = Object.entries(e.data?.totals.byChannel ?? {});
  const evOption: ChartOption = {
    tooltip: { trigger: 'item' },
    legend: { orient: 'vertical', left: 0, top: 10 },
    series: [{ type: 'pie', radius: ['40%', '70%'], center: ['65%', '50%'], data: channels.map(([k, n]) => ({ name: EVOUCHER_CHANNEL_LABELS[k] ?? k, value: n })) }],
  };

  return (
    <Space orientation="vertical" className="yb-full" size="middle">
      <Card
        title="参保进度"
        extra={
          <Form layout="inline">
            <Form.Item label="区域">
              <TreeSelect
                showSearch
                treeNodeFilterProp="title"
                treeData={areaTree(mine)}
                value={area}
                onChange={(v: string) => go({ area: v, page: 1, group: undefined })}
                className="yb-area-select"
                popupMatchSelectWidth={false}
                treeDefaultExpandAll
                data-testid="progress-area"
              />
            </Form.Item>
            <Form.Item label="年度">
              <Select
                value={year}
                onChange={(v: number) => go({ year: v, asOf: undefined, page: 1 })}
                options={[...new Set([...defaults.years, ...(year !== undefined ? [year] : [])])].sort((a, b) => a - b).map((y) => ({ value: y, label: `${y} 年度` }))}
                data-testid="progress-year"
              />
            </Form.Item>
            <Form.Item label="统计日期">
              <DatePicker allowClear={false} value={asOf && dayjs(asOf).isValid() ? dayjs(asOf) : null} onChange={(d) => d && go({ asOf: d.format('YYYY-MM-DD') })} data-testid="progress-date" />
            </Form.Item>
          </Form>
        }
      >
        <Breadcrumb
          data-testid="progress-breadcrumb"
          items={chain.map((a) => ({
            title:
              a.code === area ? (
                a.name
              ) : (
                <a href={`/progress?area=${a.code}`} onClick={(ev) => { ev.preventDefault(); go({ area: a.code, page: 1, group: undefined }); }}>
                  {a.name}
                </a>
              ),
          }))}
        />
        {error && <Alert className="yb-gap" type="error" showIcon title={error} data-testid="progress-error" />}
        {p.data && t && (
          <>
            <div className="yb-muted yb-gap" data-testid="progress-caption">
              {p.data.area.name}（{p.data.area.code}）{p.data.coverageYear} 年度，截至 {p.data.asOf}；集中参保期 {p.data.window.from} 至 {p.data.window.to}
              {p.data.window.cite ? `（${p.data.window.cite}）` : ''}；应参保人数来源：{TARGET_SOURCE_LABELS[t.targetSource] ?? t.targetSource}（推算基准日 {p.data.targetBase}）。
            </div>
            <Row gutter={[16, 16]} className="yb-gap">
              <Col xs={12} md={6} lg={3}><Statistic title="应参保（人）" value={t.target} data-testid="stat-target" /></Col>
              <Col xs={12} md={6} lg={3}><Statistic title="已参保（人）" value={t.paid} data-testid="stat-paid" /></Col>
              <Col xs={12} md={6} lg={3}><Statistic title="参保率" value={rateText(t.rate)} data-testid="stat-rate" /></Col>
              <Col xs={12} md={6} lg={3}><Statistic title="待缴费（人）" value={t.unpaid} data-testid="stat-unpaid" /></Col>
              <Col xs={12} md={6} lg={3}><Statistic title={`上年参保（${p.data.coverageYear - 1}）`} value={t.lastYear.enrolled} data-testid="stat-last-year" /></Col>
              <Col xs={12} md={6} lg={3}><Statistic title="与上年之比" value={rateText(t.lastYear.rate)} data-testid="stat-last-year-rate" /></Col>
              <Col xs={12} md={6} lg={3}><Statistic title="七类对象参保率" value={rateText(g.data?.totals.rate)} data-testid="stat-groups-rate" /></Col>
              <Col xs={12} md={6} lg={3}><Statistic title="电子凭证激活率" value={rateText(e.data?.totals.rate)} data-testid="stat-ev-rate" /></Col>
            </Row>
            <div className="yb-muted yb-gap">
              个人缴费 {yuan(t.contributionsYuan)} 元 · 分类资助 {yuan(t.assistanceYuan)} 元 · 财政补助 {yuan(t.subsidyYuan)} 元 · 不予受理 {t.refused} 人 · 重复参保拦截 {t.blocked} 人 · 较上年同日 {t.lastYear.change >= 0 ? '+' : ''}
              {t.lastYear.change} 人（上年同日 {t.lastYear.asOf}）
            </div>
          </>
        )}
      </Card>
      {p.data && (
        <Row gutter={[16, 16]}>
          <Col xs={24} lg={level === 'village' ? 24 : 12}>
            <Card title="参保进度（每半月）" size="small">
              <Chart option={seriesOption} testId="progress-series-chart" />
            </Card>
          </Col>
          {level !== 'village' && (
            <Col xs={24} lg={12}>
              <Card title={`各${LEVEL_BELOW[level ?? 'county']}参保情况`} size="small">
                <Chart option={rowsOption} testId="progress-rows-chart" />
              </Card>
            </Col>
          )}
        </Row>
      )}
      {p.data && level !== 'village' && (
        <Card title={`各${LEVEL_BELOW[level ?? 'county']}（点击查看下一级）`} size="small">
          <Table<Sums>
            size="small"
            rowKey="code"
            dataSource={rows}
            pagination={false}
            data-testid="progress-rows"
            rowClassName={() => 'yb-clickable'}
            onRow={(r) => ({ onClick: () => go({ area: r.code, page: 1, group: undefined }) })}
            columns={[
              { title: '名称', dataIndex: 'name', render: (n: string, r) => `${n}（${r.code}）` },
              { title: '应参保', dataIndex: 'target', align: 'right' },
              { title: '已参保', dataIndex: 'paid', align: 'right' },
              { title: '参保率', dataIndex: 'rate', align: 'right', render: rateText },
              { title: '待缴费', dataIndex: 'unpaid', align: 'right' },
              { title: '上年参保', dataIndex: 'lastYear', align: 'right' },
              { title: '与上年之比', dataIndex: 'lastYearRate', align: 'right', render: rateText },
              { title: '较上年同日', dataIndex: 'change', align: 'right', render: (c: number) => `${c >= 0 ? '+' : ''}${c}` },
              { title: '七类对象未参保', align: 'right', render: (_: unknown, r) => r.groups.missing },
              { title: '七类对象参保率', align: 'right', render: (_: unknown, r) => rateText(r.groups.rate) },
              { title: '电子凭证激活率', align: 'right', render: (_: unknown, r) => rateText(r.ev.rate) },
            ]}
          />
        </Card>
      )}
      {p.data && area && year !== undefined && <ProgressTargets key={`${area}/${year}`} area={area} year={year} />}
      {g.data && (
        <Row gutter={[16, 16]}>
          <Col xs={24} lg={14}>
            <Card title={`七类对象参保（目标 ${g.data.target}，${g.data.cite ?? ''}）`} size="small">
              {g.data.quote && <div className="yb-quote">“{g.data.quote}”</div>}
              <Table
                className="yb-gap"
                size="small"
                rowKey="group"
                dataSource={g.data.totals.groups}
                pagination={false}
                data-testid="groups-table"
                columns={[
                  { title: '类别', dataIndex: 'label' },
                  { title: '人数', dataIndex: 'persons', align: 'right' },
                  { title: '已参保', dataIndex: 'enrolled', align: 'right' },
                  { title: '未参保', dataIndex: 'missing', align: 'right' },
                  { title: '参保率', dataIndex: 'rate', align: 'right', render: rateText },
                  { title: '达标', dataIndex: 'met', render: (m: boolean) => (m ? <Tag color="green">达标</Tag> : <Tag color="red">未达标</Tag>) },
                ]}
              />
              <div className="yb-muted">按 {g.data.countedOn} 在册的困难身份，集中参保期（{g.data.window.from} 至 {g.data.window.to}）内缴费计为已参保。</div>
            </Card>
          </Col>
          <Col xs={24} lg={10}>
            <Card title="七类对象参保人数" size="small">
              <Chart option={groupsOption} testId="groups-chart" />
            </Card>
          </Col>
        </Row>
      )}
      {e.data && (
        <Card title="医保电子凭证激活" size="small">
          <Row gutter={[16, 16]}>
            <Col xs={24} lg={10}>
              <Row gutter={[16, 16]}>
                <Col span={8}><Statistic title="激活目标" value={e.data.totals.target} data-testid="ev-target" /></Col>
                <Col span={8}><Statistic title="已激活" value={e.data.totals.activated} data-testid="ev-activated" /></Col>
                <Col span={8}><Statistic title="激活率" value={rateText(e.data.totals.rate)} data-testid="ev-rate" /></Col>
              </Row>
              <div className="yb-gap">
                {channels.map(([k, n]) => (
                  <Tag key={k}>
                    {EVOUCHER_CHANNEL_LABELS[k] ?? k} {n}
                  </Tag>
                ))}
              </div>
              <div className="yb-muted yb-gap">激活目标按村分解表；未导入的村按应参保人数（兴义府发〔2022〕3号 七）。</div>
            </Col>
            <Col xs={24} lg={14}>
              <Chart option={evOption} testId="ev-chart" />
            </Col>
          </Row>
        </Card>
      )}
      {p.data && level === 'village' && g.data && area && year !== undefined && asOf && (
        <ProgressMissing
          area={area}
          year={year}
          asOf={asOf}
          groups={g.data.groups}
          group={query.get('group') ?? undefined}
          page={Number(query.get('page') ?? 1)}
          pageSize={Number(query.get('pageSize') ?? 20)}
          onChange={(o) => go(o)}
        />
      )}
      {p.data && level === 'village' && area && year !== undefined && asOf && <NotActivated key={`${area}/${year}/${asOf}`} area={area} year={year} asOf={asOf} />}
    </Space>
  );
}
