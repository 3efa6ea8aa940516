/**
 * `yibao areas up`: three coordinating areas on this machine (异地就医直接结算 on loopback) — a
 * 3-node NATS JetStream cluster and three `yibao serve --area` processes, each its own database
 * (a PGlite directory under --dir, or with DATABASE_URL_<code> a PostgreSQL database of its own).
 * Ctrl-C stops them all.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { ensureConsoleBuilt } from '../http/console-build.js';

const AREAS = [
  { code: '500230', name: '丰都县' },
  { code: '500103', name: '渝中区' },
  { code: '500101', name: '万州区' },
];

export function areasCommands(program: Command): void {
  const areas = program.command('areas').description('cross-area settlement (异地就医直接结算) between coordinating areas');
  areas
    .command('up')
    .description('three areas (500230 丰都县, 500103 渝中区, 500101 万州区) and a 3-node JetStream cluster on loopback')
    .option('--dir <dir>', 'where the databases and the JetStream data live', 'data/areas')
    .option('--port <port>', 'the first area\'s HTTP port (the others follow)', '3100')
    .option('--nats-port <port>', 'the first NATS node\'s client port (cluster ports from +10)', '4322')
    .option('--nats-server <path>', 'the nats-server binary', process.env.NATS_SERVER ?? '/usr/sbin/nats-server')
    .option('--demo-people <n>', 'people of the demo town loaded in 丰都县', '2000')
    .action(async (o: { dir: string; port: string; natsPort: string; natsServer: string; demoPeople: string }) => {
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
      const stop = () => {
        for (const k of kids) k.kill('SIGTERM');
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      const routes = [0, 1, 2].map((i) => `nats://127.0.0.1:${np + 10 + i}`).join(',');
      for (const i of [0, 1, 2]) {
        const sd = join(dir, `jetstream-${i}`);
        mkdirSync(sd, { recursive: true });
        const k = spawn(o.natsServer, ['-a', '127.0.0.1', '-p', String(np + i), '-js', '-sd', sd, '-n', `yibao-${i}`, '--cluster_name', 'yibao', '--cluster', `nats://127.0.0.1:${np + 10 + i}`, '--routes', routes], { stdio: 'inherit' });
        k.on('error', (e) => {
          console.error(`cannot start ${o.natsServer}: ${e.message}`);
          stop();
          process.exit(1);
        });
        kids.push(k);
      }
      const nats = [0, 1, 2].map((i) => `nats://127.0.0.1:${np + i}`).join(',');
      // give the cluster a moment to elect its meta leader (the areas retry their stream meanwhile)
      await new Promise((r) => setTimeout(r, 2000));
      AREAS.forEach((a, i) => {
        const data = join(dir, a.code);
        mkdirSync(data, { recursive: true });
        const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port + i), YIBAO_AREA: a.code, YIBAO_NATS: nats, YIBAO_AREA_REPLICAS: '3', YIBAO_DATA: data, YIBAO_DEMO: i === 0 ? (process.env.YIBAO_DEMO ?? 'on') : 'off', YIBAO_DEMO_PEOPLE: o.demoPeople };
        const url = process.env[`DATABASE_URL_${a.code}`];
        if (url) env.DATABASE_URL = url;
        else delete env.DATABASE_URL;
        const k = spawn(process.execPath, [...process.execArgv, resolve('src/cli/index.ts'), 'serve', '--port', String(port + i), '--area', a.code, '--nats', nats, '--replicas', '3'], { stdio: 'inherit', env });
        kids.push(k);
        console.log(`area ${a.code} ${a.name}: http://127.0.0.1:${port + i}/ (database ${url ? 'DATABASE_URL_' + a.code : data})`);
      });
      await Promise.all(kids.map((k) => new Promise((r) => k.on('exit', r))));
    });
}
