/**
 * 参保进度's targets: per village, 应参保人数 as imported from the town's breakdown sheet (附件1)
 * beside the one derived from the register (persons registered on the base date, less those on
 * the employee-insurance list), and which of them the rate uses (the imported one where there
 * is one). Every figure is GET /api/v1/monitoring/targets's.
 */
import { Alert, Card, Table, Tag } from 'antd';
import { TARGET_SOURCE_LABELS, type TargetsAnswer } from '../parts/campaign';
import { useApi } from '../parts/useApi';

type Village = TargetsAnswer['villages'][number];

export function ProgressTargets({ area, year }: { area: string; year: number }) {
  const { data, error, loading } = useApi<TargetsAnswer>('/api/v1/monitoring/targets', { area, year });
  const villages = data?.villages ?? [];
  const imported = villages.filter((v) => v.imported);
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  return (
    <Card title="应参保人数：分解表与推算" size="small" data-testid="targets-card">
      {error && <Alert type="error" showIcon title={error} data-testid="targets-error" />}
      {data && (
        <div className="yb-muted" data-testid="targets-basis">
          分解表：镇（街道）下达的应参保人数（附件1）；推算：{data.baseDate} 在册并核定 {data.coverageYear} 年度参保的人数，减去职工医保参保名单上的人数
          {data.basis.cite ? `（${data.basis.cite}）` : ''}。有分解表的村按分解表计算参保率，其余按推算。
          {data.basis.quote && <div className="yb-quote">“{data.basis.quote}”</div>}
        </div>
      )}
      <Table<Village>
        className="yb-gap"
        size="small"
        rowKey="villageCode"
        loading={loading}
        dataSource={villages}
        pagination={villages.length > 20 ? { pageSize: 20, showSizeChanger: false } : false}
        data-testid="targets-table"
        columns={[
          { title: '村（社区）', dataIndex: 'villageName', render: (n: string, v) => `${n}（${v.villageCode}）` },
          { title: '乡镇（街道）', dataIndex: 'townshipName', render: (n: string | null) => n ?? '—' },
          { title: '分解表', align: 'right', render: (_: unknown, v) => (v.imported ? v.imported.enrollment : '—') },
          { title: '推算', align: 'right', render: (_: unknown, v) => v.derived.enrollment },
          { title: '其中：在册', align: 'right', render: (_: unknown, v) => v.derived.registered },
          { title: '职工医保', align: 'right', render: (_: unknown, v) => v.derived.employeeInsurance },
          { title: '参保率按', dataIndex: 'source', render: (s: string) => <Tag color={s === 'imported' ? 'blue' : 'default'}>{TARGET_SOURCE_LABELS[s] ?? s}</Tag> },
          { title: '应参保人数', dataIndex: 'enrollment', align: 'right' },
        ]}
      />
      {data && (
        <div className="yb-muted yb-gap" data-testid="targets-totals">
          分解表 {imported.length} 个村，合计 {sum(imported.map((v) => v.imported!.enrollment))} 人（这些村推算 {sum(imported.map((v) => v.derived.enrollment))} 人）；推算合计 {sum(villages.map((v) => v.derived.enrollment))} 人；参保率所用合计 {sum(villages.map((v) => v.enrollment))} 人。
        </div>
      )}
    </Card>
  );
}
