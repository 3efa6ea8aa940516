/**
 * 半月通报 (兴义府发〔2022〕3号 八(三): 镇政府每半月对全镇参保筹资工作情况进行通报): pick a town (a
 * township or the county) and a half-month end, see the report as GET
 * /api/v1/monitoring/reports/half-monthly gives it — per village target, enrolled, rate, rank,
 * change since the last report, the seven groups, e-vouchers; the town's totals and the notes —
 * and download the XLSX and the PDF the server makes of the same figures. The town and date live
 * in the URL; a clerk is offered only their own township, and the server refuses any other.
 */
import { useMemo, useState } from 'react';
import { Alert, Button, Card, DatePicker, Form, Space, Table, Tag, TreeSelect } from 'antd';
import dayjs from 'dayjs';
import { download, type SessionUser } from '../api';
import { areaTree, useAreas } from '../parts/areas';
import { endOnOrBefore, halfMonthEnd, homeArea, rateText, readable, TARGET_SOURCE_LABELS, useCampaignDefaults, type AreaRef, type RateFigure } from '../parts/campaign';
import { Chart, type ChartOption } from '../parts/Chart';
import { useApi } from '../parts/useApi';
import { useRouter } from '../router';

interface Row {
  target: number;
  enrolled: number;
  unpaid: number;
  rate: RateFigure | null;
  change: number;
  groups: { persons: number; enrolled: number; missing: number; rate: RateFigure | null };
  evouchers: { target: number; activated: number; rate: RateFigure | null };
}
interface VillageRow extends Row {
  villageCode: string;
  villageName: string;
  targetSource: string;
  rank: number | null;
  previous: { enrolled: number; rate: RateFigure | null; rank: number | null };
  rankChange: number | null;
  lagging: boolean;
}
interface Report {
  title: string;
  town: AreaRef;
  coverageYear: number;
  asOf: string;
  previousAsOf: string;
  pack: string;
  window: { from: string; to: string };
  villages: VillageRow[];
  totals: Row & { previous: { enrolled: number; rate: RateFigure | null }; targetSource: string };
  notes: string[];
  cite: string;
}

/** The villages' rates against the town's, as the PDF draws them. */
function rateChart(r: Report): ChartOption {
  const town = `全${r.town.level === 'county' ? '县' : '镇'}参保率 ${r.totals.rate?.text ?? '—'}`;
  return {
    legend: { data: ['参保率（%）', '上期参保率（%）', town], top: 0, right: 10 },
    grid: { left: 50, right: 20, top: 40, bottom: 60 },
    xAxis: { type: 'category', data: r.villages.map((v) => v.villageName), axisLabel: { interval: 0, rotate: r.villages.length > 8 ? 30 : 0 } },
    yAxis: { type: 'value', name: '%', min: 0, max: 100 },
    series: [
      {
        name: '参保率（%）',
        type: 'bar',
        data: r.villages.map((v) => ({ value: v.rate?.percent ?? null, itemStyle: { color: v.lagging ? '#fa8c16' : '#1677ff' } })),
      },
      { name: '上期参保率（%）', type: 'bar', data: r.villages.map((v) => v.previous.rate?.percent ?? null), itemStyle: { color: '#d9d9d9' } },
      { name: town, type: 'line', symbol: 'none', data: r.villages.map(() => r.totals.rate?.percent ?? null), itemStyle: { color: '#fa541c' } },
    ],
  };
}

const signed = (n: number | null): string => (n === null ? '—' : n > 0 ? `+${n}` : String(n));

export function HalfMonthly({ user }: { user: SessionUser }) {
  const { query, navigate } = useRouter();
  const { areas, error: areaError } = useAreas();
  const towns = useMemo(() => readable(user, areas).filter((a) => a.level !== 'village'), [user, areas]);
  const home = homeArea(user, areas);
  const town = query.get('town') ?? (home && home.length < 12 ? home : undefined);
  const region = areas.find((a) => a.code === town)?.region ?? towns[0]?.region;
  const defaults = useCampaignDefaults(region, undefined);
  const asOf = query.get('asOf') ?? (defaults.asOf ? endOnOrBefore(defaults.asOf) : undefined);
  const q = { town, asOf };
  const r = useApi<Report>(town && asOf ? '/api/v1/monitoring/reports/half-monthly' : null, q);
  const [busy, setBusy] = useState<string | null>(null);
  const [fileError, setFileError] = useState<string | null>(null);
  const go = (o: { town?: string; asOf?: string }) => {
    const s = new URLSearchParams();
    for (const [k, v] of Object.entries({ town, asOf, ...o })) if (v) s.set(k, v);
    navigate(`/reports/half-monthly?${s}`);
  };
  const save = async (format: 'xlsx' | 'pdf') => {
    setBusy(format);
    setFileError(null);
    try {
      await download(`/api/v1/monitoring/reports/half-monthly.${format}`, `参保通报-${town}-${asOf}.${format}`, q);
    } catch (e) {
      setFileError((e as Error).message);
    } finally {
      setBusy(null);
    }
  };
  const villageClerk = user.role === 'clerk' && towns.length === 0 && areas.length > 0;
  const report = r.data;

  return (
    <Space orientation="vertical" className="yb-full" size="middle">
      <Card
        title="半月通报"
        extra={
          <Form layout="inline">
            <Form.Item label="乡镇（街道）">
              <TreeSelect
                showSearch
                treeNodeFilterProp="title"
                treeData={areaTree(towns)}
                value={town}
                placeholder="选择乡镇或全县"
                onChange={(v: string) => go({ town: v })}
                className="yb-area-select"
                popupMatchSelectWidth={false}
                treeDefaultExpandAll
                data-testid="report-town"
              />
            </Form.Item>
            <Form.Item label="截至（半月末）">
              <DatePicker
                allowClear={false}
                value={asOf && dayjs(asOf).isValid() ? dayjs(asOf) : null}
                disabledDate={(d) => !halfMonthEnd(d.format('YYYY-MM-DD'))}
                onChange={(d) => d && go({ asOf: d.format('YYYY-MM-DD') })}
                data-testid="report-date"
              />
            </Form.Item>
            <Form.Item>
              <Space>
                <Button onClick={() => void save('xlsx')} loading={busy === 'xlsx'} disabled={!report} data-testid="report-xlsx">
                  下载 XLSX
                </Button>
                <Button onClick={() => void save('pdf')} loading={busy === 'pdf'} disabled={!report} data-testid="report-pdf">
                  下载 PDF
                </Button>
              </Space>
            </Form.Item>
          </Form>
        }
      >
        {villageClerk && !query.get('town') && (
          <Alert type="info" showIcon data-testid="report-village-clerk" title="半月通报按乡镇（街道）编制，您的经办范围是村（社区），不能查看全镇通报；本村的进度请看「参保进度」。" />
        )}
        {(areaError ?? defaults.error ?? r.error) && <Alert className="yb-gap" type="error" showIcon title={areaError ?? defaults.error ?? r.error} data-testid="report-error" />}
        {fileError && <Alert className="yb-gap" type="error" showIcon title={fileError} data-testid="report-file-error" />}
        {report && (
          <>
            <h3 data-testid="report-title">{report.title}</h3>
            <div className="yb-muted">
              {report.coverageYear} 年度 · 上期 {report.previousAsOf} · 集中参保期 {report.window.from} 至 {report.window.to} · 政策包 {report.pack} · {report.cite}
            </div>
            <Table<VillageRow>
              className="yb-gap"
              size="small"
              rowKey="villageCode"
              dataSource={report.villages}
              pagination={report.villages.length > 50 ? { pageSize: 50 } : false}
              data-testid="report-table"
              scroll={{ x: true }}
              rowClassName={(v) => (v.lagging ? 'yb-lagging' : '')}
              columns={[
                { title: '排名', dataIndex: 'rank', align: 'right', render: (n: number | null) => n ?? '—' },
                { title: '村（社区）', dataIndex: 'villageName', render: (n: string, v) => <>{n}{v.lagging && <Tag color="orange" className="yb-tag-gap">推进滞后</Tag>}</> },
                { title: '应参保', dataIndex: 'target', align: 'right', render: (n: number, v) => <>{n}{v.targetSource === 'derived' && <span className="yb-muted">（推算）</span>}</> },
                { title: '已参保', dataIndex: 'enrolled', align: 'right' },
                { title: '参保率', dataIndex: 'rate', align: 'right', render: rateText },
                { title: '本期新增', dataIndex: 'change', align: 'right', render: signed },
                { title: '上期参保率', align: 'right', render: (_: unknown, v) => rateText(v.previous.rate) },
                { title: '名次变化', dataIndex: 'rankChange', align: 'right', render: signed },
                { title: '待缴费', dataIndex: 'unpaid', align: 'right' },
                { title: '七类对象', align: 'right', render: (_: unknown, v) => v.groups.persons },
                { title: '七类未参保', align: 'right', render: (_: unknown, v) => v.groups.missing },
                { title: '七类参保率', align: 'right', render: (_: unknown, v) => rateText(v.groups.rate) },
                { title: '电子凭证激活', align: 'right', render: (_: unknown, v) => `${v.evouchers.activated}/${v.evouchers.target}` },
                { title: '激活率', align: 'right', render: (_: unknown, v) => rateText(v.evouchers.rate) },
              ]}
              summary={() => {
                const t = report.totals;
                const cells = ['', '合计', `${t.target}${t.targetSource !== 'imported' ? `（${TARGET_SOURCE_LABELS[t.targetSource] ?? t.targetSource}）` : ''}`, t.enrolled, rateText(t.rate), signed(t.change), rateText(t.previous.rate), '', t.unpaid, t.groups.persons, t.groups.missing, rateText(t.groups.rate), `${t.evouchers.activated}/${t.evouchers.target}`, rateText(t.evouchers.rate)];
                return (
                  <Table.Summary.Row data-testid="report-totals">
                    {cells.map((c, i) => (
                      <Table.Summary.Cell key={i} index={i} align={i > 1 ? 'right' : undefined}>
                        {c}
                      </Table.Summary.Cell>
                    ))}
                  </Table.Summary.Row>
                );
              }}
            />
            <Chart option={rateChart(report)} testId="report-chart" />
            <ol className="yb-gap yb-muted" data-testid="report-notes">
              {report.notes.map((n) => (
                <li key={n}>{n}</li>
              ))}
            </ol>
          </>
        )}
      </Card>
    </Space>
  );
}
