/**
 * `yibao assistance`: 依申请救助 from the command line, against DATABASE_URL or the embedded database.
 *   yibao assistance apply --person 12 --year 2022 --requested 8000.00 --reason 住院负担重 [--doc 发票=scan://1] [--warning 3]
 *   yibao assistance decide 7 --approve|--refuse --reason 材料齐全 [--as jiuzhu]
 *   yibao assistance pay 7 --reference YH-001 --paid-on 2022-12-20 [--as jiuzhu]   (the disbursement of an approved application)
 *   yibao assistance referrals --region 500230 --year 2022 [--json]
 * Exit codes: 0 done; 2 bad arguments (the field named).
 */
import type { Command } from 'commander';
import type { Actor } from '../access/roles.js';
import { InputError } from '../errors.js';
import { PolicyLibrary } from '../policy/loader.js';
import { AssistanceApplications } from '../risk/assistance-applications.js';
import { openDatabase } from '../store/db.js';
import { actorFor } from './actor.js';

const year = (y: string): number => {
  if (!/^\d{4}$/.test(y)) throw new InputError('--year', 'must be a year, e.g. 2022');
  return Number(y);
};

export function assistanceCommands(program: Command): void {
  const cmd = program.command('assistance').description('依申请救助：申请、审批、转介名单');
  const run = async <T>(as: string | undefined, f: (svc: AssistanceApplications, actor: Actor) => Promise<T>): Promise<void> => {
    const lib = PolicyLibrary.load(program.opts<{ policies?: string }>().policies);
    const d = await openDatabase();
    try {
      const out = await f(new AssistanceApplications(d.db, lib), await actorFor(d.db, as));
      process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    } finally {
      await d.close();
    }
  };
  cmd
    .command('apply')
    .description('apply for medical assistance for a person (permission assistance.apply)')
    .requiredOption('--person <id>', 'person id')
    .requiredOption('--year <year>', 'coverage year')
    .requiredOption('--requested <yuan>', 'the documented policy-scope burden, yuan')
    .requiredOption('--reason <text>', 'why the person applies')
    .option('--care-type <type>', 'inpatient (default) or another encounter type the assistance covers')
    .option('--warning <id>', 'the high-burden warning the application comes from')
    .option('--doc <name=reference...>', 'a document: name=reference (repeatable)')
    .option('--as <username>', 'act as this user')
    .action(async (o: { person: string; year: string; requested: string; reason: string; careType?: string; warning?: string; doc?: string[]; as?: string }) => {
      const documents = (o.doc ?? []).map((s) => {
        const i = s.indexOf('=');
        return i < 0 ? { name: s } : { name: s.slice(0, i), reference: s.slice(i + 1) };
      });
      const coverageYear = year(o.year);
      if (!/^\d{1,18}$/.test(o.person)) throw new InputError('--person', 'must be a person id');
      await run(o.as, (svc, actor) => svc.apply(actor, { personId: o.person, coverageYear, requested: o.requested, reason: o.reason, careType: o.careType, warningId: o.warning, documents }));
    });
  cmd
    .command('decide <id>')
    .description('approve (pays within the annual limit left, through the ledger) or refuse an application (permission assistance.decide)')
    .option('--approve', 'approve')
    .option('--refuse', 'refuse')
    .requiredOption('--reason <text>', 'the reason of the decision')
    .option('--as <username>', 'act as this user')
    .action(async (id: string, o: { approve?: boolean; refuse?: boolean; reason: string; as?: string }) => {
      if (!!o.approve === !!o.refuse) throw new InputError('--approve', 'give exactly one of --approve or --refuse');
      await run(o.as, (svc, actor) => svc.decide(actor, id, { approve: !!o.approve, reason: o.reason }));
    });
  cmd
    .command('pay <id>')
    .description('record the payout of an approved application to the person: Dr payable_assistance_recipients / Cr fund_bank; the same payment again writes nothing (permission assistance.decide)')
    .requiredOption('--reference <text>', 'the payment’s bank reference')
    .requiredOption('--paid-on <date>', 'the day it was paid, YYYY-MM-DD')
    .option('--as <username>', 'act as this user')
    .action(async (id: string, o: { reference: string; paidOn: string; as?: string }) => {
      if (!/^\d{1,18}$/.test(id)) throw new InputError('<id>', 'must be an application id');
      if (!/^\d{4}-\d{2}-\d{2}$/.test(o.paidOn)) throw new InputError('--paid-on', 'must be a date written YYYY-MM-DD');
      if (o.reference.trim() === '' || o.reference.length > 100) throw new InputError('--reference', 'must be the payment’s bank reference (1 to 100 characters)');
      await run(o.as, (svc, actor) => svc.payOut(actor, id, { reference: o.reference, paidOn: o.paidOn }));
    });
  cmd
    .command('referrals')
    .description('persons whose burden after the three tiers and assistance stays above the referral thresholds (临时救助、慈善救助)')
    .requiredOption('--region <code>', '6-digit region code')
    .requiredOption('--year <year>', 'coverage year')
    .option('--as <username>', 'act as this user')
    .action(async (o: { region: string; year: string; as?: string }) => {
      if (!/^\d{6}$/.test(o.region)) throw new InputError('--region', 'must be a 6-digit region code');
      const y = year(o.year);
      await run(o.as, (svc, actor) => svc.referrals(actor, o.region, y));
    });
}
