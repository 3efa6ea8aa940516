/**
 * Payment-by-group packs: policies/drg/payment/<region>/<year>.yaml, one per coordinating area
 * and year. Each says which hospitals are paid by group, where the catalogue comes from (a
 * base year's settlements, for DRG weights; or the groups given as data — a published weight
 * table, or a DIP score catalogue), the method (base rate, or the points method with its
 * provisional point value for the monthly pre-payment and the year's budget) and the outlier
 * rules. Every parameter carries its citation (cite + quote) or an example mark; a pack
 * without one is refused, naming the file and the parameter.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { InputError } from '../errors.js';
import { yuanToFen, type Fen } from '../money.js';

export const DEFAULT_PAYMENT_DIR = resolvePath(dirname(fileURLToPath(import.meta.url)), '../../policies/drg/payment');

/** A parameter as the pack writes it, with its source. */
const param = <T extends z.ZodTypeAny>(value: T) =>
  z
    .object({ value, cite: z.string().min(1).optional(), quote: z.string().min(1).optional(), example: z.string().min(1).optional(), note: z.string().optional() })
    .strict()
    .refine((p) => !!p.cite || !!p.example, { message: 'needs a citation (cite, with its quote) or an example mark (example)' })
    .refine((p) => !p.cite || !!p.quote, { message: 'a cited value needs the sentence it rests on (quote)' });

const yuan = z.union([z.string(), z.number()]).transform((v, ctx) => {
  try {
    return yuanToFen(v);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
    return z.NEVER;
  }
});
const factor = z.union([z.string(), z.number()]);
const groupRow = z.object({ code: z.string().min(1), name: z.string().optional(), points: z.union([z.string(), z.number()]), averageCost: yuan }).strict();

const packFile = z
  .object({
    payment: z.literal(1),
    region: z.string().regex(/^\d{6}$/),
    year: z.number().int().min(2000).max(2100),
    kind: z.enum(['DRG', 'DIP']),
    scheme: z.string().min(1),
    name: z.string().min(1),
    params: z
      .object({
        hospitals: param(z.array(z.string().min(1)).min(1)),
        catalogue: param(
          z.union([
            z.object({ baseYear: z.number().int(), minCases: z.number().int().min(1).optional(), trim: z.object({ low: factor, high: factor }).strict().optional() }).strict(),
            z.object({ overallAverageCost: yuan, groups: z.array(groupRow).min(1) }).strict(),
          ]),
        ),
        method: param(z.enum(['base_rate', 'point_value'])),
        baseRate: param(yuan).optional(),
        'pointValue.provisional': param(z.union([z.string(), z.number()])).optional(),
        budget: param(yuan).optional(),
        'outliers.high.multiple': param(factor).optional(),
        'outliers.high.pay': param(z.union([z.literal('by_item'), z.object({ extraRatio: factor }).strict()])).optional(),
        'outliers.low.multiple': param(factor).optional(),
        'outliers.low.pay': param(z.enum(['by_item', 'scaled'])).optional(),
      })
      .strict(),
  })
  .strict();

type Raw = z.infer<typeof packFile>;
type RawParam<T> = { value: T; cite?: string; quote?: string; example?: string; note?: string };

/** A parameter with its key and the pack it came from (fits PaymentParam of the rules). */
export interface PackParam<T> {
  key: string;
  value: T;
  cite?: string;
  quote?: string;
  example?: string;
  note?: string;
  from: string;
}

/** The catalogue's source: weights from a base year, or groups given as data (points in hundredths). */
export type CatalogueSpec =
  | { from: 'base_year'; baseYear: number; minCases?: number; trim?: { low: string | number; high: string | number } }
  | { from: 'data'; overallAverageCostFen: Fen; groups: { code: string; name?: string; pointsE2: number; averageCostFen: Fen }[] };

export interface PaymentPack {
  id: string;
  file: string;
  region: string;
  year: number;
  kind: 'DRG' | 'DIP';
  scheme: string;
  name: string;
  hospitals: PackParam<string[]>;
  catalogue: PackParam<CatalogueSpec>;
  method: PackParam<'base_rate' | 'point_value'>;
  baseRate?: PackParam<Fen>;
  /** fen per point, as an exact ratio of hundredths: yuan per point × 100 (two decimals) */
  provisionalPointValue?: PackParam<Fen>;
  budget?: PackParam<Fen>;
  outliers: {
    high?: { multiple: PackParam<string | number>; pay: PackParam<'by_item' | { extraRatio: string | number }> };
    low?: { multiple: PackParam<string | number>; pay: PackParam<'by_item' | 'scaled'> };
  };
}

/** "1.23" points → 123 hundredths. */
function pointsE2(v: string | number, field: string): number {
  const m = /^(\d+)(?:\.(\d{1,2}))?$/.exec(String(v).trim());
  if (!m) throw new InputError(field, `${v} is not a number of points with at most two decimals`);
  return Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
}

/** Read one pack file; InputError names the file and the parameter. */
export function readPaymentPack(file: string): PaymentPack {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InputError(file, `not readable YAML: ${(e as Error).message}`);
  }
  const r = packFile.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new InputError(`${file}: ${i.path.join('.') || '(pack)'}`, i.message);
  }
  const p: Raw = r.data;
  const id = `drg-payment/${p.region}/${p.year}`;
  const wrap = <T, U = T>(key: string, x: RawParam<T>, map?: (v: T) => U): PackParam<U> => ({
    key,
    value: map ? map(x.value) : (x.value as unknown as U),
    ...(x.cite ? { cite: x.cite, quote: x.quote } : {}),
    ...(x.example ? { example: x.example } : {}),
    ...(x.note ? { note: x.note } : {}),
    from: id,
  });
  const P = p.params;
  const cat = wrap<Raw['params']['catalogue']['value'], CatalogueSpec>('catalogue', P.catalogue, (v) =>
    'baseYear' in v
      ? { from: 'base_year', baseYear: v.baseYear, ...(v.minCases ? { minCases: v.minCases } : {}), ...(v.trim ? { trim: v.trim } : {}) }
      : { from: 'data', overallAverageCostFen: v.overallAverageCost, groups: v.groups.map((g, i) => ({ code: g.code, ...(g.name ? { name: g.name } : {}), pointsE2: pointsE2(g.points, `${file}: params.catalogue.value.groups.${i}.points`), averageCostFen: g.averageCost })) },
  );
  const pack: PaymentPack = {
    id,
    file,
    region: p.region,
    year: p.year,
    kind: p.kind,
    scheme: p.scheme,
    name: p.name,
    hospitals: wrap('hospitals', P.hospitals),
    catalogue: cat,
    method: wrap('method', P.method),
    outliers: {},
  };
  if (P.baseRate) pack.baseRate = wrap('baseRate', P.baseRate);
  if (P.budget) pack.budget = wrap('budget', P.budget);
  if (P['pointValue.provisional']) pack.provisionalPointValue = wrap('pointValue.provisional', P['pointValue.provisional'], (v) => pointsE2(v, `${file}: params.pointValue.provisional`));
  const hm = P['outliers.high.multiple'];
  const hp = P['outliers.high.pay'];
  if (!!hm !== !!hp) throw new InputError(`${file}: params.outliers.high`, 'give both multiple and pay, or neither');
  if (hm && hp) pack.outliers.high = { multiple: wrap('outliers.high.multiple', hm), pay: wrap('outliers.high.pay', hp) };
  const lm = P['outliers.low.multiple'];
  const lp = P['outliers.low.pay'];
  if (!!lm !== !!lp) throw new InputError(`${file}: params.outliers.low`, 'give both multiple and pay, or neither');
  if (lm && lp) pack.outliers.low = { multiple: wrap('outliers.low.multiple', lm), pay: wrap('outliers.low.pay', lp) };
  if (pack.method.value === 'base_rate' && !pack.baseRate) throw new InputError(`${file}: params.baseRate`, 'the base-rate method needs baseRate (yuan per relative weight 1)');
  if (pack.method.value === 'point_value' && !pack.provisionalPointValue) throw new InputError(`${file}: params.pointValue.provisional`, 'the points method needs the provisional point value of the monthly pre-payment');
  if (pack.kind === 'DIP' && cat.value.from !== 'data') throw new InputError(`${file}: params.catalogue`, 'a DIP pack gives its score catalogue as data (groups)');
  const base = file.replace(/\\/g, '/');
  if (!base.endsWith(`/${p.region}/${p.year}.yaml`)) throw new InputError(file, `a pack for ${p.region} ${p.year} belongs in ${p.region}/${p.year}.yaml`);
  return pack;
}

/** Every payment pack under `dir`, by id. */
export function loadPaymentPacks(dir: string = DEFAULT_PAYMENT_DIR): Map<string, PaymentPack> {
  const out = new Map<string, PaymentPack>();
  if (!existsSync(dir)) return out;
  for (const region of readdirSync(dir).sort())
    for (const f of existsSync(join(dir, region)) ? readdirSync(join(dir, region)).sort() : [])
      if (f.endsWith('.yaml')) {
        const pack = readPaymentPack(join(dir, region, f));
        out.set(pack.id, pack);
      }
  return out;
}

const cache = new Map<string, Map<string, PaymentPack>>();

/** The pack of an area and year (read once per folder), or null when the area does not pay by group that year. */
export function paymentPackOf(region: string, year: number, dir: string = DEFAULT_PAYMENT_DIR): PaymentPack | null {
  let m = cache.get(dir);
  if (!m) cache.set(dir, (m = loadPaymentPacks(dir)));
  return m.get(`drg-payment/${region}/${year}`) ?? null;
}
