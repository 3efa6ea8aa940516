/**
 * The roles of the system and what each may do: routes name the permission they need, and
 * records are checked against the caller's scope (a clerk's villages or townships, a
 * hospital's own encounters). Pure definitions; the log-in and tokens are in auth.ts.
 */
import { ForbiddenError, UnauthorizedError } from '../errors.js';

export const ROLES = ['admin', 'policy_officer', 'clerk', 'hospital', 'auditor', 'finance', 'medical_assistance'] as const;
export type Role = (typeof ROLES)[number];

/** What each role may do. Routes name the permission they need; scope is checked per record. */
export const PERMISSIONS = {
  'registers.read': ['admin', 'policy_officer', 'clerk', 'auditor'],
  'registers.write': ['admin', 'clerk'],
  'campaign.read': ['admin', 'policy_officer', 'clerk', 'auditor'],
  'campaign.write': ['admin', 'clerk'],
  'campaign.run': ['admin', 'policy_officer'],
  'payments.write': ['admin', 'clerk'],
  'settlement.read': ['admin', 'policy_officer', 'hospital', 'auditor'],
  'settlement.write': ['admin', 'hospital'],
  // finance reads the ledger too: balances by fund, income and spending, payable to hospitals (the 基金 page)
  'ledger.read': ['admin', 'policy_officer', 'auditor', 'finance'],
  'ledger.write': ['admin'],
  'audit.read': ['admin', 'auditor'],
  // the fund (issue #17): read by those who read the ledger and by finance; finance approves clearing and records money moved
  'fund.read': ['admin', 'policy_officer', 'auditor', 'finance'],
  'fund.write': ['admin', 'finance'],
  'fund.approve': ['finance'],
  'sim.run': ['admin', 'policy_officer', 'finance'],
  'users.admin': ['admin'],
  'session': ['admin', 'policy_officer', 'clerk', 'hospital', 'auditor', 'finance', 'medical_assistance'],
  // risk (issue #18): warnings and coverage gaps (a clerk: their villages), screening and its cases, assistance on application
  'risk.read': ['admin', 'policy_officer', 'clerk', 'auditor', 'finance', 'medical_assistance'],
  'risk.cases.read': ['admin', 'policy_officer', 'auditor'],
  'risk.screen': ['admin', 'policy_officer'],
  'assistance.apply': ['admin', 'clerk', 'medical_assistance'],
  'assistance.decide': ['admin', 'medical_assistance'],
  // the catalogue (医保目录, issue #16 item 5): read by those who settle or check settlements, imported by an admin
  'catalogue.read': ['admin', 'policy_officer', 'hospital', 'auditor'],
  'catalogue.write': ['admin'],
  // screening hits (a clerk: their villages' only) and moving a case on
  'risk.hits.read': ['admin', 'policy_officer', 'clerk', 'auditor'],
  'risk.cases.review': ['admin', 'policy_officer'],
  // cross-area settlement (issue #20): filings (异地就医备案: a clerk for their villages' persons) and the monthly clearing (清算)
  'areas.read': ['admin', 'policy_officer', 'clerk', 'auditor', 'finance'],
  'areas.filing': ['admin', 'clerk'],
  'areas.clearing': ['admin', 'finance'],
} as const satisfies Record<string, readonly Role[]>;
export type Permission = keyof typeof PERMISSIONS;

export interface Actor {
  userId: string;
  username: string;
  role: Role;
  /** clerk: admin-area codes (villages or townships) they may touch */
  villages: readonly string[];
  hospitalCode: string | null;
}

/** The system itself (demo seeding, migrations): audited under this name. */
export const SYSTEM: Actor = { userId: '0', username: 'system', role: 'admin', villages: [], hospitalCode: null };

/** Every permission the role has (the console shows a role only the pages these allow). */
export function permissionsOf(role: Role): Permission[] {
  return (Object.keys(PERMISSIONS) as Permission[]).filter((p) => (PERMISSIONS[p] as readonly string[]).includes(role));
}

export function can(actor: Actor, p: Permission): boolean {
  return (PERMISSIONS[p] as readonly string[]).includes(actor.role);
}

export function requirePermission(actor: Actor | null, p: Permission): Actor {
  if (!actor) throw new UnauthorizedError();
  if (!can(actor, p)) throw new ForbiddenError(`role ${actor.role} may not ${p.replace('.', ' ')}`);
  return actor;
}

/** Whether the actor may touch a record in this village (clerks: their own villages or townships only). */
export function inScope(actor: Actor, villageCode: string): boolean {
  if (actor.role !== 'clerk') return actor.role !== 'hospital';
  return actor.villages.some((v) => villageCode.startsWith(v));
}

export function requireVillage(actor: Actor, villageCode: string): void {
  if (!inScope(actor, villageCode)) throw new ForbiddenError(`village ${villageCode} is outside ${actor.username}'s area`);
}

export function requireHospital(actor: Actor, hospitalCode: string): void {
  if (actor.role === 'hospital' && actor.hospitalCode !== hospitalCode) throw new ForbiddenError(`hospital ${actor.hospitalCode} may only see its own encounters`);
}
