/**
 * The console's HTTP client: the session token (kept in sessionStorage, so a closed tab logs
 * out), JSON in and out, and every failure as an ApiError whose message is in Chinese and
 * names the field the server named.
 */
import { fieldLabel, translateMessage } from './labels';

const TOKEN_KEY = 'yibao.token';
const USER_KEY = 'yibao.user';

export interface SessionUser {
  username: string;
  role: 'admin' | 'policy_officer' | 'clerk' | 'hospital' | 'auditor' | 'finance' | 'medical_assistance';
  villages: string[];
  hospitalCode: string | null;
  /** what the role may do, as the server grants it (the server checks every request itself) */
  permissions?: string[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    /** the request field the server named (dotted path), if any */
    readonly field: string | undefined,
    /** the server's own message */
    readonly serverMessage: string,
  ) {
    super(describe(status, code, field, serverMessage));
    this.name = 'ApiError';
  }
}

const STATUS_TEXT: Record<number, string> = {
  400: '输入有误',
  401: '请先登录（登录已失效）',
  403: '无权访问',
  404: '未找到',
  409: '业务规则不允许',
  413: '文件过大',
  415: '请求格式不对',
  500: '服务器内部错误（已记录日志）',
};

function describe(status: number, code: string, field: string | undefined, message: string): string {
  const head = STATUS_TEXT[status] ?? `请求失败（HTTP ${status}）`;
  const text = translateMessage(message, code);
  const named = field ? `「${fieldLabel(field)}」` : '';
  return named ? `${head}：${named}${text}` : `${head}：${text}`;
}

export function token(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function storedUser(): SessionUser | null {
  const s = sessionStorage.getItem(USER_KEY);
  const u = s ? (JSON.parse(s) as SessionUser) : null;
  // a session kept from before the server sent the permissions: log in again
  return u && Array.isArray(u.permissions) ? u : null;
}

export function saveSession(t: string, u: SessionUser): void {
  sessionStorage.setItem(TOKEN_KEY, t);
  sessionStorage.setItem(USER_KEY, JSON.stringify(u));
}

export function clearSession(): void {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(USER_KEY);
}

/** Called on a 401 from any request: the shell goes back to the log-in page. */
let onUnauthorized: () => void = () => {};
export function setUnauthorizedHandler(f: () => void): void {
  onUnauthorized = f;
}

export type Query = Record<string, string | number | boolean | undefined | null>;

export function withQuery(path: string, q?: Query): string {
  if (!q) return path;
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `${path}?${s}` : path;
}

async function failure(res: Response): Promise<ApiError> {
  let body: { error?: string; field?: string; message?: string } = {};
  try {
    body = (await res.json()) as typeof body;
  } catch {
    /* not JSON */
  }
  if (res.status === 401) onUnauthorized();
  return new ApiError(res.status, body.error ?? `http_${res.status}`, body.field, body.message ?? res.statusText);
}

export interface RequestOptions {
  method?: string;
  query?: Query;
  body?: unknown;
  /** raw bytes (a file) sent with this content type instead of JSON */
  raw?: { data: Blob | ArrayBuffer; type: string };
  accept?: string;
  signal?: AbortSignal;
}

export async function request(path: string, o: RequestOptions = {}): Promise<Response> {
  const headers: Record<string, string> = {};
  const t = token();
  if (t) headers.authorization = `Bearer ${t}`;
  if (o.accept) headers.accept = o.accept;
  let body: BodyInit | undefined;
  if (o.raw) {
    headers['content-type'] = o.raw.type;
    body = o.raw.data;
  } else if (o.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(o.body);
  }
  let res: Response;
  try {
    res = await fetch(withQuery(path, o.query), { method: o.method ?? (body === undefined ? 'GET' : 'POST'), headers, body, signal: o.signal });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError(0, 'network', undefined, '无法连接服务器，请检查网络');
  }
  if (!res.ok) throw await failure(res);
  return res;
}

export async function api<T>(path: string, o: RequestOptions = {}): Promise<T> {
  const res = await request(path, o);
  return (await res.json()) as T;
}

/** Download a file the server makes (with the token), saved under the server's file name. */
export async function download(path: string, fallbackName: string, query?: Query): Promise<void> {
  const res = await request(path, { query });
  const cd = res.headers.get('content-disposition') ?? '';
  const star = /filename\*=UTF-8''([^;]+)/i.exec(cd);
  const m = /filename="([^"]+)"/.exec(cd);
  saveBlob(await res.blob(), star ? decodeURIComponent(star[1]) : m ? m[1] : fallbackName);
}

export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
