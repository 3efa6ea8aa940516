/** 医院结算: settlements by hospital and day (paged on the server), then the day's settlements, each to its detail. */
import { useState } from 'react';
import { Alert, Button, Card, DatePicker, Select, Space, Table, Tag } from 'antd';
import type { Dayjs } from 'dayjs';
import type { SessionUser } from '../api';
import { ENCOUNTER_LABELS, label, yuan } from '../labels';
import { useApi } from '../parts/useApi';
import { Link, useRouter } from '../router';
import type { SettlementSummary } from './PersonPage';

interface HospitalDay {
  hospitalCode: string;
  hospitalName: string;
  day: string;
  settlements: number;
  reversed: number;
  total: number;
  basicFund: number;
  criticalIllness: number;
  medicalAssistance: number;
  fundTotal: number;
  personalCash: number;
}

function DaySettlements({ hospital, day }: { hospital: string; day: string }) {
  const [after, setAfter] = useState<string[]>([]);
  const { data, error, loading } = useApi<{ settlements: SettlementSummary[]; next: string | null }>('/api/v1/settlements', { hospital, date: day, limit: 20, after: after[after.length - 1] });
  return (
    <Card size="small" title={`${hospital} · ${day} 的结算`} data-testid="day-settlements">
      {error && <Alert type="error" showIcon title={error} />}
      <Table<SettlementSummary>
        size="small"
        rowKey="id"
        loading={loading}
        dataSource={data?.settlements ?? []}
        pagination={false}
        columns={[
          { title: '结算号', dataIndex: 'id', render: (id: string) => <Link to={`/hospitals/settlements/${id}`}>{id}</Link> },
          { title: '患者', render: (_: unknown, r) => `${r.person.name} ${r.person.idNumber}` },
          { title: '类型', dataIndex: 'encounterType', render: (t: string) => label(ENCOUNTER_LABELS, t) },
          { title: '总费用', dataIndex: 'total', align: 'right', render: yuan },
          { title: '基金支付', dataIndex: 'fundTotal', align: 'right', render: yuan },
          { title: '个人现金', dataIndex: 'personalCash', align: 'right', render: yuan },
          { title: '状态', dataIndex: 'reversedAt', render: (r: string | null) => (r ? <Tag color="red">已冲正</Tag> : <Tag color="green">有效</Tag>) },
        ]}
      />
      <Space className="yb-gap">
        <Button size="small" disabled={!after.length} onClick={() => setAfter((a) => a.slice(0, -1))}>
          上一页
        </Button>
        <Button size="small" disabled={!data?.next} onClick={() => data?.next && setAfter((a) => [...a, data.next!])}>
          下一页
        </Button>
      </Space>
    </Card>
  );
}

export function Hospitals({ user }: { user: SessionUser }) {
  const { query, navigate } = useRouter();
  const hospitals = useApi<{ code: string; name: string; level: string }[]>('/api/v1/hospitals');
  const hospital = query.get('hospital') ?? (user.role === 'hospital' ? user.hospitalCode ?? undefined : undefined);
  const page = Number(query.get('page') ?? 1);
  const [range, setRange] = useState<[Dayjs | null, Dayjs | null] | null>(null);
  const from = range?.[0]?.format('YYYY-MM-DD');
  const to = range?.[1]?.format('YYYY-MM-DD');
  const { data, error, loading } = useApi<{ total: number; page: number; pageSize: number; days: HospitalDay[] }>('/api/v1/ledger/hospital-days', { hospital, from, to, page, pageSize: 20 });
  const [open, setOpen] = useState<{ hospital: string; day: string } | null>(null);
  const set = (q: Record<string, string | undefined>) => {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) if (v) p.set(k, v);
    navigate(`/hospitals${p.size ? `?${p}` : ''}`);
  };
  return (
    <Space orientation="vertical" className="yb-full">
      <Card
        title="医院结算（按机构和就诊日）"
        extra={
          <Space>
            <Select
              allowClear={user.role !== 'hospital'}
              placeholder="全部医疗机构"
              className="yb-pack-select"
              value={hospital}
              onChange={(v?: string) => set({ hospital: v })}
              options={(hospitals.data ?? []).map((h) => ({ value: h.code, label: `${h.name}（${h.code}）` }))}
              data-testid="hospital-select"
            />
            <DatePicker.RangePicker onChange={(v) => setRange(v as [Dayjs | null, Dayjs | null] | null)} />
          </Space>
        }
      >
        {(error || hospitals.error) && <Alert type="error" showIcon title={error ?? hospitals.error} />}
        <Table<HospitalDay>
          size="small"
          rowKey={(r) => `${r.hospitalCode}/${r.day}`}
          loading={loading}
          dataSource={data?.days ?? []}
          data-testid="hospital-days"
          onRow={(r) => ({ onClick: () => setOpen({ hospital: r.hospitalCode, day: r.day }) })}
          rowClassName={() => 'yb-clickable'}
          pagination={{ current: page, pageSize: 20, total: data?.total ?? 0, showSizeChanger: false, showTotal: (t) => `共 ${t} 个机构日`, onChange: (p) => set({ hospital, page: String(p) }) }}
          columns={[
            { title: '就诊日', dataIndex: 'day' },
            { title: '医疗机构', dataIndex: 'hospitalName', render: (n: string, r) => `${n}（${r.hospitalCode}）` },
            { title: '结算笔数', dataIndex: 'settlements', align: 'right' },
            { title: '已冲正', dataIndex: 'reversed', align: 'right' },
            { title: '总费用', dataIndex: 'total', align: 'right', render: yuan },
            { title: '基本医保', dataIndex: 'basicFund', align: 'right', render: yuan },
            { title: '大病保险', dataIndex: 'criticalIllness', align: 'right', render: yuan },
            { title: '医疗救助', dataIndex: 'medicalAssistance', align: 'right', render: yuan },
            { title: '个人现金', dataIndex: 'personalCash', align: 'right', render: yuan },
          ]}
        />
      </Card>
      {open && <DaySettlements hospital={open.hospital} day={open.day} key={`${open.hospital}/${open.day}`} />}
    </Space>
  );
}
