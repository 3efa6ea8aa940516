/** Versioned plain-SQL migrations (src/store/migrations/NNN_name.sql), each in its own transaction, once. */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';

export const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

export function migrationFiles(): string[] {
  return readdirSync(MIGRATIONS_DIR)
    .filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f))
    .sort();
}

/**
 * Apply the migrations not yet applied; returns their names. Safe to run from several processes at once.
 * `upTo`: only those numbered up to it (e.g. '044'), to make a database as an older release left it.
 */
export async function migrate(pool: pg.Pool, opts: { upTo?: string } = {}): Promise<string[]> {
  const client = await pool.connect();
  const applied: string[] = [];
  try {
    await client.query('CREATE TABLE IF NOT EXISTS schema_migration (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
    for (const file of migrationFiles().filter((f) => opts.upTo === undefined || f.slice(0, 3) <= opts.upTo!)) {
      await client.query('BEGIN');
      try {
        await client.query('SELECT pg_advisory_xact_lock(2022042)');
        const done = await client.query('SELECT 1 FROM schema_migration WHERE name = $1', [file]);
        if (done.rowCount) {
          await client.query('COMMIT');
          continue;
        }
        await client.query(readFileSync(join(MIGRATIONS_DIR, file), 'utf8'));
        await client.query('INSERT INTO schema_migration (name) VALUES ($1)', [file]);
        await client.query('COMMIT');
        applied.push(file);
      } catch (e) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${file} failed: ${(e as Error).message}`);
      }
    }
  } finally {
    client.release();
  }
  return applied;
}
