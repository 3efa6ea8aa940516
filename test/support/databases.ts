/**
 * Tests run against both databases: embedded PGlite (in memory) and the PostgreSQL server
 * (TEST_DATABASE_URL, default postgres://127.0.0.1:5432/test), where each test file gets a
 * fresh database of its own that is dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import { userInfo } from 'node:os';
import pg from 'pg';
import { openDatabase, type Database } from '../../src/store/db.ts';

export const BACKENDS = ['pglite', 'server'] as const;
export type Backend = (typeof BACKENDS)[number];

const adminUrl = (): URL => {
  const u = new URL(process.env.TEST_DATABASE_URL ?? 'postgres://127.0.0.1:5432/test');
  if (!u.username) u.username = process.env.PGUSER ?? userInfo().username;
  return u;
};

export interface TestDatabase extends Database {
  drop(): Promise<void>;
}

/**
 * `asOwner`: the pools run as the owner, for tests that write straight into the tables (not as the service would).
 * `migrate: false`: no migration is run (the test runs them, e.g. up to an older one, then seeds; with asOwner).
 */
export async function freshDatabase(backend: Backend, opts: { asOwner?: boolean; migrate?: boolean } = {}): Promise<TestDatabase> {
  const asOwner = opts.asOwner ?? false;
  const migrate = opts.migrate ?? true;
  if (backend === 'pglite') {
    const d = await openDatabase({ url: '', dataDir: 'memory://', asOwner, migrate });
    return { ...d, drop: () => d.close() };
  }
  const admin = adminUrl();
  const name = `yibao_t_${process.pid}_${randomBytes(4).toString('hex')}`;
  const c = new pg.Client({ connectionString: admin.toString() });
  await c.connect();
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
  const u = new URL(admin.toString());
  u.pathname = `/${name}`;
  const d = await openDatabase({ url: u.toString(), max: 20, asOwner, migrate });
  return {
    ...d,
    drop: async () => {
      await d.close();
      const c2 = new pg.Client({ connectionString: admin.toString() });
      await c2.connect();
      await c2.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c2.end();
    },
  };
}
