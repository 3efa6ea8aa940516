/**
 * The console's pages, the permission each needs (the server's grants, src/access/roles.ts,
 * sent with the log-in), and the menu. The menu shows a role only the pages it may use; a page opened by
 * URL without the permission says so instead of calling the API.
 */
import type { SessionUser } from './api';

export type Permission =
  | 'registers.read'
  | 'payments.write'
  | 'registers.write'
  | 'campaign.run'
  | 'campaign.write'
  | 'campaign.read'
  | 'settlement.read'
  | 'ledger.read'
  | 'audit.read'
  | 'fund.read'
  | 'sim.run'
  | 'risk.read'
  | 'risk.hits.read'
  | 'public';

/** Whether the user's role has the permission, as the server said at log-in (GET /api/v1/me says the same). */
export function may(user: SessionUser | null, p: Permission): boolean {
  if (p === 'public') return true;
  return !!user && (user.permissions ?? []).includes(p);
}

export interface PageDef {
  key: string;
  path: string;
  title: string;
  /** any one of these */
  needs: Permission[];
}

export const PAGES: PageDef[] = [
  // the first page a role may use is its start page
  { key: 'progress', path: '/progress', title: '参保进度', needs: ['campaign.read'] },
  { key: 'report', path: '/reports/half-monthly', title: '半月通报', needs: ['campaign.read'] },
  { key: 'persons', path: '/persons', title: '人员', needs: ['registers.read'] },
  { key: 'payments', path: '/payments', title: '缴费与导入', needs: ['payments.write', 'registers.write', 'campaign.run', 'campaign.write'] },
  { key: 'quote', path: '/quote', title: '报销测算', needs: ['public'] },
  { key: 'policy', path: '/policy', title: '政策', needs: ['public'] },
  { key: 'funds', path: '/funds', title: '基金', needs: ['ledger.read'] },
  { key: 'hospitals', path: '/hospitals', title: '医院结算', needs: ['settlement.read'] },
  { key: 'audit', path: '/audit', title: '审计', needs: ['audit.read'] },
  { key: 'drg', path: '/drg', title: 'DRG付费', needs: ['ledger.read'] },
  { key: 'fund-run', path: '/fund-run', title: '基金运行', needs: ['fund.read'] },
  { key: 'sim', path: '/sim', title: '测算与改革', needs: ['sim.run'] },
  { key: 'risk', path: '/risk', title: '风险预警', needs: ['risk.read'] },
  { key: 'supervision', path: '/supervision', title: '基金监管', needs: ['risk.hits.read'] },
];

export const pagesFor = (user: SessionUser | null): PageDef[] => PAGES.filter((p) => p.needs.some((n) => may(user, n)));
