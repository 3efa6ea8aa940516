/**
 * 缴费与导入: record one payment (validated here, the server's 400 shown at its field), and
 * import files — persons, needy statuses (registers.write), the employee-insurance list
 * (campaign.run) — with a progress bar, the counts and the error report to download.
 */
import { useState } from 'react';
import { Alert, Button, Card, Col, DatePicker, Descriptions, Form, Input, InputNumber, Progress, Radio, Row, Select, Table, Upload } from 'antd';
import type { Dayjs } from 'dayjs';
import { api, saveBlob, type SessionUser } from '../api';
import { CHANNEL_LABELS, ENROLLMENT_STATES, codeLabel, fieldLabel, label, translateMessage, yuan } from '../labels';
import { may } from '../pages';
import { showAtField } from '../parts/forms';
import { uploadFile } from '../parts/upload';
import type { Enrollment } from './PersonPage';

interface PaymentForm {
  reference: string;
  channel: string;
  by: 'enrollment' | 'idNumber';
  enrollmentId?: string;
  idNumber?: string;
  coverageYear?: number;
  amountYuan: number;
  paidOn: Dayjs;
}

interface PaymentResult {
  paymentId: string;
  reference: string;
  channel: string;
  amountYuan: number;
  paidOn: string;
  replayed: boolean;
  enrollment: Enrollment;
  newbornsFollowing: string[];
}

function RecordPayment() {
  const [form] = Form.useForm<PaymentForm>();
  const [result, setResult] = useState<PaymentResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const by = Form.useWatch('by', form) ?? 'idNumber';
  const submit = async (v: PaymentForm) => {
    setBusy(true);
    setError(null);
    setResult(null);
    const body = {
      reference: v.reference.trim(),
      channel: v.channel,
      ...(v.by === 'enrollment' ? { enrollmentId: v.enrollmentId!.trim() } : { idNumber: v.idNumber!.trim().toUpperCase(), coverageYear: v.coverageYear }),
      amountYuan: v.amountYuan,
      paidOn: v.paidOn.format('YYYY-MM-DD'),
    };
    try {
      setResult(await api<PaymentResult>('/api/v1/payments', { body }));
    } catch (e) {
      if (!showAtField(form, e)) setError((e as Error).message);
      else setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card title="登记缴费" data-testid="payment-card">
      <Form<PaymentForm> form={form} layout="vertical" initialValues={{ channel: 'offline', by: 'idNumber', coverageYear: 2022 }} onFinish={(v) => void submit(v)}>
        <Form.Item name="reference" label="缴费流水号" rules={[{ required: true, whitespace: true, message: '请填写缴费流水号' }, { max: 100, message: '至多100个字符' }]}>
          <Input placeholder="渠道的交易流水号；同一流水号只记一次" data-testid="pay-reference" />
        </Form.Item>
        <Form.Item name="channel" label="缴费渠道" rules={[{ required: true }]}>
          <Select options={Object.entries(CHANNEL_LABELS).map(([value, l]) => ({ value, label: l }))} />
        </Form.Item>
        <Form.Item name="by" label="缴费人">
          <Radio.Group options={[{ value: 'idNumber', label: '按身份证号和年度' }, { value: 'enrollment', label: '按参保登记号' }]} />
        </Form.Item>
        {by === 'enrollment' ? (
          <Form.Item name="enrollmentId" label="参保登记号" rules={[{ required: true, message: '请填写参保登记号' }, { pattern: /^\d+$/, message: '参保登记号为数字' }]}>
            <Input />
          </Form.Item>
        ) : (
          <Row gutter={12}>
            <Col span={16}>
              <Form.Item name="idNumber" label="身份证号" rules={[{ required: true, message: '请填写身份证号' }, { pattern: /^\d{17}[\dXx]$/, message: '须为18位公民身份号码' }]}>
                <Input maxLength={18} data-testid="pay-id" />
              </Form.Item>
            </Col>
            <Col span={8}>
              <Form.Item name="coverageYear" label="待遇年度" rules={[{ required: true, message: '请填写年度' }]}>
                <InputNumber min={2000} max={2100} precision={0} className="yb-full" />
              </Form.Item>
            </Col>
          </Row>
        )}
        <Row gutter={12}>
          <Col span={12}>
            <Form.Item name="amountYuan" label="金额（元）" rules={[{ required: true, message: '请填写金额' }]} extra="须等于应缴金额（按缴费日期重新测算）">
              <InputNumber min={0.01} max={100000} precision={2} className="yb-full" data-testid="pay-amount" />
            </Form.Item>
          </Col>
          <Col span={12}>
            <Form.Item name="paidOn" label="缴费日期" rules={[{ required: true, message: '请选择缴费日期' }]}>
              <DatePicker className="yb-full" data-testid="pay-date" />
            </Form.Item>
          </Col>
        </Row>
        <Button type="primary" htmlType="submit" loading={busy} data-testid="pay-submit">
          登记
        </Button>
      </Form>
      {error && <Alert type="error" showIcon className="yb-gap" title={error} data-testid="pay-error" />}
      {result && (
        <Alert
          type="success"
          showIcon
          className="yb-gap"
          data-testid="pay-result"
          title={result.replayed ? `该流水号已登记过（缴费 ${result.paymentId}），未重复记账` : `已登记缴费 ${result.paymentId}`}
          description={`${result.enrollment.name} ${result.enrollment.coverageYear} 年度：${label(ENROLLMENT_STATES, result.enrollment.state)}，已缴 ${yuan(result.enrollment.paidYuan)} 元，待遇享受期 ${result.enrollment.benefitPeriod ? `${result.enrollment.benefitPeriod.start} 至 ${result.enrollment.benefitPeriod.end}` : '—'}${result.newbornsFollowing.length ? `；随其参保的新生儿 ${result.newbornsFollowing.length} 人` : ''}`}
        />
      )}
    </Card>
  );
}

type ImportKind = 'persons' | 'statuses' | 'employee-insurance' | 'payments';

const KINDS: { kind: ImportKind; title: string; columns: string; needs: 'registers.write' | 'campaign.run' | 'payments.write' }[] = [
  { kind: 'payments', title: '缴费文件', columns: '流水号, 渠道（线上/线下/税务/医疗救助）, 身份证号, 年度（或 参保登记号）, 金额, 缴费日期；同一流水号只记一次', needs: 'payments.write' },
  { kind: 'persons', title: '人员名册', columns: '身份证号, 姓名, 性别, 出生日期, 村(居)代码 或 村名, 户号, 人员类别, 毕业年份', needs: 'registers.write' },
  { kind: 'statuses', title: '困难身份名单', columns: '身份证号, 身份类别, 认定部门, 起始日期, 终止日期, 文号', needs: 'registers.write' },
  { kind: 'employee-insurance', title: '职工医保参保名单', columns: '身份证号, 年度（列出的人员标记为重复参保，未缴费的登记被拦截）', needs: 'campaign.run' },
];

interface ImportAnswer {
  batchId?: string;
  importBatchId?: string;
  rows: number;
  inserted?: number;
  updated?: number;
  unchanged?: number;
  added?: number;
  recorded?: number;
  replayed?: number;
  refused?: number;
  flagged?: number;
  blocked?: number;
  paidFlagged?: number;
  bad: number;
  problems: { line: number; field: string; reason?: string; message?: string; idNumber?: string; kind?: string }[];
  errorReport?: string | null;
  errorReportComplete?: boolean;
  previousImports?: { batchId: string; at: string; by: string }[];
}

function csvCell(v: unknown): string {
  const s = String(v ?? '');
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function Imports({ user }: { user: SessionUser }) {
  const kinds = KINDS.filter((k) => may(user, k.needs));
  const [kind, setKind] = useState<ImportKind>(kinds[0]?.kind ?? 'persons');
  const [year, setYear] = useState<number | null>(2022);
  const [file, setFile] = useState<File | null>(null);
  const [pct, setPct] = useState<number | null>(null);
  const [phase, setPhase] = useState<'idle' | 'uploading' | 'processing' | 'done' | 'failed'>('idle');
  const [answer, setAnswer] = useState<ImportAnswer | null>(null);
  const [error, setError] = useState<string | null>(null);
  if (!kinds.length) return null;
  const def = KINDS.find((k) => k.kind === kind)!;

  const start = async () => {
    if (!file) {
      setError('请先选择 CSV 或 XLSX 文件');
      return;
    }
    if (!/\.(csv|xlsx)$/i.test(file.name)) {
      setError('「文件类型」：只接受 .csv 或 .xlsx 文件');
      return;
    }
    setError(null);
    setAnswer(null);
    setPct(0);
    setPhase('uploading');
    const q = new URLSearchParams({ fileName: file.name });
    if (kind === 'employee-insurance' && year) q.set('year', String(year));
    try {
      const a = await uploadFile<ImportAnswer>(`/api/v1/imports/${kind}?${q}`, file, (sent, total) => {
        setPct(Math.min(100, Math.round((sent / Math.max(total, 1)) * 100)));
        if (sent >= total) setPhase('processing');
      });
      setAnswer(a);
      setPhase('done');
    } catch (e) {
      setError((e as Error).message);
      setPhase('failed');
    }
  };

  const report = (): void => {
    if (!answer) return;
    const text =
      answer.errorReport ??
      ['line,field,reason,idNumber', ...answer.problems.map((p) => [p.line, p.field, `${p.kind === 'refused' ? 'refused: ' : ''}${p.reason ?? p.message ?? ''}`, p.idNumber ?? ''].map(csvCell).join(','))].join('\n');
    saveBlob(new Blob(['\uFEFF', text], { type: 'text/csv;charset=utf-8' }), `${kind}-${answer.batchId ?? answer.importBatchId ?? 'import'}-errors.csv`);
  };

  return (
    <Card title="导入文件" data-testid="import-card">
      <Form layout="vertical">
        <Form.Item label="导入内容">
          <Radio.Group value={kind} onChange={(e) => { setKind(e.target.value as ImportKind); setAnswer(null); setPhase('idle'); }} options={kinds.map((k) => ({ value: k.kind, label: k.title }))} data-testid="import-kind" />
        </Form.Item>
        <div className="yb-muted">列：{def.columns}。可用中文列名或英文标识。</div>
        {kind === 'employee-insurance' && (
          <Form.Item label="年度（文件无“年度”列时）" className="yb-gap">
            <InputNumber min={2000} max={2100} precision={0} value={year} onChange={(v) => setYear(v)} />
          </Form.Item>
        )}
        <Form.Item className="yb-gap">
          <Upload
            accept=".csv,.xlsx"
            maxCount={1}
            beforeUpload={(f) => {
              setFile(f);
              setAnswer(null);
              setPhase('idle');
              return false;
            }}
            onRemove={() => setFile(null)}
            fileList={file ? [{ uid: '1', name: file.name, status: 'done' }] : []}
          >
            <Button data-testid="import-choose">选择文件</Button>
          </Upload>
        </Form.Item>
        <Button type="primary" onClick={() => void start()} loading={phase === 'uploading' || phase === 'processing'} data-testid="import-start">
          开始导入
        </Button>
      </Form>
      {pct !== null && phase !== 'idle' && (
        <div className="yb-gap" data-testid="import-progress">
          <Progress percent={phase === 'done' ? 100 : pct} status={phase === 'failed' ? 'exception' : phase === 'done' ? 'success' : 'active'} />
          <div className="yb-muted">{phase === 'uploading' ? '正在上传…' : phase === 'processing' ? '已上传，服务器正在校验和写入…' : phase === 'done' ? '导入完成' : '导入失败：文件未写入'}</div>
        </div>
      )}
      {error && <Alert type="error" showIcon className="yb-gap" title={error} description={phase === 'failed' ? '整个文件被拒绝，没有写入任何数据。' : undefined} data-testid="import-error" />}
      {answer && (
        <div className="yb-gap" data-testid="import-result">
          <Descriptions
            size="small"
            bordered
            column={4}
            items={[
              { label: '行数', children: answer.rows },
              ...(answer.recorded !== undefined
                ? [{ label: '已登记', children: answer.recorded }, { label: '此前已登记（同流水号）', children: answer.replayed }, { label: '被拒绝', children: answer.refused }]
                : answer.inserted !== undefined
                  ? [{ label: '新增', children: answer.inserted }, { label: '更新', children: answer.updated }, { label: '无变化', children: answer.unchanged }]
                  : [{ label: '新列入名单', children: answer.added }, { label: '标记人员', children: answer.flagged }, { label: '拦截登记', children: answer.blocked }, { label: '无变化', children: answer.unchanged }]),
              { label: '错误行', children: <span data-testid="import-bad">{answer.bad}</span> },
            ]}
          />
          {answer.previousImports && answer.previousImports.length > 0 && <Alert type="info" showIcon className="yb-gap" title={`同一文件此前已导入 ${answer.previousImports.length} 次；相同的行不会重复写入。`} />}
          {answer.bad + (answer.refused ?? 0) > 0 && (
            <>
              <Alert
                type="warning"
                showIcon
                className="yb-gap"
                title={`${answer.bad} 行有错误${answer.refused ? `、${answer.refused} 行被业务规则拒绝` : ''}，这些行未写入；其余正确的行已写入。改正后可再次导入同一文件${kind === 'payments' ? '（已登记的流水号不会重复记账）' : '（相同的行不会重复写入）'}。`}
                action={<Button onClick={report} data-testid="import-report">下载错误报告</Button>}
              />
              <Table
                className="yb-gap"
                size="small"
                rowKey={(r) => `${r.line}-${r.field}`}
                dataSource={answer.problems}
                pagination={{ pageSize: 10 }}
                data-testid="import-problems"
                columns={[
                  { title: '行号', dataIndex: 'line' },
                  { title: '列', dataIndex: 'field', render: (f: string, r) => (r.kind === 'refused' ? codeLabel(f) : fieldLabel(f)) },
                  { title: '原因', render: (_: unknown, r) => `${r.kind === 'refused' ? '【拒绝】' : ''}${translateMessage(r.reason ?? r.message ?? '', r.kind === 'refused' ? r.field : undefined)}` },
                  { title: '身份证号', dataIndex: 'idNumber' },
                ]}
              />
            </>
          )}
        </div>
      )}
    </Card>
  );
}

export function PaymentsAndImports({ user }: { user: SessionUser }) {
  return (
    <Row gutter={16}>
      {may(user, 'payments.write') && (
        <Col xs={24} lg={10}>
          <RecordPayment />
        </Col>
      )}
      <Col xs={24} lg={may(user, 'payments.write') ? 14 : 24}>
        <Imports user={user} />
      </Col>
    </Row>
  );
}
