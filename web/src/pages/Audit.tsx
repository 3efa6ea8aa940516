/** 审计: the audit log, newest first, filtered on the server by user, action and record type; paged by id. */
import { useState } from 'react';
import { Alert, Button, Card, Form, Input, Select, Space, Table } from 'antd';
import { AUDIT_ACTIONS, AUDIT_ENTITIES, ROLE_LABELS, label } from '../labels';
import { useApi } from '../parts/useApi';

interface AuditRow {
  id: string;
  at: string;
  actor: string;
  role: string;
  action: string;
  entity: string;
  entity_id: string | null;
  detail: unknown;
}

interface Filters {
  actor?: string;
  action?: string;
  entity?: string;
}

export function Audit() {
  const [filters, setFilters] = useState<Filters>({});
  const [cursor, setCursor] = useState<string[]>([]);
  const { data, error, loading } = useApi<AuditRow[]>('/api/v1/audit', { ...filters, newestFirst: true, limit: 50, before: cursor[cursor.length - 1] });
  const rows = data ?? [];
  return (
    <Card title="审计日志">
      <Form<Filters>
        layout="inline"
        onFinish={(v) => {
          setCursor([]);
          setFilters({ actor: v.actor?.trim() || undefined, action: v.action || undefined, entity: v.entity || undefined });
        }}
      >
        <Form.Item name="actor" label="经办人">
          <Input allowClear placeholder="用户名" data-testid="audit-actor" />
        </Form.Item>
        <Form.Item name="action" label="操作">
          <Select allowClear className="yb-pack-select" options={Object.entries(AUDIT_ACTIONS).map(([value, l]) => ({ value, label: `${l}（${value}）` }))} data-testid="audit-action" />
        </Form.Item>
        <Form.Item name="entity" label="对象">
          <Select allowClear className="yb-pack-select" options={Object.entries(AUDIT_ENTITIES).map(([value, l]) => ({ value, label: `${l}（${value}）` }))} />
        </Form.Item>
        <Form.Item>
          <Button type="primary" htmlType="submit" data-testid="audit-filter">
            筛选
          </Button>
        </Form.Item>
      </Form>
      {error && <Alert type="error" showIcon className="yb-gap" title={error} />}
      <Table<AuditRow>
        className="yb-gap"
        size="small"
        rowKey="id"
        loading={loading}
        dataSource={rows}
        pagination={false}
        data-testid="audit-table"
        columns={[
          { title: '编号', dataIndex: 'id' },
          { title: '时间', dataIndex: 'at', render: (t: string) => new Date(t).toLocaleString('zh-CN', { hour12: false }) },
          { title: '经办人', dataIndex: 'actor', render: (a: string, r) => `${a}（${label(ROLE_LABELS, r.role)}）` },
          { title: '操作', dataIndex: 'action', render: (a: string) => label(AUDIT_ACTIONS, a) },
          { title: '对象', dataIndex: 'entity', render: (e: string, r) => `${label(AUDIT_ENTITIES, e)} ${r.entity_id ?? ''}` },
          { title: '内容', dataIndex: 'detail', render: (d: unknown) => (d ? <pre className="yb-pre">{typeof d === 'string' ? d : JSON.stringify(d)}</pre> : '') },
        ]}
      />
      <Space className="yb-gap">
        <Button disabled={!cursor.length} onClick={() => setCursor((c) => c.slice(0, -1))}>
          较新
        </Button>
        <Button disabled={rows.length < 50} onClick={() => setCursor((c) => [...c, rows[rows.length - 1].id])} data-testid="audit-older">
          较早
        </Button>
      </Space>
    </Card>
  );
}
