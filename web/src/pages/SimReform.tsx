/**
 * 测算与改革: a simulated coverage year (a job: POST /api/v1/sim/jobs, its progress polled and shown
 * as a bar; the same engine as POST /api/v1/sim/runs) of a generated population (persons,
 * seed) or of the registers, under the region's pack, with a reform — a shipped one (the
 * Chongqing 2022 → 2023 example, the hypothetical one) or one written here as (parameter path,
 * value, from date) rows — run on the same draws; the baseline and reform side by side with
 * the differences and charts; then the fund projected years ahead from the simulated year (POST
 * /api/v1/sim/project {simulation}) with the first year a bottom line is crossed. Both download
 * as XLSX (the same requests with ?format=xlsx). A run shows how long it has been running.
 */
import { useEffect, useRef, useState } from 'react';
import { Alert, Button, Card, Col, Form, Input, InputNumber, Progress, Radio, Row, Select, Space, Spin, Statistic, Table, Tag } from 'antd';
import { api, request, saveBlob } from '../api';
import { yuan } from '../labels';
import { Chart, type ChartOption } from '../parts/Chart';
import { useApi } from '../parts/useApi';

interface Change {
  path: string;
  value: unknown;
  from: string;
}
interface ShippedReform {
  id: string;
  name: string;
  baseline: string;
  hypothetical: boolean;
  changes: Change[];
}
interface Flow {
  income: number;
  spending: number;
}
interface Summary {
  year: number;
  persons: number;
  enrolled: number;
  encounters: number;
  funds: { basicFund: Flow; criticalIllnessFund: Flow; medicalAssistanceFund: Flow };
  months: { month: string; basicFund: Flow }[];
  outOfPocketByGroup: { group: string; persons: number; outOfPocketFen: number }[];
  highBurden: { count: number };
  examplesUsed: string[];
}
interface Simulation {
  packId: string;
  year: number;
  source: string;
  baseline: Summary;
  reform: { name: string; hypothetical: boolean; summary: Summary; differences: { what: string; baselineFen: number; reformFen: number; differenceFen: number; difference: number }[] } | null;
}
interface Projection {
  years: { year: number; persons: number; income: number; spending: number; surplus: number; balance: number; reserveMonths: number | null; alerts: { code: string; message: string }[] }[];
  firstCrossings: { code: string; year: number; message: string; cite: string | null; quote: string | null }[];
  examplesUsed: { assumption: string; example: string }[];
  baseFrom: { rule: string; base: { balance: number; contributionPerPerson: number; subsidyPerPerson: number } } | null;
}

const WHAT: Record<string, string> = {
  'basicFund.income': '基本医保基金收入',
  'basicFund.spending': '基本医保基金支出',
  'basicFund.balance': '基本医保基金当年结余',
  'criticalIllnessFund.income': '大病保险收入',
  'criticalIllnessFund.spending': '大病保险支出',
  'criticalIllnessFund.balance': '大病保险当年结余',
  'medicalAssistanceFund.income': '医疗救助收入',
  'medicalAssistanceFund.spending': '医疗救助支出',
  'medicalAssistanceFund.balance': '医疗救助当年结余',
  'income.contributions': '个人缴费',
  'income.assistance': '医疗救助资助参保',
  'assistance.spending': '医疗救助支出合计',
  'tiers.basicFund': '基本医保支付',
  'tiers.criticalIllness': '大病保险支付',
  'tiers.medicalAssistance': '医疗救助支付',
  'tiers.outOfPocket': '个人负担',
  'highBurden.count': '高额负担人数',
};
const whatLabel = (w: string) => WHAT[w] ?? w.replace(/^subsidy\./, '财政补助·').replace(/^outOfPocket\./, '个人负担·');

async function post(path: string, body: unknown, xlsx: string | null): Promise<unknown> {
  if (!xlsx) return api(path, { body });
  const res = await request(`${path}?format=xlsx`, { body });
  saveBlob(await res.blob(), xlsx);
  return null;
}

interface SimJob {
  id: string;
  state: 'running' | 'done' | 'failed';
  stage: string | null;
  done: number;
  total: number;
  percent: number;
  error: { field: string | null; message: string } | null;
  result: Simulation | null;
}

const STAGES: Record<string, string> = { baseline: '基线', reform: '改革' };
const sleep = (ms: number) => new Promise((r) => window.setTimeout(r, ms));

/** A simulation as a job: started (POST /api/v1/sim/jobs), its progress polled, its result read. */
async function runJob(body: unknown, onProgress: (j: SimJob) => void): Promise<Simulation> {
  let j = await api<SimJob>('/api/v1/sim/jobs', { body });
  onProgress(j);
  while (j.state === 'running') {
    await sleep(300);
    j = await api<SimJob>(`/api/v1/sim/jobs/${j.id}`);
    onProgress(j);
  }
  if (j.state === 'failed' || !j.result) throw new Error(j.error?.message ?? '模拟失败');
  return j.result;
}

function useElapsed(running: boolean): number {
  const [s, setS] = useState(0);
  const t = useRef<number | null>(null);
  useEffect(() => {
    if (!running) return;
    const start = Date.now();
    setS(0);
    t.current = window.setInterval(() => setS(Math.floor((Date.now() - start) / 1000)), 500);
    return () => {
      if (t.current) window.clearInterval(t.current);
    };
  }, [running]);
  return s;
}

export function SimReform() {
  const reforms = useApi<{ reforms: ShippedReform[] }>('/api/v1/sim/reforms');
  const [source, setSource] = useState<'generated' | 'registers'>('generated');
  const [persons, setPersons] = useState(5000);
  const [seed, setSeed] = useState(20220101);
  const [reformId, setReformId] = useState<string>('chongqing-2022-2023');
  const [custom, setCustom] = useState<Change[]>([{ path: 'contribution.default.tier1', value: 380, from: '2022-01-01' }]);
  const [sim, setSim] = useState<Simulation | null>(null);
  const [proj, setProj] = useState<Projection | null>(null);
  const [years, setYears] = useState(10);
  const [use, setUse] = useState<'baseline' | 'reform'>('baseline');
  const [running, setRunning] = useState(false);
  const [job, setJob] = useState<SimJob | null>(null);
  const [error, setError] = useState<string | null>(null);
  const elapsed = useElapsed(running);

  const chosen = reforms.data?.reforms.find((r) => r.id === reformId);
  const packId = chosen?.baseline ?? '500230/2022';
  const region = packId.slice(0, 6);
  const year = Number(packId.slice(7));
  const reformBody = () => (reformId === 'custom' ? { name: '自定义改革（假设）', baseline: '500230/2022', hypothetical: true, changes: custom.map((c) => ({ ...c, value: Number.isFinite(Number(c.value)) && String(c.value).trim() !== '' ? Number(c.value) : c.value })) } : reformId === 'none' ? undefined : reformId);
  const simBody = () => ({ region, year, source, ...(source === 'generated' ? { persons, seed } : {}), ...(reformBody() ? { reform: reformBody() } : {}) });

  const run = async (xlsx: boolean) => {
    setRunning(true);
    setError(null);
    try {
      if (xlsx) await post('/api/v1/sim/runs', simBody(), `模拟-${packId.replace('/', '-')}.xlsx`);
      else {
        setJob(null);
        const r = await runJob(simBody(), setJob);
        setSim(r);
        setProj(null);
      }
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setRunning(false);
    }
  };
  const project = async (xlsx: boolean) => {
    if (!sim) return;
    setRunning(true);
    setError(null);
    try {
      const r = await post('/api/v1/sim/project', { region: '370000', years, simulation: sim, use: sim.reform ? use : 'baseline' }, xlsx ? `基金测算-${sim.year}.xlsx` : null);
      if (r) setProj(r as Projection);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setRunning(false);
    }
  };

  const funds = ['basicFund', 'criticalIllnessFund', 'medicalAssistanceFund'] as const;
  const fundNames = { basicFund: '基本医保', criticalIllnessFund: '大病保险', medicalAssistanceFund: '医疗救助' };
  const compare: ChartOption | null = sim && {
    legend: { data: ['基线', '改革'], top: 0, right: 10 },
    tooltip: { trigger: 'axis', renderMode: 'richText' },
    grid: { left: 90, right: 20, top: 40, bottom: 30 },
    xAxis: { type: 'category', data: funds.flatMap((f) => [`${fundNames[f]}收入`, `${fundNames[f]}支出`]) },
    yAxis: { type: 'value', name: '元' },
    series: [
      { name: '基线', type: 'bar', data: funds.flatMap((f) => [sim.baseline.funds[f].income, sim.baseline.funds[f].spending]) },
      ...(sim.reform ? [{ name: '改革', type: 'bar', data: funds.flatMap((f) => [sim.reform!.summary.funds[f].income, sim.reform!.summary.funds[f].spending]) }] : []),
    ],
  };
  const projChart: ChartOption | null = proj && {
    legend: { data: ['收入', '支出', '累计结余', '可支付月数'], top: 0, right: 10 },
    tooltip: { trigger: 'axis', renderMode: 'richText' },
    grid: { left: 100, right: 60, top: 40, bottom: 30 },
    xAxis: { type: 'category', data: proj.years.map((y) => String(y.year)) },
    yAxis: [
      { type: 'value', name: '元' },
      { type: 'value', name: '月' },
    ],
    series: [
      { name: '收入', type: 'bar', data: proj.years.map((y) => y.income) },
      { name: '支出', type: 'bar', data: proj.years.map((y) => y.spending) },
      { name: '累计结余', type: 'line', data: proj.years.map((y) => y.balance) },
      { name: '可支付月数', type: 'line', yAxisIndex: 1, data: proj.years.map((y) => y.reserveMonths) },
    ],
  };

  return (
    <Row gutter={[16, 16]}>
      <Col span={24}>
        <Card title="模拟一个参保年度">
          <Form layout="inline">
            <Form.Item label="人群">
              <Radio.Group value={source} onChange={(e) => setSource(e.target.value)} data-testid="sim-source">
                <Radio value="generated">按随机种子生成</Radio>
                <Radio value="registers">登记库人员与结算</Radio>
              </Radio.Group>
            </Form.Item>
            {source === 'generated' && (
              <>
                <Form.Item label="人数">
                  <InputNumber min={1} max={200000} value={persons} onChange={(v) => v && setPersons(v)} data-testid="sim-persons" />
                </Form.Item>
                <Form.Item label="随机种子">
                  <InputNumber min={0} value={seed} onChange={(v) => v !== null && setSeed(v)} data-testid="sim-seed" />
                </Form.Item>
              </>
            )}
            <Form.Item label="改革方案">
              <Select
                value={reformId}
                onChange={setReformId}
                style={{ width: 340 }}
                data-testid="sim-reform"
                options={[
                  { value: 'none', label: '不模拟改革（仅基线）' },
                  ...(reforms.data?.reforms ?? []).map((r) => ({ value: r.id, label: `${r.name}${r.hypothetical ? '（假设）' : ''}` })),
                  { value: 'custom', label: '自定义：参数路径 / 取值 / 起始日期' },
                ]}
              />
            </Form.Item>
          </Form>
          <div className="yb-muted yb-gap">政策包 {packId}；改革与基线用同一人群、同一随机抽样。</div>
          {chosen && (
            <Table
              size="small"
              className="yb-gap"
              rowKey={(c) => `${c.path}|${c.from}`}
              pagination={false}
              dataSource={chosen.changes}
              data-testid="reform-changes"
              columns={[
                { title: '参数路径', dataIndex: 'path' },
                { title: '取值', dataIndex: 'value', render: (v: unknown) => JSON.stringify(v) },
                { title: '起始日期', dataIndex: 'from' },
              ]}
            />
          )}
          {reformId === 'custom' && (
            <Space direction="vertical" className="yb-gap" data-testid="reform-custom">
              {custom.map((c, i) => (
                <Space key={i}>
                  <Input value={c.path} placeholder="参数路径" style={{ width: 320 }} onChange={(e) => setCustom(custom.map((x, j) => (j === i ? { ...x, path: e.target.value } : x)))} />
                  <Input value={String(c.value)} placeholder="取值" style={{ width: 120 }} onChange={(e) => setCustom(custom.map((x, j) => (j === i ? { ...x, value: e.target.value } : x)))} />
                  <Input value={c.from} placeholder="YYYY-MM-DD" style={{ width: 130 }} onChange={(e) => setCustom(custom.map((x, j) => (j === i ? { ...x, from: e.target.value } : x)))} />
                  <Button onClick={() => setCustom(custom.filter((_, j) => j !== i))}>删除</Button>
                </Space>
              ))}
              <Button onClick={() => setCustom([...custom, { path: '', value: '', from: `${year}-01-01` }])}>添加参数</Button>
            </Space>
          )}
          <Space className="yb-gap">
            <Button type="primary" loading={running} onClick={() => run(false)} data-testid="sim-run">
              运行模拟
            </Button>
            <Button disabled={running} onClick={() => run(true)} data-testid="sim-xlsx">
              下载 XLSX
            </Button>
          </Space>
          {job && (
            <div className="yb-gap" data-testid="sim-progress">
              <Progress percent={job.percent} status={job.state === 'failed' ? 'exception' : job.state === 'done' ? 'success' : 'active'} />
              <span className="yb-muted" data-testid="sim-progress-text">
                {job.state === 'running' ? `计算中：${job.stage ? `${STAGES[job.stage] ?? job.stage} ${job.done.toLocaleString('zh-CN')} / ${job.total.toLocaleString('zh-CN')} 人` : '准备人群与就诊'}，已用时 ${elapsed} 秒` : job.state === 'done' ? '模拟完成' : '模拟失败'}
              </span>
            </div>
          )}
          {running && !job && (
            <div className="yb-gap">
              <Spin size="small" /> <span className="yb-muted">计算中，已用时 {elapsed} 秒</span>
            </div>
          )}
          {error && <Alert className="yb-gap" type="error" showIcon title={error} />}
        </Card>
      </Col>
      {sim && (
        <>
          <Col xs={24} md={6}>
            <Card>
              <Statistic title="模拟人数" value={sim.baseline.persons} data-testid="sim-persons-out" />
            </Card>
          </Col>
          <Col xs={24} md={6}>
            <Card>
              <Statistic title="参保人数" value={sim.baseline.enrolled} />
            </Card>
          </Col>
          <Col xs={24} md={6}>
            <Card>
              <Statistic title="就诊人次" value={sim.baseline.encounters} />
            </Card>
          </Col>
          <Col xs={24} md={6}>
            <Card>
              <Statistic title="基本医保基金当年结余（元）" value={sim.baseline.funds.basicFund.income - sim.baseline.funds.basicFund.spending} precision={2} data-testid="sim-basic-balance" />
            </Card>
          </Col>
          <Col span={24}>
            <Card title={sim.reform ? `基线与改革：${sim.reform.name}${sim.reform.hypothetical ? '（假设方案）' : ''}` : '基线'}>
              {compare && <Chart option={compare} testId="sim-chart" />}
              {sim.reform && (
                <Table
                  size="small"
                  className="yb-gap"
                  rowKey="what"
                  pagination={false}
                  dataSource={sim.reform.differences}
                  data-testid="sim-differences"
                  columns={[
                    { title: '项目', dataIndex: 'what', render: whatLabel },
                    { title: '基线', render: (_: unknown, d) => (d.what === 'highBurden.count' ? d.baselineFen : yuan(d.baselineFen / 100)), align: 'right' },
                    { title: '改革', render: (_: unknown, d) => (d.what === 'highBurden.count' ? d.reformFen : yuan(d.reformFen / 100)), align: 'right' },
                    { title: '差异', render: (_: unknown, d) => (d.what === 'highBurden.count' ? d.differenceFen : yuan(d.difference)), align: 'right' },
                  ]}
                />
              )}
              <div className="yb-gap">
                {sim.baseline.examplesUsed.map((e) => (
                  <Tag key={e} color="orange">
                    示例：{e}
                  </Tag>
                ))}
              </div>
            </Card>
          </Col>
          <Col span={24}>
            <Card title="以模拟年度为基准年的基金测算（山东两条底线）">
              <Space>
                <span>年数</span>
                <InputNumber min={1} max={100} value={years} onChange={(v) => v && setYears(v)} data-testid="proj-years" />
                {sim.reform && (
                  <Radio.Group value={use} onChange={(e) => setUse(e.target.value)}>
                    <Radio value="baseline">基线</Radio>
                    <Radio value="reform">改革</Radio>
                  </Radio.Group>
                )}
                <Button type="primary" loading={running} onClick={() => project(false)} data-testid="proj-run">
                  测算
                </Button>
                <Button disabled={running} onClick={() => project(true)} data-testid="proj-xlsx">
                  下载 XLSX
                </Button>
              </Space>
              {proj && (
                <>
                  {proj.baseFrom && <div className="yb-muted yb-gap">{proj.baseFrom.rule}</div>}
                  <div className="yb-gap" data-testid="proj-crossings">
                    {proj.firstCrossings.length === 0 ? (
                      <Tag color="green">测算期内未触及底线</Tag>
                    ) : (
                      proj.firstCrossings.map((c) => (
                        <Alert
                          key={c.code}
                          type="warning"
                          showIcon
                          title={`${c.year} 年首次触及底线：${c.message}`}
                          description={`${c.cite ?? ''} ${c.quote ?? ''}`}
                        />
                      ))
                    )}
                  </div>
                  {projChart && <Chart option={projChart} testId="proj-chart" />}
                  <Table
                    size="small"
                    rowKey="year"
                    pagination={false}
                    dataSource={proj.years}
                    data-testid="proj-table"
                    columns={[
                      { title: '年度', dataIndex: 'year' },
                      { title: '参保人数', dataIndex: 'persons', align: 'right' },
                      { title: '收入（元）', dataIndex: 'income', align: 'right', render: yuan },
                      { title: '支出（元）', dataIndex: 'spending', align: 'right', render: yuan },
                      { title: '当期结余（元）', dataIndex: 'surplus', align: 'right', render: yuan },
                      { title: '累计结余（元）', dataIndex: 'balance', align: 'right', render: yuan },
                      { title: '可支付月数', dataIndex: 'reserveMonths', align: 'right', render: (v: number | null) => (v === null ? '—' : v.toFixed(2)) },
                    ]}
                  />
                  <div className="yb-gap">
                    {proj.examplesUsed.map((e) => (
                      <Tag key={e.assumption} color="orange">
                        示例：{e.example}
                      </Tag>
                    ))}
                  </div>
                </>
              )}
            </Card>
          </Col>
        </>
      )}
    </Row>
  );
}
