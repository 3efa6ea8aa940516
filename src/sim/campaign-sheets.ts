/**
 * The demo town's campaign sheets, as a town office keeps them: the breakdown sheet of village
 * targets (附件1: 应参保人数 from the December household register — here the village's persons
 * born by the base date, less a few who have moved or are insured as employees — and the
 * e-voucher activation targets), and the 医保电子凭证 activation list (about three in four
 * residents, activated over the year before and during the campaign). Examples for the demo,
 * not data of any real town. Seeded apart from the town, so the town itself stays as it was.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { dayOf, formatDay } from '../dates.js';
import { importEvouchers } from '../monitoring/evouchers.js';
import { importTargets } from '../monitoring/targets.js';
import { openSheetWriter } from '../sheets.js';
import type { DB } from '../store/schema.js';
import type { Town } from './population.js';
import { Rng } from './random.js';
import { SYSTEM } from '../access/roles.js';

export interface CampaignSheets {
  targets: { villageCode: string; villageName: string; enrollment: number; evoucher: number }[];
  activations: { idNumber: string; activatedOn: string; channel: string }[];
}

const CHANNELS: [string, number][] = [['微信', 45], ['支付宝', 20], ['国家医保服务平台', 15], ['村居代激活', 18], ['银行', 2]];

export function campaignSheets(town: Town, seed = 20220114): CampaignSheets {
  const rng = new Rng(seed);
  const base = `${town.coverageYear - 1}-12-31`;
  const byVillage = new Map<string, number>();
  for (const p of town.persons) if (p.birthDate <= base) byVillage.set(p.villageCode, (byVillage.get(p.villageCode) ?? 0) + 1);
  const targets = town.areas
    .filter((a) => a.level === 'village')
    .map((a) => {
      const registered = byVillage.get(a.code) ?? 0;
      const enrollment = Math.max(0, registered - Math.round(registered * (0.01 + rng.next() * 0.03)));
      return { villageCode: a.code, villageName: a.name, enrollment, evoucher: Math.round(enrollment * (0.85 + rng.next() * 0.1)) };
    });
  const from = dayOf(town.coverageYear - 1, 6, 1);
  const span = dayOf(town.coverageYear, 6, 30) - from;
  const activations: CampaignSheets['activations'] = [];
  for (const p of town.persons) {
    if (p.birthDate > base || !rng.chance(0.76)) continue;
    activations.push({ idNumber: p.idNumber, activatedOn: formatDay(from + Math.floor(span * rng.next() ** 1.3)), channel: rng.weighted(CHANNELS.map(([c, w]) => [c, w] as [string, number])) });
  }
  return { targets, activations };
}

/** The sheets written as the clerks' files and imported through the monitoring imports (audited as system). */
export async function loadCampaignSheets(db: Kysely<DB>, town: Town): Promise<{ targets: number; activations: number }> {
  const sheets = campaignSheets(town);
  const dir = mkdtempSync(join(tmpdir(), 'yibao-demo-sheets-'));
  try {
    const tpath = join(dir, '应参保和电子医保卡激活人数分解表.csv');
    const t = await openSheetWriter(tpath, '分解表');
    await t.write(['村(社区)', '区划代码', '应参保人数', '电子凭证激活目标']);
    for (const x of sheets.targets) await t.write([x.villageName, x.villageCode, x.enrollment, x.evoucher]);
    await t.close();
    const epath = join(dir, '医保电子凭证激活名单.csv');
    const e = await openSheetWriter(epath, '激活名单');
    await e.write(['身份证号', '激活日期', '激活渠道']);
    for (const x of sheets.activations) await e.write([x.idNumber, x.activatedOn, x.channel]);
    await e.close();
    const ts = await importTargets(db, SYSTEM, { path: tpath, coverageYear: town.coverageYear });
    const es = await importEvouchers(db, SYSTEM, { path: epath });
    if (ts.bad || es.bad) throw new Error(`the demo's campaign sheets have bad rows: ${JSON.stringify([...ts.problems, ...es.problems].slice(0, 3))}`);
    return { targets: ts.inserted + ts.updated + ts.unchanged, activations: es.inserted + es.updated + es.unchanged };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
