/**
 * 报销测算: an encounter (fee lines or totals) through the three tiers with
 * POST /api/v1/quotes/settlement: the split of the costs, what the basic fund, 大病保险 and
 * 医疗救助 each pay and why (setldetail with its process text), and the trace citing each rule.
 */
import { useState } from 'react';
import { Alert, Button, Card, Col, DatePicker, Descriptions, Form, InputNumber, Radio, Row, Select, Space, Switch, Table, Input } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { api } from '../api';
import { ENCOUNTER_LABELS, LEVEL_LABELS, SETLINFO_LABELS, STATUS_LABELS, TIER_LABELS, yuan } from '../labels';
import { showAtField } from '../parts/forms';
import { formField } from './quote-fields';
import { Trace, type TraceStep } from '../parts/Trace';
import { useApi } from '../parts/useApi';

interface PackRow {
  id: string;
  name: string;
  region: string;
  regionName: string;
  year: number;
}

interface Fee {
  catalogClass: string;
  amount: number;
  selfPayRatio?: string;
  priceLimit?: number;
}

interface QuoteForm {
  region: string;
  coverageYear: number;
  tier?: string;
  statuses: string[];
  encounter: { type: string; date: Dayjs; hospitalLevel: string; location: string; referred: boolean; disease?: string; setting?: string };
  mode: 'fees' | 'costs';
  fees: Fee[];
  costs: { total: number; fullOwnPay: number; overLimitSelfPay: number; preSelfPay: number; inScope: number };
}

export interface SettlementAnswer {
  settledAs: string | null;
  cashReason: { code: string; message: string } | null;
  costs: Record<string, number>;
  deductiblePaid: number;
  basicRatio: string | null;
  basicFund: number;
  criticalIllness: number;
  medicalAssistance: number;
  fundTotal: number;
  personalCash: number;
  setlinfo: Record<string, number>;
  setldetail: { fund_pay_type: string; fund_pay_type_name: string; inscp_scp_amt: number; crt_payb_lmt_amt: number | null; fund_payamt: number; setl_proc_info: string }[];
  examplesUsed: string[];
  trace: TraceStep[];
  accumulators?: { before: Record<string, unknown>; after: Record<string, unknown> };
}


export function SettlementResult({ a }: { a: SettlementAnswer }) {
  return (
    <Space orientation="vertical" className="yb-full" data-testid="settlement-result">
      {a.cashReason && <Alert type="warning" showIcon title={`按现金结算：${a.cashReason.message}（${a.cashReason.code}）`} />}
      <Descriptions
        bordered
        size="small"
        column={3}
        items={[
          { label: '医疗费总额', children: <b data-testid="r-total">{yuan(a.costs.total)}</b> },
          { label: '基本医保统筹支付', children: <b data-testid="r-basic">{yuan(a.basicFund)}</b> },
          { label: '大病保险支付', children: <b data-testid="r-ci">{yuan(a.criticalIllness)}</b> },
          { label: '医疗救助支付', children: <b data-testid="r-ma">{yuan(a.medicalAssistance)}</b> },
          { label: '基金支付合计', children: yuan(a.fundTotal) },
          { label: '个人现金支付', children: <b data-testid="r-cash">{yuan(a.personalCash)}</b> },
          { label: '起付线', children: yuan(a.deductiblePaid) },
          { label: '统筹支付比例', children: a.basicRatio ?? '—' },
          { label: '政策范围内费用', children: yuan(a.costs.inScope) },
        ]}
      />
      <Card size="small" title="各项基金支付（setldetail）">
        <Table
          size="small"
          rowKey={(r) => r.fund_pay_type + r.setl_proc_info}
          pagination={false}
          dataSource={a.setldetail}
          columns={[
            { title: '基金', dataIndex: 'fund_pay_type_name', render: (n: string, r) => `${n}（${r.fund_pay_type}）` },
            { title: '计算基数', dataIndex: 'inscp_scp_amt', render: yuan, align: 'right' },
            { title: '剩余限额', dataIndex: 'crt_payb_lmt_amt', render: yuan, align: 'right' },
            { title: '支付金额', dataIndex: 'fund_payamt', render: yuan, align: 'right' },
            { title: '计算过程', dataIndex: 'setl_proc_info' },
          ]}
        />
      </Card>
      <Card size="small" title="结算信息（setlinfo）">
        <Descriptions size="small" column={3} items={Object.entries(a.setlinfo).map(([k, v]) => ({ label: `${SETLINFO_LABELS[k] ?? k}`, children: <span className="yb-num" title={k}>{k === 'pool_prop_selfpay' ? String(v) : yuan(v)}</span> }))} />
      </Card>
      {a.examplesUsed.length > 0 && <Alert type="warning" showIcon title={`用到的示例值（通知未规定，不是政策）：${a.examplesUsed.join('、')}`} />}
      <Card size="small" title="依据（逐步计算与所引条款）">
        <Trace steps={a.trace} testId="settlement-trace" />
      </Card>
    </Space>
  );
}

export function SettlementQuote() {
  const packs = useApi<PackRow[]>('/api/v1/packs');
  const [form] = Form.useForm<QuoteForm>();
  const [answer, setAnswer] = useState<SettlementAnswer | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const mode = Form.useWatch('mode', form) ?? 'fees';
  const type = Form.useWatch(['encounter', 'type'], form);
  const regions = [...new Map((packs.data ?? []).map((p) => [p.region, p.regionName])).entries()];

  const submit = async (v: QuoteForm) => {
    setBusy(true);
    setError(null);
    setAnswer(null);
    const e = v.encounter;
    const body = {
      region: v.region,
      coverageYear: v.coverageYear,
      ...(v.tier ? { tier: v.tier } : {}),
      person: { statuses: v.statuses ?? [] },
      encounter: {
        type: e.type,
        ...(e.type === 'maternity' ? { setting: e.setting ?? 'inpatient' } : {}),
        date: e.date.format('YYYY-MM-DD'),
        hospitalLevel: e.hospitalLevel,
        location: e.location,
        referred: e.referred,
        ...(e.disease ? { disease: e.disease.trim() } : {}),
        ...(v.mode === 'fees'
          ? { fees: v.fees.map((f) => ({ catalogClass: f.catalogClass, amount: f.amount, ...(f.selfPayRatio ? { selfPayRatio: f.selfPayRatio } : {}), ...(f.priceLimit ? { priceLimit: f.priceLimit } : {}) })) }
          : { costs: v.costs }),
      },
    };
    try {
      setAnswer(await api<SettlementAnswer>('/api/v1/quotes/settlement', { body }));
    } catch (err) {
      showAtField(form, err, formField);
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Row gutter={16}>
      <Col xs={24} xl={10}>
        <Card title="报销测算（不写入任何记录）">
          <Form<QuoteForm>
            form={form}
            layout="vertical"
            onFinish={(v) => void submit(v)}
            initialValues={{
              region: '500230',
              coverageYear: 2022,
              tier: 'tier1',
              statuses: [],
              mode: 'fees',
              encounter: { type: 'inpatient', date: dayjs('2022-03-01'), hospitalLevel: 'secondary', location: 'in_area', referred: true },
              fees: [
                { catalogClass: '甲', amount: 20000 },
                { catalogClass: '乙', amount: 10000, selfPayRatio: '10%' },
                { catalogClass: '丙', amount: 1500 },
              ],
              costs: { total: 0, fullOwnPay: 0, overLimitSelfPay: 0, preSelfPay: 0, inScope: 0 },
            }}
          >
            <Row gutter={8}>
              <Col span={10}>
                <Form.Item name="region" label="统筹区" rules={[{ required: true, message: '请选择统筹区' }]}>
                  <Select showSearch optionFilterProp="label" options={regions.map(([code, n]) => ({ value: code, label: `${n}（${code}）` }))} data-testid="q-region" />
                </Form.Item>
              </Col>
              <Col span={7}>
                <Form.Item name="coverageYear" label="待遇年度" rules={[{ required: true, message: '请填写年度' }]}>
                  <InputNumber min={2000} max={2100} precision={0} className="yb-full" />
                </Form.Item>
              </Col>
              <Col span={7}>
                <Form.Item name="tier" label="档次">
                  <Select allowClear placeholder="无档次" options={Object.entries(TIER_LABELS).map(([value, l]) => ({ value, label: l }))} data-testid="q-tier" />
                </Form.Item>
              </Col>
            </Row>
            <Form.Item name="statuses" label="困难身份">
              <Select mode="multiple" allowClear placeholder="无" optionFilterProp="label" options={Object.entries(STATUS_LABELS).filter(([k]) => k !== 'rural_low_income').map(([value, l]) => ({ value, label: l }))} />
            </Form.Item>
            <Row gutter={8}>
              <Col span={8}>
                <Form.Item name={['encounter', 'type']} label="就诊类型" rules={[{ required: true }]}>
                  <Select options={Object.entries(ENCOUNTER_LABELS).map(([value, l]) => ({ value, label: l }))} />
                </Form.Item>
              </Col>
              <Col span={8}>
                <Form.Item name={['encounter', 'date']} label="就诊（入院）日期" rules={[{ required: true, message: '请选择日期' }]}>
                  <DatePicker className="yb-full" />
                </Form.Item>
              </Col>
              <Col span={8}>
                <Form.Item name={['encounter', 'hospitalLevel']} label="医院等级" rules={[{ required: true }]}>
                  <Select options={Object.entries(LEVEL_LABELS).map(([value, l]) => ({ value, label: l }))} />
                </Form.Item>
              </Col>
            </Row>
            <Row gutter={8}>
              <Col span={10}>
                <Form.Item name={['encounter', 'location']} label="就医地">
                  <Select options={[{ value: 'in_area', label: '统筹区内' }, { value: 'in_province', label: '省内异地' }, { value: 'out_of_province', label: '跨省异地' }]} />
                </Form.Item>
              </Col>
              <Col span={6}>
                <Form.Item name={['encounter', 'referred']} label="规范转诊" valuePropName="checked">
                  <Switch />
                </Form.Item>
              </Col>
              <Col span={8}>
                {type === 'chronic_special_outpatient' ? (
                  <Form.Item name={['encounter', 'disease']} label="病种代码" rules={[{ required: true, message: '门诊慢特病须填写病种' }]}>
                    <Input />
                  </Form.Item>
                ) : type === 'maternity' ? (
                  <Form.Item name={['encounter', 'setting']} label="门诊/住院" initialValue="inpatient">
                    <Select options={[{ value: 'inpatient', label: '住院' }, { value: 'outpatient', label: '门诊' }]} />
                  </Form.Item>
                ) : null}
              </Col>
            </Row>
            <Form.Item name="mode" label="费用录入">
              <Radio.Group options={[{ value: 'fees', label: '费用明细（甲/乙/丙）' }, { value: 'costs', label: '已分类的合计' }]} />
            </Form.Item>
            {mode === 'fees' ? (
              <Form.List name="fees" rules={[{ validator: async (_r, v: Fee[]) => { if (!v?.length) throw new Error('至少一条费用'); } }]}>
                {(fields, { add, remove }, { errors }) => (
                  <>
                    {fields.map((f) => (
                      <Row gutter={6} key={f.key}>
                        <Col span={5}>
                          <Form.Item name={[f.name, 'catalogClass']} rules={[{ required: true, message: '类别' }]}>
                            <Select options={['甲', '乙', '丙'].map((c) => ({ value: c, label: `${c}类` }))} />
                          </Form.Item>
                        </Col>
                        <Col span={7}>
                          <Form.Item name={[f.name, 'amount']} rules={[{ required: true, message: '请填写金额' }]}>
                            <InputNumber min={0} precision={2} placeholder="金额（元）" className="yb-full" />
                          </Form.Item>
                        </Col>
                        <Col span={5}>
                          <Form.Item name={[f.name, 'selfPayRatio']} rules={[{ pattern: /^\d{1,3}(\.\d+)?%$/, message: '如 10%' }]}>
                            <Input placeholder="先行自付%" />
                          </Form.Item>
                        </Col>
                        <Col span={5}>
                          <Form.Item name={[f.name, 'priceLimit']}>
                            <InputNumber min={0} precision={2} placeholder="限价" className="yb-full" />
                          </Form.Item>
                        </Col>
                        <Col span={2}>
                          <Button onClick={() => remove(f.name)}>删</Button>
                        </Col>
                      </Row>
                    ))}
                    <Button onClick={() => add({ catalogClass: '甲', amount: 0 })}>增加一条费用</Button>
                    <Form.ErrorList errors={errors} />
                  </>
                )}
              </Form.List>
            ) : (
              <Row gutter={8}>
                {(['total', 'fullOwnPay', 'overLimitSelfPay', 'preSelfPay', 'inScope'] as const).map((k) => (
                  <Col span={8} key={k}>
                    <Form.Item
                      name={['costs', k]}
                      label={{ total: '医疗费总额', fullOwnPay: '全自费', overLimitSelfPay: '超限价自费', preSelfPay: '先行自付', inScope: '政策范围内' }[k]}
                      rules={[
                        { required: true, message: '请填写' },
                        ...(k === 'total'
                          ? [
                              ({ getFieldValue }: { getFieldValue: (n: (string | number)[]) => number }) => ({
                                validator: async (_r: unknown, v: number) => {
                                  const sum = ['fullOwnPay', 'overLimitSelfPay', 'preSelfPay', 'inScope'].reduce((s, x) => s + Math.round((getFieldValue(['costs', x]) ?? 0) * 100), 0);
                                  if (Math.round(v * 100) !== sum) throw new Error(`总额须等于四项之和 ${(sum / 100).toFixed(2)}`);
                                },
                              }),
                            ]
                          : []),
                      ]}
                    >
                      <InputNumber min={0} precision={2} className="yb-full" />
                    </Form.Item>
                  </Col>
                ))}
              </Row>
            )}
            <Button type="primary" htmlType="submit" loading={busy} className="yb-gap" data-testid="q-submit">
              测算
            </Button>
          </Form>
          {error && <Alert type="error" showIcon className="yb-gap" title={error} data-testid="q-error" />}
        </Card>
      </Col>
      <Col xs={24} xl={14}>{answer ? <SettlementResult a={answer} /> : <Card className="yb-muted">填写左侧就诊信息后点“测算”。</Card>}</Col>
    </Row>
  );
}
