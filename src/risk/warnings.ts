/** Reading the high-burden warnings: per village, with the person (masked), encounters, burden, statuses and the explanation. */
import { sql, type Kysely } from 'kysely';
import { MASKED, type PersonMasking } from '../access/privacy.js';
import { requirePermission, type Actor } from '../access/roles.js';
import { fenToYuan } from '../money.js';
import { STATUS_LABELS, type NeedyStatus } from '../policy/vocabulary.js';
import { BASIS_LABELS, BURDEN_RULE_LABEL, type BurdenWarning } from '../rules/risk/burden.js';
import type { DB } from '../store/schema.js';
import { villageScope } from './scope.js';
import { riskDb } from './tables.js';

export interface WarningQuery {
  year?: number;
  village?: string;
  basis?: 'coverage_year' | 'rolling_12_months';
  limit?: number;
  /** paging: the warnings to skip (in the list's order) */
  offset?: number;
  /** one warning by its id */
  id?: string;
}

export interface WarningView {
  id: string;
  personId: string;
  name: string;
  idNumber: string;
  villageCode: string;
  villageName: string;
  coverageYear: number;
  basis: string;
  /** the rule and its basis by name, e.g. 高额费用负担预警（滚动12个月） */
  ruleLabel: string;
  basisLabel: string;
  periodFrom: string;
  periodTo: string;
  burden: number;
  threshold: number;
  needy: boolean;
  statuses: { code: string; label: string }[];
  encounters: number;
  settlementId: string | null;
  foundBy: string;
  explanation: unknown;
  createdAt: string;
}

/** The warnings in the actor's scope (permission risk.read); persons masked unless `mask` says otherwise (the CLI for the roles that may see them). */
export async function listWarnings(db: Kysely<DB>, actor: Actor, q: WarningQuery = {}, mask: PersonMasking = MASKED): Promise<{ villages: { villageCode: string; villageName: string; warnings: WarningView[] }[]; total: number }> {
  requirePermission(actor, 'risk.read');
  let query = riskDb(db)
    .selectFrom('risk_warning as w')
    .innerJoin('person as p', 'p.id', 'w.person_id')
    .innerJoin('admin_area as a', 'a.code', 'w.village_code')
    .select(['w.id', 'w.person_id', 'p.name', 'p.id_number', 'w.village_code', 'a.name as village_name', 'w.coverage_year', 'w.basis', 'w.period_from', 'w.period_to', 'w.burden_fen', 'w.threshold_fen', 'w.needy', 'w.statuses', 'w.encounters', 'w.settlement_id', 'w.found_by', 'w.explanation', 'w.created_at'])
    .orderBy('w.village_code')
    .orderBy('w.burden_fen', 'desc')
    .orderBy('w.id')
    .limit(q.limit ?? 1000)
    .offset(q.offset ?? 0);
  let count = riskDb(db).selectFrom('risk_warning as w').select(sql<string>`count(*)`.as('n'));
  const scope = villageScope(actor, 'w.village_code');
  if (scope) {
    query = query.where(scope);
    count = count.where(scope);
  }
  if (q.year) {
    query = query.where('w.coverage_year', '=', q.year);
    count = count.where('w.coverage_year', '=', q.year);
  }
  if (q.village) {
    query = query.where('w.village_code', 'like', `${q.village}%`);
    count = count.where('w.village_code', 'like', `${q.village}%`);
  }
  if (q.basis) {
    query = query.where('w.basis', '=', q.basis);
    count = count.where('w.basis', '=', q.basis);
  }
  if (q.id) {
    query = query.where('w.id', '=', q.id);
    count = count.where('w.id', '=', q.id);
  }
  const [rows, n] = await Promise.all([query.execute(), count.executeTakeFirstOrThrow()]);
  const villages = new Map<string, { villageCode: string; villageName: string; warnings: WarningView[] }>();
  for (const r of rows) {
    const v = villages.get(r.village_code) ?? { villageCode: r.village_code, villageName: r.village_name, warnings: [] };
    villages.set(r.village_code, v);
    v.warnings.push({
      id: r.id,
      personId: r.person_id,
      name: mask.name(r.name),
      idNumber: mask.id(r.id_number),
      villageCode: r.village_code,
      villageName: r.village_name,
      coverageYear: r.coverage_year,
      basis: r.basis,
      ruleLabel: BURDEN_RULE_LABEL,
      basisLabel: BASIS_LABELS[r.basis as BurdenWarning['basis']] ?? r.basis,
      periodFrom: String(r.period_from).slice(0, 10),
      periodTo: String(r.period_to).slice(0, 10),
      burden: fenToYuan(Number(r.burden_fen)),
      threshold: fenToYuan(Number(r.threshold_fen)),
      needy: r.needy,
      statuses: r.statuses.map((s) => ({ code: s, label: STATUS_LABELS[s as NeedyStatus] ?? s })),
      encounters: r.encounters,
      settlementId: r.settlement_id,
      foundBy: r.found_by,
      explanation: r.explanation,
      createdAt: new Date(r.created_at as unknown as string).toISOString(),
    });
  }
  return { villages: [...villages.values()], total: Number(n.n) };
}
