/**
 * Room src/cli/ — the command line and the service's start (serve.ts, called by src/main.ts).
 * May import: everything.
 *
 * The yibao command line: quotes, policy packs and batch assessment.
 * Exit codes: 0 done; 1 done, but some rows were bad (assess); 2 bad input or bad packs.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import cliProgress from 'cli-progress';
import { ConflictError, ForbiddenError, InputError, NotFoundError, UnauthorizedError } from '../errors.js';
import { PackError } from '../policy/errors.js';
import { packWarnings } from '../policy/checks.js';
import { diffPacks } from '../policy/diff.js';
import { PolicyLibrary } from '../policy/loader.js';
import { renderDiff, renderPack, fallbackNotice } from '../policy/show.js';
import { assess } from '../quotes/assess.js';
import { packRef, packRefString } from '../quotes/pack-ref.js';
import { QuoteService } from '../quotes/quote-service.js';
import { DatabaseLockedError } from '../store/lock.js';

const program = new Command('yibao')
  .description('城乡居民基本医疗保险: policy packs, contribution quotes, batch assessment')
  .option('--policies <dir>', 'policy folder (default: the bundled policies/)', process.env.YIBAO_POLICIES)
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

const policiesDir = (): string | undefined => program.opts<{ policies?: string }>().policies;
const service = (): QuoteService => QuoteService.load(policiesDir());

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) throw new InputError('(stdin)', 'pipe a JSON request into standard input, or give --file');
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function readFileArg(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    throw new InputError('--file', `${path}: cannot read this file`);
  }
}

function parseJson(text: string, source: string): unknown {
  if (!text.trim()) throw new InputError('(request)', `${source} is empty; expected a JSON object`);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InputError('(request)', `${source} is not valid JSON: ${(e as Error).message}`);
  }
}

const quote = program.command('quote').description('quote what the notice means for one person');
quote
  .command('contribution')
  .description('read a JSON request (stdin or --file), print the JSON answer (same as POST /api/v1/quotes/contribution)')
  .option('-f, --file <path>', 'read the request from a file instead of standard input')
  .option('--compact', 'one-line JSON')
  .action(async (o: { file?: string; compact?: boolean }) => {
    const text = o.file ? readFileArg(o.file) : await readStdin();
    const answer = service().contribution(parseJson(text, o.file ?? 'standard input'));
    process.stdout.write(`${JSON.stringify(answer, null, o.compact ? undefined : 2)}\n`);
  });

quote
  .command('settlement')
  .description('read a JSON settlement request (stdin or --file): one encounter, or a year of encounters with --year; same as POST /api/v1/quotes/settlement[/year]')
  .option('-f, --file <path>', 'read the request from a file instead of standard input')
  .option('--year', 'the request lists `encounters` of a year: settle them in order and total per fund')
  .option('--compact', 'one-line JSON')
  .action(async (o: { file?: string; compact?: boolean; year?: boolean }) => {
    const body = parseJson(o.file ? readFileArg(o.file) : await readStdin(), o.file ?? 'standard input');
    const svc = service();
    const answer = o.year ? svc.settlementYear(body) : svc.settlement(body);
    process.stdout.write(`${JSON.stringify(answer, null, o.compact ? undefined : 2)}\n`);
  });

const pack = program.command('pack').description('policy packs: list, show, diff, check');
pack
  .command('list')
  .description('the packs held')
  .action(() => {
    const lib = PolicyLibrary.load(policiesDir());
    for (const id of lib.packIds()) {
      const p = lib.resolve(id);
      console.log(`${id}\t${p.name}\t(extends ${p.chain.slice(1).join(' → ') || '—'})`);
    }
  });
pack
  .command('show')
  .description('print a pack resolved through its parents, each value with its citation or example mark')
  .argument('<region>', '6-digit region code, e.g. 500230 (a county without a pack shows its parent’s)')
  .argument('<year>', 'coverage year')
  .option('--json', 'as JSON')
  .action((region: string, year: string, o: { json?: boolean }) => {
    const lib = PolicyLibrary.load(policiesDir());
    const p = packRef(lib, 'region', region, year);
    const notice = fallbackNotice(p, region, lib.regions.get(region)?.name);
    if (o.json)
      console.log(JSON.stringify({ requested: { region, year: p.year }, warnings: notice ? [{ code: 'PACK_OF_PARENT_REGION', message: notice }] : [], ...p, params: Object.fromEntries(p.params), rules: undefined }, null, 2));
    else console.log(renderPack(p, notice));
  });
pack
  .command('diff')
  .description('what differs between two packs, e.g. pack diff 500000/2022 500000/2023')
  .argument('<from>', 'REGION/YEAR')
  .argument('<to>', 'REGION/YEAR')
  .option('--json', 'as JSON')
  .action((a: string, b: string, o: { json?: boolean }) => {
    const lib = PolicyLibrary.load(policiesDir());
    const d = diffPacks(packRefString(lib, 'from', a), packRefString(lib, 'to', b));
    console.log(o.json ? JSON.stringify(d, null, 2) : renderDiff(d));
  });
pack
  .command('check')
  .description('validate every pack: citations, quoted sentences, parameters, rule conflicts; warn where standards average below an average floor')
  .option('--strict', 'exit 1 when there are warnings')
  .action((o: { strict?: boolean }) => {
    const lib = PolicyLibrary.load(policiesDir());
    const examples = lib.packIds().reduce((n, id) => n + Object.values(lib.raw(id)?.params ?? {}).filter((p) => p.example).length, 0);
    const warnings = packWarnings(lib);
    for (const w of warnings) console.log(`warning: ${w.file}: ${w.path}: ${w.message}`);
    console.log(
      `${lib.packIds().length} packs, ${lib.documents.size} documents: all valid (${examples} values are marked example)${warnings.length ? `; ${warnings.length} warning(s)` : ', no warnings'}.`,
    );
    if (warnings.length && o.strict) process.exitCode = 1;
  });

program
  .command('assess')
  .description('quote every person of a CSV or XLSX sheet; writes CSV or XLSX by the output’s extension')
  .argument('<input>', 'persons, .csv or .xlsx (header row: region, coverageYear, tier, birthDate, kind, statuses, paidOn, …; Chinese headings accepted)')
  .requiredOption('-o, --output <path>', 'where to write the quotes (.csv or .xlsx)')
  .option('--errors <path>', 'where to list bad rows (default: <output>.errors.csv)')
  .option('--no-progress', 'no progress bar')
  .action(async (input: string, o: { output: string; errors?: string; progress: boolean }) => {
    const svc = service();
    const bar = o.progress ? new cliProgress.SingleBar({ format: 'assessing |{bar}| {percentage}% · {rows} rows · {eta_formatted} left', stream: process.stderr, noTTYOutput: false, hideCursor: true }, cliProgress.Presets.shades_classic) : null;
    bar?.start(1, 0, { rows: 0 });
    const summary = await assess(svc, {
      input,
      output: o.output,
      errors: o.errors,
      onProgress: (bytes, total, rows) => {
        bar?.setTotal(Math.max(total, 1));
        bar?.update(bytes, { rows });
      },
    }).finally(() => bar?.stop());
    console.error(`${summary.rows} rows: ${summary.assessed} quoted (${summary.refused} refused by the notice's rules), ${summary.bad} bad rows. Quotes: ${summary.output}`);
    if (summary.bad) {
      for (const p of summary.problems.slice(0, 20)) console.error(`  line ${p.line}: ${p.field}: ${p.message}`);
      if (summary.bad > 20) console.error(`  … ${summary.bad - 20} more`);
      console.error(`Bad rows are listed in ${summary.errors}`);
      process.exitCode = 1;
    }
  });

program
  .command('serve')
  .description('the HTTP service (same as npm start)')
  .option('-p, --port <port>', 'port', process.env.PORT ?? '3000')
  .option('--area <admdvs>', 'join the cross-area link as this area (异地就医直接结算; needs --nats)')
  .option('--nats <servers>', 'NATS JetStream servers, comma-separated (with --area)')
  .option('--replicas <n>', 'the area stream\'s replicas (3 on a 3-node cluster)')
  .action(async (o: { port: string; area?: string; nats?: string; replicas?: string }) => {
    process.env.PORT = o.port;
    if (!!o.area !== !!o.nats) {
      console.error('error: --area and --nats go together');
      process.exit(2);
    }
    if (o.area) process.env.YIBAO_AREA = o.area;
    if (o.nats) process.env.YIBAO_NATS = o.nats;
    if (o.replicas) process.env.YIBAO_AREA_REPLICAS = o.replicas;
    if (policiesDir()) process.env.YIBAO_POLICIES = policiesDir();
    await (await import('./serve.js')).runService();
  });

(await import('./registers.js')).registersCli(program);
(await import('./campaign.js')).campaignCommands(program);
(await import('./sim.js')).simCommands(program);
(await import('./monitoring.js')).monitoringCommands(program);
(await import('./drg.js')).drgCommands(program);
(await import('./catalogue.js')).catalogueCommands(program);
(await import('./areas.js')).areasCommands(program);
(await import('./risk.js')).riskCommands(program);
(await import('./assistance.js')).assistanceCommands(program);
(await import('./projection.js')).projectionCommands(program.command('sim').description('microsimulation and projection of the fund'), policiesDir);
(await import('./fund.js')).fundCommands(program, policiesDir);
(await import('./sim-run.js')).simRunCommands(program.commands.find((c) => c.name() === 'sim')!, policiesDir);
(await import('./fund-clearing.js')).fundClearingCommands(program.commands.find((c) => c.name() === 'fund')!);
(await import('./fund-budget.js')).fundBudgetCommands(program.commands.find((c) => c.name() === 'fund')!, policiesDir);
(await import('./fund-transfers.js')).fundTransferCommands(program.commands.find((c) => c.name() === 'fund')!);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    process.exit(e.exitCode === 0 ? 0 : 2);
  } else if (e instanceof InputError) {
    console.error(`error: ${e.message}`);
    process.exit(2);
  } else if (e instanceof DatabaseLockedError) {
    // the service (or another command) has the embedded database open: it is one process's database
    console.error(`error: ${DatabaseLockedError.inUse(e.dir, e.holder)}. Stop the service first (or let that command finish): the embedded database is one process's; or set DATABASE_URL to use a PostgreSQL server.`);
    process.exit(2);
  } else if (e instanceof ConflictError || e instanceof NotFoundError) {
    // refused by the records as they stand (already approved, no such hospital): the reason, exit 1
    console.error(`error: ${e.message}`);
    process.exit(1);
  } else if (e instanceof ForbiddenError || e instanceof UnauthorizedError) {
    // the user named by --as may not do this (role or scope): a refusal, not an internal error
    console.error(`refused: ${e.message}`);
    process.exit(2);
  } else if (e instanceof PackError) {
    console.error(`The policy packs have problems:\n${e.message}`);
    process.exit(2);
  } else {
    console.error(`internal error: ${(e as Error).message}`);
    process.exit(70);
  }
}
