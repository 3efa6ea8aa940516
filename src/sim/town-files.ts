/** A generated town written as the clerks' import files: persons and needy statuses (CSV or XLSX). */
import { openSheetWriter } from '../sheets.js';
import { KIND_LABELS, STATUS_LABELS } from '../policy/vocabulary.js';
import type { Town } from './population.js';

const SOURCE_LABELS: Record<string, string> = {
  civil_affairs: '民政',
  rural_revitalization: '乡村振兴',
  disability_federation: '残联',
  veterans_affairs: '退役军人事务',
};

/** 身份证号, 姓名, 性别, 出生日期, 村(居)代码, 户号, 人员类别, 毕业年份 — one row per person. */
export async function writePersonsFile(path: string, town: Town, onRow?: (n: number) => void): Promise<number> {
  const w = await openSheetWriter(path, '参保人员');
  await w.write(['身份证号', '姓名', '性别', '出生日期', '村(居)代码', '户号', '人员类别', '毕业年份']);
  let n = 0;
  for (const p of town.persons) {
    await w.write([p.idNumber, p.name, p.gender === 'male' ? '男' : '女', p.birthDate, p.villageCode, p.houseNo, KIND_LABELS[p.kind], p.graduationYear ?? '']);
    if (++n % 10000 === 0) onRow?.(n);
  }
  await w.close();
  return n;
}

/** 身份证号, 姓名, 身份类别, 认定部门, 起始日期, 终止日期, 文号 — one row per status. */
export async function writeStatusesFile(path: string, town: Town): Promise<number> {
  const w = await openSheetWriter(path, '困难群众身份');
  await w.write(['身份证号', '姓名', '身份类别', '认定部门', '起始日期', '终止日期', '文号']);
  let n = 0;
  for (const p of town.persons)
    for (const s of p.statuses) {
      await w.write([p.idNumber, p.name, STATUS_LABELS[s.status], SOURCE_LABELS[s.source], s.validFrom, s.validTo ?? '', '']);
      n++;
    }
  await w.close();
  return n;
}
