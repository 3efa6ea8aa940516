/**
 * `yibao areas up`: three coordinating areas on this machine (异地就医直接结算 on loopback) — a
 * 3-node NATS JetStream cluster and three `yibao serve --area` processes, each its own database
 * (a PGlite directory under --dir, or with DATABASE_URL_<code> a PostgreSQL database of its own).
 * Ctrl-C stops them all.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { ensureConsoleBuilt } from '../http/console-build.js';
import { ConflictError, ForbiddenError, InputError } from '../errors.js';
import { AreaLink, AreaUnreachableError } from '../areas/link.js';
import { FilingDesk } from '../areas/filing-desk.js';
import { ClearingDesk } from '../areas/clearing-desk.js';
import { withAreas } from '../areas/tables.js';
import { openDatabase } from '../store/db.js';
import { AuthService } from '../access/auth.js';
import { natsServerBinary, startNatsNodes, type NatsNodes } from '../areas/nats-nodes.js';
import { SYSTEM, can, type Actor, type Permission } from '../access/roles.js';
import type { Kysely } from 'kysely';
import type { AreasDB } from '../areas/tables.js';
import { actorFor } from './actor.js';

const admdvs = (flag: string, v: string | undefined): string => {
  if (!v || !/^\d{6}$/.test(v)) throw new InputError(flag, 'must be a 6-digit admdvs');
  return v;
};

/** The area's database (DATABASE_URL or the embedded one) and, when asked, its link to the others (no consumer: the running area's service reads its stream). */
async function withArea<T>(o: { area?: string; nats?: string; as?: string }, permission: Permission, needLink: boolean, f: (x: { area: string; db: Kysely<AreasDB>; link: AreaLink | null; actor: Actor }) => Promise<T>): Promise<void> {
  const area = admdvs('--area', o.area ?? process.env.YIBAO_AREA);
  const servers = o.nats ?? process.env.YIBAO_NATS;
  if (needLink && !servers) throw new InputError('--nats', 'the NATS servers of the areas (or YIBAO_NATS) are needed');
  const d = await openDatabase();
  let link: AreaLink | null = null;
  try {
    const actor = await actorFor(d.db, o.as);
    if (!can(actor, permission)) throw new InputError('--as', `role ${actor.role} may not ${permission.replace('.', ' ')}`);
    if (needLink) link = await AreaLink.open({ area, servers: servers!, timeoutMs: 5000 });
    const out = await f({ area, db: withAreas(d.db), link, actor });
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  } catch (e) {
    // out of the user's scope, or the other area not answering: the reason, not a stack
    if (e instanceof ForbiddenError) throw new InputError('--as', e.message);
    if (e instanceof AreaUnreachableError) throw new ConflictError('AREA_UNREACHABLE', `area ${e.area} did not answer (${e.why}); nothing was posted`);
    throw e;
  } finally {
    await link?.close();
    await d.close();
  }
}

/** this CLI's entry (the bin runs it through tsx: the areas are started the same way, from wherever the command runs) */
const CLI = fileURLToPath(new URL('../../bin/yibao.js', import.meta.url));

const AREAS = [
  { code: '500230', name: '丰都县', hospital: 'H50023000001', hospitalName: '丰都县人民医院' },
  { code: '500103', name: '渝中区', hospital: 'H50010300001', hospitalName: '重庆市渝中区人民医院' },
  { code: '500101', name: '万州区', hospital: 'H50010100001', hospitalName: '重庆市万州区人民医院' },
];

export function areasCommands(program: Command): void {
  const areas = program.command('areas').description('cross-area settlement (异地就医直接结算) between coordinating areas');
  areas
    .command('up')
    .description('three areas (500230 丰都县, 500103 渝中区, 500101 万州区) and a 3-node JetStream cluster on loopback')
    .option('--dir <dir>', 'where the databases and the JetStream data live', 'data/areas')
    .option('--port <port>', 'the first area\'s HTTP port (the others follow)', '3100')
    .option('--nats-port <port>', 'the first NATS node\'s client port (cluster ports from +10)', '4322')
    .option('--nats-server <path>', 'the nats-server binary (default: NATS_SERVER, else nats-server from PATH)')
    .option('--demo-people <n>', 'people of the demo town loaded in 丰都县', '2000')
    .action(async (o: { dir: string; port: string; natsPort: string; natsServer?: string; demoPeople: string }) => {
      const port = Number(o.port);
      const np = Number(o.natsPort);
      if (!Number.isInteger(port) || port < 1 || port > 65000) {
        console.error('error: --port must be a port number');
        process.exit(2);
      }
      if (!Number.isInteger(np) || np < 1 || np > 65000) {
        console.error('error: --nats-port must be a port number');
        process.exit(2);
      }
      const dir = resolve(o.dir);
      // the console is built once here, not by three services at once
      try {
        await ensureConsoleBuilt((m) => console.log(m));
      } catch (e) {
        console.error(`the web console could not be built (${(e as Error).message}); the areas serve the API without it`);
      }
      const kids: ChildProcess[] = [];
      let cluster: NatsNodes | null = null;
      const stop = () => {
        for (const k of kids) k.kill('SIGTERM');
        void cluster?.stop();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      // each other area gets a hospital and its HIS interface account, the token in <dir>/<code>/his-token (for the walk-through)
      for (const a of AREAS.slice(1)) {
        const data = join(dir, a.code);
        mkdirSync(data, { recursive: true });
        const url = process.env[`DATABASE_URL_${a.code}`];
        const d = await openDatabase(url ? { url } : { url: '', dataDir: data });
        try {
          const has = await d.db.selectFrom('hospital').select('code').where('code', '=', a.hospital).executeTakeFirst();
          if (!has) {
            await d.db.insertInto('hospital').values({ code: a.hospital, name: a.hospitalName, level: 'tertiary', region: a.code }).execute();
            const auth = new AuthService(d.db);
            const uid = await auth.createUser(SYSTEM, { username: `his-${a.code}`, displayName: a.hospitalName, role: 'hospital', hospitalCode: a.hospital });
            writeFileSync(join(data, 'his-token'), `${await auth.issueApiToken(SYSTEM, uid, 'areas up walk-through')}\n`, { mode: 0o600 });
            // and a finance log-in for the monthly clearing (清算), its password beside the token (for this demo only)
            const password = randomBytes(12).toString('base64url');
            await auth.createUser(SYSTEM, { username: `finance-${a.code}`, displayName: `${a.name}医保基金财务`, role: 'finance', password });
            writeFileSync(join(data, 'finance-password'), `${password}\n`, { mode: 0o600 });
          }
        } finally {
          await d.close();
        }
      }
      try {
        cluster = await startNatsNodes({ nodes: 3, dir, ports: [np, np + 1, np + 2], clusterPorts: [np + 10, np + 11, np + 12], ...(o.natsServer ? { bin: o.natsServer } : {}), stdio: 'inherit' });
      } catch (e) {
        console.error((e as Error).message);
        process.exit(1);
      }
      console.log(`JetStream cluster: ${cluster.urls.join(', ')} (${natsServerBinary(o.natsServer)})`);
      for (const k of cluster.procs) kids.push(k);
      const nats = cluster.urls.join(',');
      // give the cluster a moment to elect its meta leader (the areas retry their stream meanwhile)
      await new Promise((r) => setTimeout(r, 2000));
      AREAS.forEach((a, i) => {
        const data = join(dir, a.code);
        mkdirSync(data, { recursive: true });
        const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port + i), YIBAO_AREA: a.code, YIBAO_NATS: nats, YIBAO_AREA_REPLICAS: '3', YIBAO_DATA: data, YIBAO_DEMO: i === 0 ? (process.env.YIBAO_DEMO ?? 'on') : 'off', YIBAO_DEMO_PEOPLE: o.demoPeople };
        const url = process.env[`DATABASE_URL_${a.code}`];
        if (url) env.DATABASE_URL = url;
        else delete env.DATABASE_URL;
        const k = spawn(process.execPath, [...process.execArgv, CLI, 'serve', '--port', String(port + i), '--area', a.code, '--nats', nats, '--replicas', '3'], { stdio: 'inherit', env });
        kids.push(k);
        console.log(`area ${a.code} ${a.name}: http://127.0.0.1:${port + i}/ (database ${url ? 'DATABASE_URL_' + a.code : data})`);
      });
      await Promise.all(kids.map((k) => new Promise((r) => k.on('exit', r))));
    });

  const areaOpts = (c: Command) => c.option('--area <admdvs>', 'this area (default YIBAO_AREA)').option('--nats <servers>', 'the NATS servers (default YIBAO_NATS)').option('--as <username>', 'act as this user');
  areaOpts(
    areas
      .command('file')
      .description('异地就医备案: file a person of this area for care in another area, sent to its stream (permission areas.filing)')
      .requiredOption('--id-number <id>', 'the person\'s resident ID number')
      .requiredOption('--treat-area <admdvs>', 'where the person will be treated')
      .option('--kind <kind>', 'outpatient, inpatient or all', 'all')
      .requiredOption('--from <date>', 'valid from YYYY-MM-DD')
      .option('--to <date>', 'valid to YYYY-MM-DD')
      .option('--reason <text>', 'why (异地长期居住, 转诊 …)'),
  ).action(async (o: { idNumber: string; treatArea: string; kind: string; from: string; to?: string; reason?: string; area?: string; nats?: string; as?: string }) => {
    await withArea(o, 'areas.filing', true, ({ area, db, link, actor }) => new FilingDesk(area, db, link!).file(actor, { idNumber: o.idNumber, treatArea: o.treatArea, kind: o.kind, validFrom: o.from, validTo: o.to ?? null, reason: o.reason ?? null }));
  });
  areaOpts(
    areas
      .command('withdraw <filingId>')
      .description('withdraw a filing from a day on, as a record of its own, sent to the treating area (permission areas.filing)')
      .requiredOption('--date <date>', 'the filing ends from this day on (YYYY-MM-DD)')
      .requiredOption('--reason <text>', 'why'),
  ).action(async (filingId: string, o: { date: string; reason: string; area?: string; nats?: string; as?: string }) => {
    await withArea(o, 'areas.filing', true, ({ area, db, link, actor }) => new FilingDesk(area, db, link!).withdraw(actor, filingId, { date: o.date, reason: o.reason }));
  });
  areaOpts(
    areas
      .command('filings')
      .description('the filings known in this area, withdrawals included (ID numbers masked)')
      .option('--id-number <id>', 'one person\'s')
      .option('--treat-area <admdvs>', 'for one treating area')
      .option('--insured-area <admdvs>', 'of one insured area'),
  ).action(async (o: { idNumber?: string; treatArea?: string; insuredArea?: string; area?: string; nats?: string; as?: string }) => {
    const noLink = { publish: async () => { throw new Error('not linked'); } };
    await withArea(o, 'areas.read', false, ({ area, db, actor }) => new FilingDesk(area, db, noLink).list(actor, { ...(o.idNumber ? { idNumber: o.idNumber } : {}), ...(o.treatArea ? { treatArea: admdvs('--treat-area', o.treatArea) } : {}), ...(o.insuredArea ? { insuredArea: admdvs('--insured-area', o.insuredArea) } : {}) }));
  });
  areaOpts(
    areas
      .command('clearing')
      .description('清算: this (treating) area\'s statement of a month for an insured area beside that area\'s own; --post posts it in both ledgers when they agree (permission areas.clearing)')
      .requiredOption('--insured <admdvs>', 'the insured area')
      .requiredOption('--month <YYYY-MM>', 'the month')
      .option('--post', 'post it when the two statements agree to the fen'),
  ).action(async (o: { insured: string; month: string; post?: boolean; area?: string; nats?: string; as?: string }) => {
    await withArea(o, 'areas.clearing', true, async ({ area, db, link, actor }) => {
      const desk = new ClearingDesk(area, db, link!);
      const insured = admdvs('--insured', o.insured);
      if (!o.post) return desk.compare(insured, o.month);
      return desk.post(actor, insured, o.month);
    });
  });
}
