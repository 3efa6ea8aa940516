/** 人员: search the register by 乡镇/村, ID number or name; paged on the server, masked as the server masks lists. */
import { useState } from 'react';
import { Alert, Button, Card, Form, Input, Table, TreeSelect } from 'antd';
import type { SessionUser } from '../api';
import { GENDER_LABELS, KIND_LABELS, label } from '../labels';
import { areaTree, useAreas } from '../parts/areas';
import { useApi } from '../parts/useApi';
import { useRouter } from '../router';

export interface PersonRow {
  id: string;
  idNumber: string;
  name: string;
  gender: string;
  birthYear: number;
  villageCode: string;
  houseNo: string | null;
  kind: string;
  version: number;
}

interface PersonPage {
  page: number;
  pageSize: number;
  total: number;
  items: PersonRow[];
}

const ID_RE = /^\d{17}[\dXx]$/;

export function Persons({ user }: { user: SessionUser }) {
  const { navigate, query } = useRouter();
  const { areas, names, error: areaError } = useAreas();
  const [form] = Form.useForm<{ village?: string; idNumber?: string; name?: string }>();
  const filters = { village: query.get('village') ?? undefined, idNumber: query.get('idNumber') ?? undefined, name: query.get('name') ?? undefined };
  const page = Number(query.get('page') ?? 1);
  const pageSize = Number(query.get('pageSize') ?? 20);
  const { data, error, loading } = useApi<PersonPage>('/api/v1/persons', { ...filters, page, pageSize });
  const [initial] = useState(filters);

  const go = (f: typeof filters, p = 1, ps = pageSize) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(f)) if (v) q.set(k, v);
    if (p > 1) q.set('page', String(p));
    if (ps !== 20) q.set('pageSize', String(ps));
    navigate(`/persons${q.size ? `?${q}` : ''}`);
  };

  return (
    <Card title="人员查询" extra={user.role === 'clerk' ? <span className="yb-muted">经办范围：{user.villages.map((v) => names.get(v) ?? v).join('、')}</span> : null}>
      <Form
        form={form}
        layout="inline"
        initialValues={initial}
        onFinish={(v) => go({ village: v.village || undefined, idNumber: v.idNumber?.trim().toUpperCase() || undefined, name: v.name?.trim() || undefined })}
      >
        <Form.Item name="village" label="乡镇/村">
          <TreeSelect allowClear showSearch treeNodeFilterProp="title" treeData={areaTree(areas)} placeholder="全部" className="yb-area-select" popupMatchSelectWidth={false} data-testid="area-select" />
        </Form.Item>
        <Form.Item name="idNumber" label="身份证号" rules={[{ pattern: ID_RE, message: '须为18位公民身份号码' }]}>
          <Input allowClear placeholder="18位" maxLength={18} data-testid="search-id" />
        </Form.Item>
        <Form.Item name="name" label="姓名" rules={[{ max: 60, message: '姓名过长' }]}>
          <Input allowClear placeholder="完整姓名" data-testid="search-name" />
        </Form.Item>
        <Form.Item>
          <Button type="primary" htmlType="submit" data-testid="search">
            查询
          </Button>
        </Form.Item>
      </Form>
      {(error || areaError) && <Alert className="yb-gap" type="error" showIcon title={error ?? areaError} />}
      <div className="yb-gap yb-muted" data-testid="persons-total">
        {data ? `共 ${data.total} 人` : loading ? '查询中…' : ''}
      </div>
      <Table<PersonRow>
        className="yb-gap"
        rowKey="id"
        size="middle"
        loading={loading}
        dataSource={data?.items ?? []}
        data-testid="persons-table"
        onRow={(r) => ({ onClick: () => navigate(`/persons/${r.id}`) })}
        rowClassName={() => 'yb-clickable'}
        pagination={{
          current: page,
          pageSize,
          total: data?.total ?? 0,
          showSizeChanger: true,
          pageSizeOptions: [20, 50, 100],
          onChange: (p, ps) => go(filters, ps !== pageSize ? 1 : p, ps),
        }}
        columns={[
          { title: '姓名', dataIndex: 'name' },
          { title: '身份证号', dataIndex: 'idNumber', className: 'yb-num' },
          { title: '性别', dataIndex: 'gender', render: (g: string) => label(GENDER_LABELS, g) },
          { title: '出生年份', dataIndex: 'birthYear' },
          { title: '村（居）', dataIndex: 'villageCode', render: (v: string) => `${names.get(v) ?? ''} ${v}` },
          { title: '户号', dataIndex: 'houseNo' },
          { title: '人员类别', dataIndex: 'kind', render: (k: string) => label(KIND_LABELS, k) },
        ]}
      />
    </Card>
  );
}
