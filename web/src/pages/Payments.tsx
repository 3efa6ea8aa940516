/**
 * 缴费与导入: record one payment (validated here, the server's 400 shown at its field), and
 * import files — payments row by row and the tax bureau's and banks' payment files in batches
 * (payments.write), persons, needy statuses (registers.write), the employee-insurance list
 * (campaign.run), village targets and e-voucher activations (campaign.write) — each kind shown
 * only to a role with its permission, with a progress bar, the counts and the error report (in
 * Chinese) to download.
 */
import { useState } from 'react';
import { Alert, Button, Card, Col, DatePicker, Descriptions, Form, Input, InputNumber, Progress, Radio, Row, Select, Table, Upload } from 'antd';
import type { Dayjs } from 'dayjs';
import { api, saveBlob, type SessionUser } from '../api';
import { CHANNEL_LABELS, ENROLLMENT_STATES, codeLabel, fieldLabel, label, translateMessage, yuan } from '../labels';
import { may, type Permission } from '../pages';
import { useAreas } from '../parts/areas';
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

type ImportKind = 'payments' | 'payment-files' | 'persons' | 'statuses' | 'employee-insurance' | 'targets' | 'evouchers';

/** What a kind's form asks besides the file: the year, the township, the default channel. */
type ImportOption = 'year' | 'town' | 'channel';

interface ImportKindDef {
  kind: ImportKind;
  title: string;
  url: string;
  columns: string;
  needs: Permission;
  options: ImportOption[];
  /** the year picker's label (what the year is for) */
  yearLabel?: string;
}

const KINDS: ImportKindDef[] = [
  { kind: 'payments', title: '缴费文件', url: '/api/v1/imports/payments', columns: '流水号, 渠道（线上/线下/税务/医疗救助）, 身份证号, 年度（或 参保登记号）, 金额, 缴费日期；同一流水号只记一次', needs: 'payments.write', options: [] },
  {
    kind: 'payment-files',
    title: '税务/银行缴费文件（批量）',
    url: '/api/v1/monitoring/imports/payment-files',
    columns: '流水号（或 电子税票号码、交易流水号）, 身份证号, 缴费金额, 缴费日期（或 入库日期、交易日期）, 缴费渠道（线上/线下/银行/税务/医疗救助，空则用下面的默认渠道）, 年度（空则用下面的年度）, 姓名（可选，须与登记一致）；每笔按缴费日期重新测算应缴金额，同一流水号只记一次，整个文件一次写入',
    needs: 'payments.write',
    options: ['channel', 'year'],
    yearLabel: '待遇年度（文件无“年度”列时；不选则按缴费日期所属的征缴年度）',
  },
  { kind: 'persons', title: '人员名册', url: '/api/v1/imports/persons', columns: '身份证号, 姓名, 性别, 出生日期, 村(居)代码 或 村名, 户号, 人员类别, 毕业年份', needs: 'registers.write', options: [] },
  { kind: 'statuses', title: '困难身份名单', url: '/api/v1/imports/statuses', columns: '身份证号, 身份类别, 认定部门, 起始日期, 终止日期, 文号', needs: 'registers.write', options: [] },
  { kind: 'employee-insurance', title: '职工医保参保名单', url: '/api/v1/imports/employee-insurance', columns: '身份证号, 年度（列出的人员标记为重复参保，未缴费的登记被拦截）', needs: 'campaign.run', options: ['year'], yearLabel: '年度（文件无“年度”列时）' },
  {
    kind: 'targets',
    title: '村目标分解表',
    url: '/api/v1/monitoring/imports/targets',
    columns: '村(社区) 或 区划代码, 应参保人数, 电子凭证激活目标（可选）, 年度（空则用下面的年度）；“合计”行须等于各村之和；只能导入本人经办范围内的村',
    needs: 'campaign.write',
    options: ['year', 'town'],
    yearLabel: '参保年度（文件无“年度”列时）',
  },
  { kind: 'evouchers', title: '电子凭证激活名单', url: '/api/v1/monitoring/imports/evouchers', columns: '身份证号, 激活日期, 激活渠道（微信/支付宝/国家医保服务平台APP/银行APP/线下，可空）, 姓名（可选，须与登记一致）；同一人保留最早的激活日期', needs: 'campaign.write', options: [] },
];

/** The default channel of a payment file's rows without one (a tax bureau's file: 税务; a bank's: 线下). */
const DEFAULT_CHANNELS = [
  { value: 'tax_bureau', label: '税务代征（税务局文件）' },
  { value: 'offline', label: '线下缴费（银行代收文件）' },
  { value: 'online', label: '线上缴费' },
  { value: 'medical_assistance', label: '医疗救助资助' },
  { value: '', label: '不设默认（每行须有渠道）' },
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
  newbornsFollowing?: number;
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

/** The townships (and the county) the user may see, for the 镇 of a targets sheet whose villages are named, not coded. */
function TownPicker({ value, onChange }: { value: string | undefined; onChange: (v: string | undefined) => void }) {
  const { areas, error } = useAreas();
  const towns = areas.filter((a) => a.level === 'township' || a.level === 'county');
  return (
    <Form.Item label="所在镇（按村名导入时，村名在此镇内查找；按区划代码导入可不选）" className="yb-gap" validateStatus={error ? 'error' : undefined} help={error ?? undefined}>
      <Select
        allowClear
        placeholder="不指定"
        value={value}
        onChange={(v: string | undefined) => onChange(v)}
        options={towns.map((a) => ({ value: a.code, label: `${a.name}（${a.code}）${a.level === 'county' ? '（全县）' : ''}` }))}
        data-testid="import-town"
        className="yb-full"
      />
    </Form.Item>
  );
}

/** The counts an answer gives, as the kind's route counts them. */
function countsOf(kind: ImportKind, a: ImportAnswer): { label: string; value: number | undefined }[] {
  if (kind === 'payments') return [{ label: '已登记', value: a.recorded }, { label: '此前已登记（同流水号）', value: a.replayed }, { label: '被拒绝', value: a.refused }];
  if (kind === 'payment-files')
    return [{ label: '已登记', value: a.inserted }, { label: '此前已登记（同流水号）', value: a.replayed }, { label: '被拒绝', value: a.refused }, { label: '随监护人参保的新生儿', value: a.newbornsFollowing }];
  if (kind === 'employee-insurance') return [{ label: '新列入名单', value: a.added }, { label: '标记人员', value: a.flagged }, { label: '拦截登记', value: a.blocked }, { label: '无变化', value: a.unchanged }];
  return [{ label: '新增', value: a.inserted }, { label: '更新', value: a.updated }, { label: '无变化', value: a.unchanged }];
}

/** Rows wrong in themselves; a payment file counts the rows refused by the rules among its bad rows. */
const badOnly = (kind: ImportKind, a: ImportAnswer): number => (kind === 'payment-files' ? a.bad - (a.refused ?? 0) : a.bad);

function Imports({ user }: { user: SessionUser }) {
  const kinds = KINDS.filter((k) => may(user, k.needs));
  const [kind, setKind] = useState<ImportKind>(kinds[0]?.kind ?? 'persons');
  const [year, setYear] = useState<number | null>(2022);
  const [town, setTown] = useState<string | undefined>(undefined);
  const [channel, setChannel] = useState<string>('tax_bureau');
  const [file, setFile] = useState<File | null>(null);
  const [pct, setPct] = useState<number | null>(null);
  const [phase, setPhase] = useState<'idle' | 'uploading' | 'processing' | 'done' | 'failed'>('idle');
  const [answer, setAnswer] = useState<ImportAnswer | null>(null);
  // the kind the answer is of (the kind picked may change after)
  const [answerKind, setAnswerKind] = useState<ImportKind>(kind);
  const [error, setError] = useState<string | null>(null);
  if (!kinds.length) return null;
  const def = KINDS.find((k) => k.kind === kind)!;
  const asks = (o: ImportOption) => def.options.includes(o);

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
    if (asks('year') && year) q.set('year', String(year));
    if (asks('town') && town) q.set('town', town);
    if (asks('channel') && channel) q.set('channel', channel);
    try {
      const a = await uploadFile<ImportAnswer>(`${def.url}?${q}`, file, (sent, total) => {
        setPct(Math.min(100, Math.round((sent / Math.max(total, 1)) * 100)));
        if (sent >= total) setPhase('processing');
      });
      setAnswer(a);
      setAnswerKind(kind);
      setPhase('done');
    } catch (e) {
      setError((e as Error).message);
      setPhase('failed');
    }
  };

  const reasonText = (p: ImportAnswer['problems'][number]): string =>
    `${p.kind === 'refused' ? '【拒绝】' : ''}${translateMessage(p.reason ?? p.message ?? '', p.kind === 'refused' ? p.field : undefined)}`;
  const report = (): void => {
    if (!answer) return;
    // in Chinese, the server's words beside, whenever the answer lists every problem; the server's own
    // (longer) report only where the answer's list was cut short (the registers' imports say which)
    const text =
      answer.errorReport && answer.errorReportComplete === false
        ? answer.errorReport
        : ['行号,列,原因,身份证号,原文', ...answer.problems.map((p) => [p.line, p.kind === 'refused' ? codeLabel(p.field) : fieldLabel(p.field), reasonText(p), p.idNumber ?? '', `${p.kind === 'refused' ? 'refused: ' : ''}${p.reason ?? p.message ?? ''}`].map(csvCell).join(','))].join('\n');
    saveBlob(new Blob(['\uFEFF', text], { type: 'text/csv;charset=utf-8' }), `${answerKind}-${answer.batchId ?? answer.importBatchId ?? 'import'}-errors.csv`);
  };
  const bad = answer ? badOnly(answerKind, answer) : 0;
  const refused = answer?.refused ?? 0;

  return (
    <Card title="导入文件" data-testid="import-card">
      <Form layout="vertical">
        <Form.Item label="导入内容">
          <Radio.Group value={kind} onChange={(e) => { setKind(e.target.value as ImportKind); setAnswer(null); setPhase('idle'); setError(null); }} options={kinds.map((k) => ({ value: k.kind, label: k.title }))} data-testid="import-kind" />
        </Form.Item>
        <div className="yb-muted" data-testid="import-columns">列：{def.columns}。可用中文列名或英文标识。</div>
        {asks('channel') && (
          <Form.Item label="默认缴费渠道（行中“缴费渠道”为空时）" className="yb-gap">
            <Select value={channel} onChange={(v: string) => setChannel(v)} options={DEFAULT_CHANNELS} data-testid="import-channel" className="yb-full" />
          </Form.Item>
        )}
        {asks('year') && (
          <Form.Item label={def.yearLabel ?? '年度'} className="yb-gap">
            <InputNumber min={2000} max={2100} precision={0} value={year} onChange={(v) => setYear(v)} data-testid="import-year" />
          </Form.Item>
        )}
        {asks('town') && <TownPicker value={town} onChange={setTown} />}
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
              ...countsOf(answerKind, answer).map((c) => ({ label: c.label, children: c.value ?? '—' })),
              { label: '错误行', children: <span data-testid="import-bad">{bad}</span> },
            ]}
          />
          {answer.previousImports && answer.previousImports.length > 0 && <Alert type="info" showIcon className="yb-gap" title={`同一文件此前已导入 ${answer.previousImports.length} 次；相同的行不会重复写入。`} />}
          {bad + refused > 0 && (
            <>
              <Alert
                type="warning"
                showIcon
                className="yb-gap"
                title={`${bad} 行有错误${refused ? `、${refused} 行被业务规则拒绝` : ''}，这些行未写入；其余正确的行已写入。改正后可再次导入同一文件${answerKind === 'payments' || answerKind === 'payment-files' ? '（已登记的流水号不会重复记账）' : '（相同的行不会重复写入）'}。`}
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
                  { title: '原因', render: (_: unknown, r) => reasonText(r) },
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
