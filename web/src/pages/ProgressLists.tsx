/**
 * 参保进度 at a village, the lists to follow up, one page at a time from the server and masked as
 * the server masks lists: the seven groups' members not enrolled within the window (optionally
 * of one group) with what blocks each of them (GET /api/v1/monitoring/priority-groups/missing/paged),
 * and the residents whose 医保电子凭证 is not activated (GET /api/v1/monitoring/evouchers/not-activated/paged).
 */
import { useState } from 'react';
import { Alert, Card, Select, Table, Tag } from 'antd';
import { ENROLLMENT_STATES, label, yuan } from '../labels';
import { useApi } from '../parts/useApi';

interface MissingPerson {
  personId: string;
  idNumber: string;
  name: string;
  villageName: string;
  houseNo: string | null;
  groups: { group: string; label: string }[];
  statuses: { status: string; label: string; sourceLabel: string }[];
  state: string | null;
  dueYuan: number | null;
  blocker: { code: string; message: string };
}

interface MissingPage {
  total: number;
  page: number;
  pageSize: number;
  fullIdNumbers: boolean;
  countedOn: string;
  persons: MissingPerson[];
}

const BLOCKERS: Record<string, string> = {
  NOT_ASSESSED: '未核定',
  UNPAID: '未缴费',
  PAID_AFTER_WINDOW: '参保期后缴费',
  REFUSED: '不予受理',
  DUPLICATE_ENROLLMENT: '重复参保',
  EMPLOYEE_INSURANCE: '已参加职工医保',
};

export function ProgressMissing(props: {
  area: string;
  year: number;
  asOf: string;
  groups: { id: string; label: string }[];
  group: string | undefined;
  page: number;
  pageSize: number;
  onChange: (o: { group?: string; page: number; pageSize: number }) => void;
}) {
  const { area, year, asOf, group, page, pageSize, onChange } = props;
  const { data, error, loading } = useApi<MissingPage>('/api/v1/monitoring/priority-groups/missing/paged', { area, year, asOf, group, page, pageSize });
  return (
    <Card
      title="七类对象未参保人员"
      data-testid="missing-card"
      extra={
        <Select
          allowClear
          placeholder="全部七类对象"
          className="yb-area-select"
          value={group}
          onChange={(g?: string) => onChange({ group: g, page: 1, pageSize })}
          options={props.groups.map((g) => ({ value: g.id, label: g.label }))}
          data-testid="missing-group"
        />
      }
    >
      {error && <Alert type="error" showIcon title={error} data-testid="missing-error" />}
      <div className="yb-muted" data-testid="missing-total">
        {data ? `共 ${data.total} 人（按 ${data.countedOn} 在册身份统计${data.fullIdNumbers ? '' : '，证件号和姓名已脱敏'}）` : loading ? '查询中…' : ''}
      </div>
      <Table<MissingPerson>
        className="yb-gap"
        size="small"
        rowKey="personId"
        loading={loading}
        dataSource={data?.persons ?? []}
        data-testid="missing-table"
        pagination={{
          current: page,
          pageSize,
          total: data?.total ?? 0,
          showSizeChanger: true,
          pageSizeOptions: [10, 20, 50, 100],
          onChange: (p, ps) => onChange({ group, page: ps !== pageSize ? 1 : p, pageSize: ps }),
        }}
        columns={[
          { title: '姓名', dataIndex: 'name' },
          { title: '身份证号', dataIndex: 'idNumber', className: 'yb-num' },
          { title: '户号', dataIndex: 'houseNo' },
          { title: '类别', render: (_: unknown, r) => r.groups.map((g) => <Tag key={g.group}>{g.label}</Tag>) },
          { title: '认定部门', render: (_: unknown, r) => r.statuses.map((s) => `${s.label}（${s.sourceLabel}）`).join('、') },
          { title: '个人应缴（元）', dataIndex: 'dueYuan', align: 'right', render: (v: number | null) => yuan(v) },
          { title: '未参保原因', render: (_: unknown, r) => <span title={r.blocker.message}>{BLOCKERS[r.blocker.code] ?? r.blocker.code}：{r.blocker.message}</span> },
        ]}
      />
    </Card>
  );
}

interface NotActivatedPage {
  total: number;
  fullIdNumbers: boolean;
  persons: { personId: string; idNumber: string; name: string; villageName: string; houseNo: string | null; enrollmentState: string }[];
}

export function NotActivated({ area, year, asOf }: { area: string; year: number; asOf: string }) {
  const [paging, setPaging] = useState({ page: 1, pageSize: 10 });
  const { data, error, loading } = useApi<NotActivatedPage>('/api/v1/monitoring/evouchers/not-activated/paged', { area, year, asOf, ...paging });
  return (
    <Card title="医保电子凭证未激活人员" data-testid="not-activated-card">
      {error && <Alert type="error" showIcon title={error} />}
      <div className="yb-muted" data-testid="not-activated-total">
        {data ? `共 ${data.total} 人（截至 ${asOf} 未激活，${year} 年度已核定参保的居民${data.fullIdNumbers ? '' : '；证件号和姓名已脱敏'}）` : loading ? '查询中…' : ''}
      </div>
      <Table
        className="yb-gap"
        size="small"
        rowKey="personId"
        loading={loading}
        dataSource={data?.persons ?? []}
        data-testid="not-activated-table"
        pagination={{
          current: paging.page,
          pageSize: paging.pageSize,
          total: data?.total ?? 0,
          showSizeChanger: true,
          pageSizeOptions: [10, 20, 50, 100],
          onChange: (p, ps) => setPaging({ page: ps !== paging.pageSize ? 1 : p, pageSize: ps }),
        }}
        columns={[
          { title: '姓名', dataIndex: 'name' },
          { title: '身份证号', dataIndex: 'idNumber', className: 'yb-num' },
          { title: '户号', dataIndex: 'houseNo' },
          { title: '参保核定状态', dataIndex: 'enrollmentState', render: (s: string) => label(ENROLLMENT_STATES, s) },
        ]}
      />
    </Card>
  );
}
