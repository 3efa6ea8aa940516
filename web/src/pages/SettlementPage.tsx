/** One settlement: setlinfo and setldetail by fund as stored, the trace, and reversal for roles that may settle. */
import { useState } from 'react';
import { Alert, App, Button, Card, Descriptions, Popconfirm, Space, Tag } from 'antd';
import { api, type SessionUser } from '../api';
import { ENCOUNTER_LABELS, label, yuan } from '../labels';
import { useApi } from '../parts/useApi';
import { Link } from '../router';
import type { SettlementSummary } from './PersonPage';
import { SettlementResult, type SettlementAnswer } from './SettlementQuote';

interface Reversal {
  reversed: { settlementId: string; encounterId: string };
  alsoReversed: string[];
  resettled: { encounterId: string; from: string; to: string }[];
}

export function SettlementPage({ id, user }: { id: string; user: SessionUser }) {
  const { data: s, error, loading, reload } = useApi<SettlementSummary & { result: SettlementAnswer }>(`/api/v1/settlements/${encodeURIComponent(id)}`);
  const { message } = App.useApp();
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<Reversal | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const mayReverse = user.role === 'admin' || user.role === 'hospital';
  const reverse = async () => {
    setBusy(true);
    setFailure(null);
    try {
      const r = await api<Reversal>(`/api/v1/settlements/${id}/reverse`, { body: {} });
      setDone(r);
      void message.success(`结算 ${id} 已冲正`);
      reload();
    } catch (e) {
      setFailure((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  if (error) return <Alert type="error" showIcon title={error} />;
  if (!s) return <Card loading={loading} />;
  return (
    <Space orientation="vertical" className="yb-full">
      <Card
        title={<span data-testid="settlement-title">结算 {s.id}</span>}
        extra={
          <Space>
            <Link to={`/hospitals?hospital=${s.hospitalCode}`}>返回医院结算</Link>
            {mayReverse && !s.reversedAt && (
              <Popconfirm title="冲正这笔结算？" description="该患者本年度此后的结算会依次冲正并重新结算，基金记账同时冲回。" okText="冲正" cancelText="取消" onConfirm={() => void reverse()}>
                <Button danger loading={busy} data-testid="reverse">
                  冲正
                </Button>
              </Popconfirm>
            )}
          </Space>
        }
      >
        <Descriptions
          size="small"
          column={3}
          items={[
            { label: '就诊', children: s.encounterId },
            { label: '患者', children: s.personId ? `${s.person.name} ${s.person.idNumber}` : '—' },
            { label: '医疗机构', children: s.hospitalCode },
            { label: '就诊日期', children: s.encounterDate },
            { label: '类型', children: label(ENCOUNTER_LABELS, s.encounterType) },
            { label: '年度', children: s.coverageYear },
            { label: '结算时间', children: `${new Date(s.settledAt).toLocaleString('zh-CN', { hour12: false })}（${s.settledBy}）` },
            { label: '状态', children: s.reversedAt ? <Tag color="red">已冲正（{s.reversedBy}）</Tag> : <Tag color="green">有效</Tag> },
            { label: '基金支付', children: yuan(s.fundTotal) },
          ]}
        />
        {failure && <Alert type="error" showIcon className="yb-gap" title={failure} />}
        {done && <Alert type="success" showIcon className="yb-gap" title={`已冲正；同时冲正 ${done.alsoReversed.length} 笔后续结算，重新结算 ${done.resettled.length} 笔。`} />}
      </Card>
      {s.result && <SettlementResult a={s.result} />}
    </Space>
  );
}
