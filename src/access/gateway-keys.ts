/**
 * The platform gateway's key pairs (issue #16 item 1): an admin issues a pair to a hospital
 * account (the secret shown once) and revokes it; a request signed with the pair acts as that
 * account. Two ways of signing, as the clients built for the platform do it:
 *
 *  - the spec's §4.5 service gateway (table 5): headers _api_name, _api_version,
 *    _api_timestamp (13-digit milliseconds), _api_access_key, _api_signature, where the
 *    signature is base64(HmacSHA1(SK, "k=v&…" of those four headers sorted by name, UTF-8));
 *  - the national service gateway (TIF): x-tif-paasid, x-tif-timestamp (seconds),
 *    x-tif-nonce, x-tif-signature = hex(SHA-256(timestamp + token + nonce + timestamp)).
 *
 * Both need the secret to verify, so it is kept encrypted (AES-256-GCM) under a server key
 * that is not in the database: YIBAO_GATEWAY_KEY (64 hex digits), else the key file
 * YIBAO_GATEWAY_KEY_FILE (default data/gateway.key, made 0600 on first use). A timestamp
 * outside the window (30 minutes, as the spec's table 6 says of its gateway) is refused, and
 * an x-tif nonce is used once per key within the window. §4.5 has no nonce and its signature
 * covers only the four headers (not the body): two messages of one client in the same
 * millisecond carry the same headers, so they cannot be refused as a replay; there the window
 * and the msgid (a message sent again gets its first answer and does nothing) are the guard.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { InputError, NotFoundError } from '../errors.js';
import type { DB } from '../store/schema.js';
import { audit } from './audit.js';
import type { Actor } from './roles.js';

export const GATEWAY_WINDOW_MS = 30 * 60_000;

/** A refusal by the gateway: the message is said in the envelope (infcode -1). */
export class GatewayRefusal extends Error {}

type Headers = Record<string, string | string[] | undefined>;
const h = (headers: Headers, name: string): string | undefined => {
  const v = headers[name];
  const s = Array.isArray(v) ? v[0] : v;
  return s === undefined || s === '' ? undefined : s;
};

let serverKey: Buffer | null = null;
function key(): Buffer {
  if (serverKey) return serverKey;
  const env = process.env.YIBAO_GATEWAY_KEY;
  if (env) {
    if (!/^[0-9a-fA-F]{64}$/.test(env)) throw new Error('YIBAO_GATEWAY_KEY must be 64 hex digits (32 bytes)');
    serverKey = Buffer.from(env, 'hex');
    return serverKey;
  }
  const file = process.env.YIBAO_GATEWAY_KEY_FILE ?? resolvePath('data', 'gateway.key');
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    try {
      writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    chmodSync(file, 0o600);
  }
  const text = readFileSync(file, 'utf8').trim();
  if (!/^[0-9a-fA-F]{64}$/.test(text)) throw new Error(`the gateway key file ${file} must hold 64 hex digits`);
  serverKey = Buffer.from(text, 'hex');
  return serverKey;
}

/** A key for one purpose, derived from the server key (e.g. the e-voucher tokens' signing key). */
export function derivedKey(purpose: string): Buffer {
  return createHmac('sha256', key()).update(`yibao:${purpose}`).digest();
}

function seal(secret: string): string {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key(), iv);
  const body = Buffer.concat([c.update(secret, 'utf8'), c.final()]);
  return [iv, c.getAuthTag(), body].map((b) => b.toString('base64url')).join('.');
}
function open(sealed: string): string {
  const [iv, tag, body] = sealed.split('.').map((p) => Buffer.from(p, 'base64url'));
  const d = createDecipheriv('aes-256-gcm', key(), iv);
  d.setAuthTag(tag);
  return Buffer.concat([d.update(body), d.final()]).toString('utf8');
}

/** §4.5: the string signed — the four headers sorted by name as k=v joined by '&'. */
export function apiSigningString(hd: { _api_access_key: string; _api_name: string; _api_timestamp: string; _api_version: string }): string {
  return (Object.keys(hd) as (keyof typeof hd)[])
    .sort()
    .map((k) => `${k}=${hd[k]}`)
    .join('&');
}
export const apiSignature = (secret: string, hd: Parameters<typeof apiSigningString>[0]): string => createHmac('sha1', secret).update(apiSigningString(hd), 'utf8').digest('base64');
export const tifSignature = (token: string, timestamp: string, nonce: string): string => createHash('sha256').update(timestamp + token + nonce + timestamp, 'utf8').digest('hex');

const same = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

interface KeyRow {
  actor: Actor;
  secret: string;
}

export interface Gateway {
  /** the account the request's gateway headers sign as; null: no gateway headers (try the bearer token) */
  authenticate(headers: Headers, now?: number): Promise<{ actor: Actor; apiName: string | null } | null>;
}

export class GatewayKeys implements Gateway {
  private readonly cache = new Map<string, { row: KeyRow | null; until: number }>();
  private lastPurge = 0;

  constructor(private readonly db: Kysely<DB>) {}

  /** Issue a key pair to a hospital account; the secret is in the answer only. */
  async issue(by: Actor, userId: string, label: string): Promise<{ accessKey: string; secret: string; hospitalCode: string }> {
    const u = await this.db.selectFrom('app_user').select(['id', 'role', 'hospital_code', 'active']).where('id', '=', userId).executeTakeFirst();
    if (!u) throw new NotFoundError('app_user', userId);
    if (u.role !== 'hospital' || !u.hospital_code) throw new InputError('userId', 'gateway keys are issued to hospital accounts only');
    if (!u.active) throw new InputError('userId', 'the account is not active');
    const accessKey = `ak${randomBytes(12).toString('hex')}`;
    const secret = randomBytes(24).toString('base64url');
    await this.db.transaction().execute(async (tx) => {
      await tx.insertInto('fsi_gateway_key').values({ access_key: accessKey, user_id: userId, hospital_code: u.hospital_code!, label, secret_enc: seal(secret), created_by: by.username }).execute();
      await audit(tx, by, 'issue_gateway_key', 'app_user', userId, { accessKey, label, hospitalCode: u.hospital_code });
    });
    return { accessKey, secret, hospitalCode: u.hospital_code };
  }

  async revoke(by: Actor, accessKey: string): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      const r = await tx.updateTable('fsi_gateway_key').set({ revoked_at: new Date() }).where('access_key', '=', accessKey).where('revoked_at', 'is', null).returning('user_id').executeTakeFirst();
      if (!r) throw new NotFoundError('gateway key', accessKey);
      await audit(tx, by, 'revoke_gateway_key', 'app_user', String(r.user_id), { accessKey });
    });
    this.cache.delete(accessKey);
  }

  async list(userId: string) {
    const rows = await this.db.selectFrom('fsi_gateway_key').select(['access_key', 'hospital_code', 'label', 'created_by', 'created_at', 'revoked_at']).where('user_id', '=', userId).orderBy('created_at').execute();
    return rows.map((r) => ({ accessKey: r.access_key, hospitalCode: r.hospital_code, label: r.label, createdBy: r.created_by, createdAt: r.created_at, revokedAt: r.revoked_at }));
  }

  private async keyOf(accessKey: string, now: number): Promise<KeyRow | null> {
    const hit = this.cache.get(accessKey);
    if (hit && hit.until > now) return hit.row;
    const r = await this.db
      .selectFrom('fsi_gateway_key as k')
      .innerJoin('app_user as u', 'u.id', 'k.user_id')
      .select(['k.secret_enc', 'k.revoked_at', 'u.id', 'u.username', 'u.role', 'u.villages', 'u.hospital_code', 'u.active'])
      .where('k.access_key', '=', accessKey)
      .executeTakeFirst();
    const row = r && !r.revoked_at && r.active ? { actor: { userId: String(r.id), username: r.username, role: r.role, villages: r.villages, hospitalCode: r.hospital_code }, secret: open(r.secret_enc) } : null;
    // a revocation in this process takes effect at once (revoke() clears the entry); elsewhere within 30 s
    this.cache.set(accessKey, { row, until: now + 30_000 });
    return row;
  }

  private async once(accessKey: string, nonce: string, now: number): Promise<void> {
    if (now - this.lastPurge > 60_000) {
      this.lastPurge = now;
      await this.db.deleteFrom('fsi_gateway_nonce').where('seen_at', '<', new Date(now - GATEWAY_WINDOW_MS - 60_000)).execute();
    }
    const r = await this.db.insertInto('fsi_gateway_nonce').values({ access_key: accessKey, nonce }).onConflict((oc) => oc.columns(['access_key', 'nonce']).doNothing()).returning(sql<number>`1`.as('one')).executeTakeFirst();
    if (!r) throw new GatewayRefusal('网关认证失败：请求已使用过（nonce 重复），请重新生成签名');
  }

  async authenticate(headers: Headers, now = Date.now()): Promise<{ actor: Actor; apiName: string | null } | null> {
    const ak = h(headers, '_api_access_key');
    const paasid = h(headers, 'x-tif-paasid');
    if (ak === undefined && paasid === undefined) {
      if (Object.keys(headers).some((k) => k.startsWith('_api_') || k.startsWith('x-tif-'))) throw new GatewayRefusal('网关认证失败：缺少服务网关的请求头（_api_access_key 或 x-tif-paasid）');
      return null;
    }
    if (ak !== undefined) {
      const hd = { _api_access_key: ak, _api_name: h(headers, '_api_name'), _api_timestamp: h(headers, '_api_timestamp'), _api_version: h(headers, '_api_version') };
      const sig = h(headers, '_api_signature');
      const missing = (Object.keys(hd) as (keyof typeof hd)[]).filter((k) => hd[k] === undefined);
      if (missing.length || !sig) throw new GatewayRefusal(`网关认证失败：缺少服务网关的请求头 ${[...missing, ...(sig ? [] : ['_api_signature'])].join('、')}`);
      if (!/^\d{13}$/.test(hd._api_timestamp!)) throw new GatewayRefusal('网关认证失败：_api_timestamp 应为13位毫秒时间戳');
      if (Math.abs(now - Number(hd._api_timestamp)) > GATEWAY_WINDOW_MS) throw new GatewayRefusal('网关认证失败：签名时间戳超时');
      const row = await this.keyOf(ak, now);
      if (!row) throw new GatewayRefusal('网关认证失败：非法用户（_api_access_key 无效或已吊销）');
      if (!same(apiSignature(row.secret, hd as Parameters<typeof apiSigningString>[0]), sig)) throw new GatewayRefusal('网关认证失败：签名不一致');
      return { actor: row.actor, apiName: hd._api_name! };
    }
    const ts = h(headers, 'x-tif-timestamp');
    const nonce = h(headers, 'x-tif-nonce');
    const sig = h(headers, 'x-tif-signature');
    const missing = [ts ? null : 'x-tif-timestamp', nonce ? null : 'x-tif-nonce', sig ? null : 'x-tif-signature'].filter(Boolean);
    if (missing.length) throw new GatewayRefusal(`网关认证失败：缺少服务网关的请求头 ${missing.join('、')}`);
    if (!/^\d{10}(\d{3})?$/.test(ts!)) throw new GatewayRefusal('网关认证失败：x-tif-timestamp 应为秒级时间戳');
    const at = ts!.length === 13 ? Number(ts) : Number(ts) * 1000;
    if (Math.abs(now - at) > GATEWAY_WINDOW_MS) throw new GatewayRefusal('网关认证失败：签名时间戳超时');
    if (nonce!.length > 100) throw new GatewayRefusal('网关认证失败：x-tif-nonce 过长');
    const row = await this.keyOf(paasid!, now);
    if (!row) throw new GatewayRefusal('网关认证失败：非法用户（x-tif-paasid 无效或已吊销）');
    if (!same(tifSignature(row.secret, ts!, nonce!), sig!.toLowerCase())) throw new GatewayRefusal('网关认证失败：签名不一致');
    await this.once(paasid!, `tif:${nonce}`, now);
    return { actor: row.actor, apiName: null };
  }
}

const services = new WeakMap<object, GatewayKeys>();
/** One key service per database (its cache shared by the routes that issue, revoke and verify). */
export function gatewayKeys(db: Kysely<DB>): GatewayKeys {
  let s = services.get(db);
  if (!s) services.set(db, (s = new GatewayKeys(db)));
  return s;
}
