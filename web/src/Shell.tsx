/** The frame: log-in, the menu of the pages the role may use, the page for the path, and what is still loading. */
import { useEffect, useState, type ReactNode } from 'react';
import { Alert, Button, Layout, Menu, Result, Space } from 'antd';
import { api, clearSession, request, setUnauthorizedHandler, storedUser, type SessionUser } from './api';
import { ROLE_LABELS } from './labels';
import { PAGES, pagesFor } from './pages';
import { match, useRouter } from './router';
import { Login } from './pages/Login';
import { Persons } from './pages/Persons';
import { PersonPage } from './pages/PersonPage';
import { PaymentsAndImports } from './pages/Payments';
import { SettlementQuote } from './pages/SettlementQuote';
import { Policy } from './pages/Policy';
import { Funds } from './pages/Funds';
import { DrgPayment } from './pages/DrgPayment';
import { FundRun } from './pages/FundRun';
import { SimReform } from './pages/SimReform';
import { Hospitals } from './pages/Hospitals';
import { SettlementPage } from './pages/SettlementPage';
import { Audit } from './pages/Audit';
import { Progress } from './pages/Progress';
import { HalfMonthly } from './pages/HalfMonthly';
import { RiskWarnings } from './pages/RiskWarnings';
import { FundSupervision } from './pages/FundSupervision';

interface Health {
  demo?: { state: string; stage: string; done: number; total: number; stillLoading?: string[]; message?: string };
}

const STAGES: Record<string, string> = { households: '家庭户', persons: '人员', 'campaign sheets': '村目标', assessment: '参保核定', tiers: '档次', payments: '缴费', 'e-vouchers': '电子凭证激活', settlements: '结算', screening: '基金监管筛查' };
/** what the demo is still loading (/health's stillLoading), as the pages that show it */
const STILL: Record<string, string> = { campaign: '参保进度（人员、参保、缴费、电子凭证）', settlements: '医疗费用结算、基金和医院结算' };

function DemoProgress() {
  const [h, setH] = useState<Health | null>(null);
  useEffect(() => {
    let stop = false;
    let timer: ReturnType<typeof setTimeout>;
    const tick = async () => {
      try {
        const r = await api<Health>('/health');
        if (stop) return;
        setH(r);
        if (r.demo?.state === 'seeding') timer = setTimeout(tick, 3000);
      } catch {
        /* the banner is a hint only */
      }
    };
    void tick();
    return () => {
      stop = true;
      clearTimeout(timer);
    };
  }, []);
  const d = h?.demo;
  if (!d || d.state !== 'seeding') return null;
  const pct = d.total ? Math.floor((d.done / d.total) * 100) : 0;
  const still = (d.stillLoading ?? []).map((k) => STILL[k] ?? k);
  return (
    <Alert
      type="info"
      showIcon
      className="yb-gap"
      title={`演示数据仍在加载：${STAGES[d.stage] ?? d.stage} ${d.done}/${d.total}（${pct}%）。${still.length ? `尚未加载完：${still.join('；')}。` : ''}已加载的数据可以查看，其余页面的数字会随加载增加。`}
    />
  );
}

function pageFor(path: string, user: SessionUser): { key: string; node: ReactNode } | null {
  let m: Record<string, string> | null;
  if ((m = match('/persons/:id', path))) return { key: 'persons', node: <PersonPage id={m.id} user={user} /> };
  if ((m = match('/hospitals/settlements/:id', path))) return { key: 'hospitals', node: <SettlementPage id={m.id} user={user} /> };
  const nodes: Record<string, ReactNode> = {
    '/persons': <Persons user={user} />,
    '/payments': <PaymentsAndImports user={user} />,
    '/quote': <SettlementQuote />,
    '/policy': <Policy />,
    '/funds': <Funds />,
    '/drg': <DrgPayment />,
    '/fund-run': <FundRun user={user} />,
    '/sim': <SimReform />,
    '/hospitals': <Hospitals user={user} />,
    '/audit': <Audit />,
    '/progress': <Progress user={user} />,
    '/reports/half-monthly': <HalfMonthly user={user} />,
    '/risk': <RiskWarnings user={user} />,
    '/supervision': <FundSupervision user={user} />,
  };
  const def = PAGES.find((p) => p.path === path);
  return def && nodes[path] ? { key: def.key, node: nodes[path] } : null;
}

export function Shell() {
  const { path, navigate } = useRouter();
  const [user, setUser] = useState<SessionUser | null>(storedUser);
  useEffect(() => {
    setUnauthorizedHandler(() => {
      clearSession();
      setUser(null);
    });
  }, []);

  if (!user) return <Login onLogin={(u) => { setUser(u); if (path === '/' || path === '/login') navigate(pagesFor(u)[0]?.path ?? '/', { replace: true }); }} />;

  const allowed = pagesFor(user);
  const target = path === '/' || path === '/login' ? null : pageFor(path, user);
  if (!target && (path === '/' || path === '/login') && allowed[0]) {
    queueMicrotask(() => navigate(allowed[0].path, { replace: true }));
  }
  const permitted = target && allowed.some((p) => p.key === target.key);

  const logout = async () => {
    try {
      await request('/api/v1/session', { method: 'DELETE' });
    } catch {
      /* logged out locally anyway */
    }
    clearSession();
    setUser(null);
    navigate('/', { replace: true });
  };

  return (
    <Layout className="yb-layout">
      <Layout.Header className="yb-header">
        <span className="yb-brand">城乡居民医保</span>
        <Menu
          theme="dark"
          mode="horizontal"
          selectedKeys={target ? [target.key] : []}
          items={allowed.map((p) => ({ key: p.key, label: <a href={p.path} onClick={(e) => { e.preventDefault(); navigate(p.path); }}>{p.title}</a> }))}
        />
        <Space className="yb-user">
          <span data-testid="whoami">
            {user.username} · {ROLE_LABELS[user.role] ?? user.role}
            {user.villages.length ? `（${user.villages.join('、')}）` : ''}
            {user.hospitalCode ? `（${user.hospitalCode}）` : ''}
          </span>
          <Button size="small" onClick={() => void logout()}>
            退出
          </Button>
        </Space>
      </Layout.Header>
      <Layout.Content className="yb-content">
        <DemoProgress />
        <div className="yb-gap">
          {target && permitted ? (
            target.node
          ) : target ? (
            <Result status="403" title="无权访问" subTitle={`角色「${ROLE_LABELS[user.role]}」不能使用此页面。`} />
          ) : path === '/' || path === '/login' ? null : (
            <Result status="404" title="没有这个页面" extra={<Button onClick={() => navigate('/')}>回到首页</Button>} />
          )}
        </div>
      </Layout.Content>
    </Layout>
  );
}
