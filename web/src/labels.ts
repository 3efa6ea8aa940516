/**
 * Chinese names for what the API returns in identifiers: roles, request fields, states,
 * channels, accounts, audit actions. Statuses, kinds, encounter types and codes come from the
 * project's one vocabulary (src/policy/vocabulary.ts), so the console names things as the
 * notices and the glossary do.
 */
import {
  ENCOUNTER_LABELS,
  KIND_LABELS,
  LEVEL_LABELS,
  REFUSAL_CODES,
  SETTLEMENT_CODES,
  STATUS_LABELS,
} from '../../src/policy/vocabulary.js';

export { ENCOUNTER_LABELS, KIND_LABELS, LEVEL_LABELS, REFUSAL_CODES, SETTLEMENT_CODES, STATUS_LABELS };

export const ROLE_LABELS: Record<string, string> = {
  admin: '系统管理员',
  policy_officer: '医保局业务人员',
  clerk: '乡镇（村）经办员',
  hospital: '定点医疗机构',
  auditor: '审计人员',
  finance: '财务人员',
  medical_assistance: '医疗救助经办人员',
};

export const SOURCE_LABELS: Record<string, string> = {
  civil_affairs: '民政部门',
  rural_revitalization: '乡村振兴部门',
  disability_federation: '残疾人联合会',
  veterans_affairs: '退役军人事务部门',
  medical_security: '医疗保障部门',
};

export const GENDER_LABELS: Record<string, string> = { male: '男', female: '女' };

export const ENROLLMENT_STATES: Record<string, string> = { assessed: '已核定待缴费', paid: '已缴费', refused: '不予受理', blocked: '重复参保已拦截' };

export const CHANNEL_LABELS: Record<string, string> = { online: '线上缴费', offline: '线下缴费', tax_bureau: '税务代征', medical_assistance: '医疗救助资助' };

export const TIER_LABELS: Record<string, string> = { tier1: '一档', tier2: '二档' };

export const SUBSIDY_LEVEL_LABELS: Record<string, string> = { central: '中央', provincial: '省级', prefecture: '市级', county: '县级', local: '地方', unallocated: '未分级' };

export const LEDGER_SOURCE_LABELS: Record<string, string> = {
  payment: '个人缴费',
  assistance: '医疗救助资助参保',
  subsidy: '财政补助',
  settlement: '医疗费用结算',
  reversal: '结算冲正',
  fund_transfer: '资金划转',
};

export const FUND_ACCOUNTS = ['basic_fund', 'critical_illness_fund', 'medical_assistance_fund'] as const;
export const FUND_LABELS: Record<string, string> = { basic_fund: '基本医疗保险基金', critical_illness_fund: '大病保险资金', medical_assistance_fund: '医疗救助基金' };

export const AUDIT_ACTIONS: Record<string, string> = {
  login: '登录',
  create: '新增',
  update: '修改',
  import: '导入',
  assess: '核定',
  assess_year: '年度核定',
  record_payment: '登记缴费',
  settle: '结算',
  set_tier: '选择档次',
  flag_duplicate: '标记重复参保',
  record_transfer: '资金划转',
  reverse: '冲正',
  revoke_token: '注销令牌',
  issue_token: '签发令牌',
  export: '导出',
  follow_guardian: '新生儿随监护人参保',
  fsi_signing: '签名设置',
  transfer: '资金划转',
};

export const AUDIT_ENTITIES: Record<string, string> = {
  person: '人员',
  household: '家庭户',
  needy_status: '困难身份',
  admin_area: '行政区划',
  enrollment: '参保登记',
  payment: '缴费',
  encounter: '就诊',
  settlement: '结算',
  app_user: '用户',
  api_token: '令牌',
  import_batch: '导入批次',
  hospital: '医疗机构',
  fund_transfer: '资金划转',
  collection_list: '征收名单',
  employee_insurance: '职工参保名单',
  campaign: '参保年度',
  duplicate_flag: '重复参保标记',
};

/** Request fields (the last part of a dotted path) as a clerk would name them. */
const FIELD_LABELS: Record<string, string> = {
  username: '用户名',
  password: '密码',
  idNumber: '身份证号',
  name: '姓名',
  gender: '性别',
  birthDate: '出生日期',
  villageCode: '村（居）代码',
  village: '村（乡镇）代码',
  houseNo: '户号',
  kind: '人员类别',
  graduationYear: '毕业年份',
  reference: '缴费流水号',
  channel: '缴费渠道',
  enrollmentId: '参保登记号',
  coverageYear: '待遇年度',
  amountYuan: '金额（元）',
  paidOn: '缴费日期',
  region: '统筹区代码',
  tier: '档次',
  person: '人员',
  statuses: '困难身份',
  encounter: '就诊',
  type: '就诊类型',
  date: '就诊日期',
  hospitalLevel: '医院等级',
  fees: '费用明细',
  costs: '费用合计',
  amount: '金额',
  catalogClass: '目录类别',
  selfPayRatio: '先行自付比例',
  priceLimit: '限价',
  total: '医疗费总额',
  fullOwnPay: '全自费',
  overLimitSelfPay: '超限价自费',
  preSelfPay: '先行自付',
  inScope: '政策范围内费用',
  accumulators: '年度累计',
  from: '起',
  to: '止',
  on: '日期',
  fileName: '文件名',
  source: '来源',
  year: '年度',
  '(body)': '请求内容',
  '(content-type)': '文件类型',
  '(request)': '请求',
  header: '表头',
  page: '页码',
  pageSize: '每页条数',
  limit: '条数',
  after: '翻页位置',
  id: '编号',
  location: '就医地',
  referred: '是否转诊',
  disease: '病种',
  setting: '门诊/住院',
  // the campaign pages (参保进度, 半月通报)
  area: '区域',
  town: '乡镇（街道）',
  asOf: '统计日期',
  group: '类别',
  // the risk pages (风险预警, 基金监管)
  requested: '申请救助金额',
  reason: '理由',
  personId: '参保人编号',
  recover: '追回金额',
  note: '审核意见',
  basis: '预警口径',
  offset: '分页起点',
  approve: '审批结论',
  // the imports of 缴费与导入 (payment files, village targets, e-voucher activations)
  activatedOn: '激活日期',
  villageName: '村（社区）',
  enrollmentTarget: '应参保人数',
  evoucherTarget: '电子凭证激活目标',
  file: '文件',
};

export function fieldLabel(path: string): string {
  const parts = path.split('.');
  const name = (k: string) => FIELD_LABELS[k] ?? k;
  const isIndex = (k: string | undefined) => k !== undefined && /^\d+$/.test(k);
  const last = parts[parts.length - 1];
  // "encounter.fees.1" → 费用明细第2项; "encounter.fees.1.amount" → 费用明细第2项 · 金额
  if (isIndex(last) && parts.length > 1) return `${name(parts[parts.length - 2])}第${Number(last) + 1}项`;
  const before = parts[parts.length - 2];
  if (isIndex(before) && parts.length > 2) return `${name(parts[parts.length - 3])}第${Number(before) + 1}项 · ${name(last)}`;
  return name(last);
}

/** The server's English messages that clerks meet most, in Chinese; others are shown as sent. */
const MESSAGES: [RegExp, (m: RegExpExecArray) => string][] = [
  [/^wrong user name or password$/, () => '用户名或密码错误'],
  [/^log in first/, () => '请先登录'],
  [/must be a real date written YYYY-MM-DD/, () => '须为真实日期，格式 YYYY-MM-DD'],
  [/must be an 18-character resident ID number/, () => '须为18位公民身份号码'],
  [/is not a field of this request/, () => '不是本请求的字段'],
  [/^Invalid input: expected (\w+), received (\w+)$/, (m) => `类型不对（应为 ${m[1]}，收到 ${m[2]}）`],
  [/^Invalid option: expected one of (.*)$/, (m) => `须为以下之一：${m[1]}`],
  [/^Too small/, () => '太小或太短'],
  [/^Too big/, () => '太大或太长'],
  [/give enrollmentId, or idNumber with coverageYear/, () => '请填写参保登记号，或身份证号和待遇年度'],
  [/^role (\w+) may not (.*)$/, (m) => `角色「${ROLE_LABELS[m[1]] ?? m[1]}」无权执行此操作（${m[2]}）`],
  [/^village (\d+) is outside (.*)'s area$/, (m) => `村（乡镇）${m[1]} 不在 ${m[2]} 的经办范围内`],
  [/^no (person|settlement|enrollment|encounter|hospital) (\S+)$/, (m) => `没有编号为 ${m[2]} 的${AUDIT_ENTITIES[m[1]] ?? m[1]}`],
  [/^the body is not valid JSON/, () => '请求内容不是有效的 JSON'],
  [/is not an XLSX file/, () => '不是有效的 XLSX 文件'],
  [/the file is larger than (\d+) MB/, (m) => `文件超过 ${m[1]} MB`],
  [/has already been reversed/, () => '该结算已冲正'],
  [/^([\d.]+) yuan is not the amount due: ([\d.]+) yuan \(paid on ([\d-]+)(.*)\)$/, (m) => `${m[1]} 元不是应缴金额：按缴费日期 ${m[3]} 应缴 ${m[2]} 元${m[4] ? '（含个人承担的财政补助）' : ''}`],
  [/^is in the future$/, () => '不能晚于今天'],
  [/^not a yuan amount with at most two decimals: (.*)$/, (m) => `「${m[1]}」不是金额（元，至多两位小数）`],
  [/has a wrong check character \(GB 11643\)/, () => '校验码不对（GB 11643），有字符录错'],
  [/is a 15-digit number of the old format/, () => '是旧的15位号码，请填写18位号码'],
  [/was stored as a number by the spreadsheet/, () => '被表格软件存成了数字、丢了末几位：请把该列设为文本格式'],
  [/^has (\d+) characters; a resident ID number has 18$/, (m) => `有 ${m[1]} 位，公民身份号码为18位`],
  [/^must be 17 digits followed by a digit or X$/, () => '须为17位数字加1位数字或X'],
  [/^starts with (\d+), which is not a region code/, (m) => `开头 ${m[1]} 不是行政区划代码`],
  [/^holds the birth date (\S+), which is not a date$/, (m) => `中的出生日期 ${m[1]} 不是有效日期`],
  [/^is empty$/, () => '为空'],
  [/^village (\d+) is outside (.*)'s area$/, (m) => `村（乡镇）${m[1]} 不在 ${m[2]} 的经办范围内`],
  [/^no enrollment of this person for (\d+)/, (m) => `该人员没有 ${m[1]} 年度的参保登记`],
  // the campaign pages (参保进度, 半月通报)
  [/^must be a date written YYYY-MM-DD$/, () => '须为日期，格式 YYYY-MM-DD'],
  [/^must be a county \(6 digits\), township \(9\) or village \(12\) code$|is not an area code/, () => '须为行政区划代码：县6位、乡镇9位、村12位'],
  [/^area (\d+) is outside (\S+)'s area/, (m) => `区域 ${m[1]} 不在 ${m[2]} 的经办范围内`],
  [/^no area (\d+) in the registers$/, (m) => `没有区划 ${m[1]}`],
  [/^(\d+) is a village: give its township/, (m) => `${m[1]} 是村（社区）：通报按乡镇（街道）或全县编制`],
  [/^no policy pack covers region (\d+) in (\d+)$/, (m) => `没有统筹区 ${m[1]} ${m[2]} 年度的政策包`],
  [/is not one of the groups/, () => '不是七类对象之一'],
  [/^a hospital may not read the campaign/, () => '定点医疗机构不能查看参保进度'],
  // the imports (a sheet's header and rows: src/monitoring/sheet-import.ts, payment-file.ts, targets.ts, evouchers.ts)
  [/^no .+ column \(accepted headings: (.*)\)$/, (m) => `缺少必需的列（可用的列名：${m[1]}）`],
  [/^the columns "(.*)" and "(.*)" both hold \w+$/, (m) => `「${m[1]}」和「${m[2]}」两列是同一项内容，请只留一列`],
  [/ cannot be read as (CSV|XLSX)/, (m) => `文件无法按 ${m[1]} 读取`],
  [/ has no header row$/, () => '文件没有表头行'],
  [/^repeats line (\d+) \(the same (.+)\)$/, (m) => `与第 ${m[1]} 行重复（${IMPORT_KEYS[m[2]] ?? m[2]}相同）`],
  [/^give the payment reference \(流水号\), at most 100 characters$/, () => '请填写缴费流水号（至多100个字符）'],
  [/^"(.*)" is not a date \(YYYY-MM-DD\)$/, (m) => `「${m[1]}」不是日期（格式 YYYY-MM-DD）`],
  [/^(\d{4}-\d{2}-\d{2}) is in the future$/, (m) => `${m[1]} 晚于今天`],
  [/^"(.*)" is not an amount in yuan/, (m) => `「${m[1]}」不是金额（元，至多两位小数）`],
  [/^must be more than 0$/, () => '须大于0'],
  [/^"(.*)" is not a channel \((.*)\)$/, (m) => `「${m[1]}」不是可识别的渠道（可填：${m[2]}）`],
  [/^is empty: give the channel, or a default channel for the file$/, () => '为空：请填写缴费渠道，或为文件选择默认缴费渠道'],
  [/^"(.*)" is not a coverage year$/, (m) => `「${m[1]}」不是年度`],
  [/^reference (\S+) was recorded for another payment/, (m) => `缴费流水号 ${m[1]} 已用于另一笔缴费（渠道、人员、金额或日期不同）`],
  [/^no enrollment for this ID number in (\d+)/, (m) => `该身份证号没有 ${m[1]} 年度的参保登记（人员是否已登记、该年度是否已核定）`],
  [/^this person is registered in village (\d+), outside (.*)'s area$/, (m) => `该人员登记在村（社区）${m[1]}，不在 ${m[2]} 的经办范围内`],
  [/^differs from the name in the registers for this ID number$/, () => '与该身份证号登记的姓名不一致'],
  [/^重复参保 — already paid for (\d+)(?: \(payment (\S+)\))?; refused and flagged$/, (m) => `重复参保：${m[1]} 年度已缴费${m[2] ? `（缴费流水号 ${m[2]}）` : ''}，本笔被拒绝并已标记`],
  [/^the person cannot be quoted: (.*)$/, (m) => `无法测算该人员的应缴金额：${m[1]}`],
  [/^(.+?): payment on (\S+) is not accepted for (\d+)$/, (m) => `${m[1]}：${m[2]} 的缴费不予受理（${m[3]} 年度）`],
  [/^the person owes ([\d.]+) yuan; the medical-assistance fund's part is posted with the person's own payment$/, (m) => `该人员须个人缴纳 ${m[1]} 元；医疗救助资助部分随个人缴费一并记账，不单独登记`],
  [/^([\d.]+) yuan is not the assistance due from the medical-assistance fund: ([\d.]+) yuan$/, (m) => `${m[1]} 元不是医疗救助应资助金额：应为 ${m[2]} 元`],
  [/^nothing is due from the person \(the medical-assistance fund pays ([\d.]+) yuan\)/, (m) => `该人员个人无需缴费（医疗救助资助 ${m[1]} 元）：请以“医疗救助”渠道登记`],
  [/^is empty: give the number of persons$/, () => '为空：请填写人数'],
  [/^"(.*)" is not a whole number of persons$/, (m) => `「${m[1]}」不是整数人数`],
  [/^(\d+) is not a plausible number of persons for a village$/, (m) => `${m[1]} 不是一个村可能的人数`],
  [/^"(.*)" is not a village code \(12 digits\)$/, (m) => `「${m[1]}」不是村（社区）区划代码（12位）`],
  [/^no village (\d+) in the registers$/, (m) => `没有区划代码为 ${m[1]} 的村（社区）`],
  [/^is (.+), but village (\d+) is (.+)$/, (m) => `填的是「${m[1]}」，但区划代码 ${m[2]} 是「${m[3]}」`],
  [/^village (\d+) is not in (\d+)$/, (m) => `村（社区）${m[1]} 不在所选的 ${m[2]} 内`],
  [/^is empty: give the village/, () => '为空：请填写村（社区）名称或区划代码'],
  [/^no village named (\S+?)(?: in (\d+))? in the registers( within .*)?$/, (m) => `没有名为「${m[1]}」的村（社区）${m[2] ? `（在 ${m[2]} 内）` : ''}${m[3] ? '（在本人经办范围内）' : ''}`],
  [/^(\S+) names (\d+) villages \((.*)\): give --town or the 区划代码 column$/, (m) => `「${m[1]}」对应 ${m[2]} 个村（${m[3]}）：请选择所在镇，或改用“区划代码”列`],
  [/^the sheet has no 年度 column: give the coverage year/, () => '表中没有“年度”列：请选择年度'],
  [/^the total line says (\d+), the villages of the sheet add up to (\d+)$/, (m) => `合计行为 ${m[1]}，表中各村相加为 ${m[2]}`],
  [/^no person with this ID number in the registers$/, () => '人员登记中没有该身份证号'],
  [/^the enrollment is blocked as a duplicate enrollment$/, () => '该人员的参保登记已作为重复参保被拦截'],
];

/** What a repeated row repeats (the sheet's key), in Chinese. */
const IMPORT_KEYS: Record<string, string> = { reference: '缴费流水号', 'ID number': '身份证号', 'village and year': '村（社区）和年度' };

const CODES: Record<string, string> = {
  PAYMENT_REFERENCE_REUSED: '该缴费流水号已用于另一笔缴费',
  DUPLICATE_ENROLLMENT: '重复参保',
  ENROLLMENT_PAID: '已缴费，不能再更改档次',
  ALREADY_SETTLED: '该就诊已有有效结算',
  ALREADY_REVERSED: '该结算已冲正',
  stale_version: '记录已被他人修改，请刷新后重试',
  duplicate_person: '该身份证号已登记',
  scope: '不在经办范围',
  enrollment: '没有参保登记',
  person: '没有该人员',
  ...REFUSAL_CODES,
};

export function translateMessage(message: string, code?: string): string {
  // the server's "field: " prefix goes: the field is named separately
  const text = message.replace(/^[\w.()[\]-]+: /, '');
  for (const [re, f] of MESSAGES) {
    const m = re.exec(text);
    if (m) return f(m);
  }
  const c = code && CODES[code];
  // a message that is already Chinese (the engine's refusals) is shown as it is
  return c && !/[\u4e00-\u9fff]/.test(text) ? `${c}（${text}）` : text;
}

/** A code the server gives (a refusal, a conflict) in Chinese, or the code itself. */
export const codeLabel = (code: string): string => CODES[code] ?? code;

export const label = (map: Record<string, string>, k: string | null | undefined): string => (k ? (map[k] ?? k) : '—');

export function yuan(v: number | null | undefined): string {
  if (v === null || v === undefined) return '—';
  return v.toLocaleString('zh-CN', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

export const ACCUMULATOR_LABELS: Record<string, string> = {
  inpatientAdmissions: '住院次数',
  basicPaid: '基本医保已支付',
  generalOutpatientPaid: '普通门诊已支付',
  generalOutpatientDeductible: '普通门诊已计起付线',
  hypertensionDiabetesPaid: '门诊两病已支付',
  hypertensionDiabetesDeductible: '门诊两病已计起付线',
  chronicDeductible: '门诊慢特病已计起付线',
  chronicPaid: '门诊慢特病已支付（按病种）',
  criticalIllnessBase: '大病保险累计合规费用',
  criticalIllnessPaid: '大病保险已支付',
  assistanceDeductible: '医疗救助已计起付线',
  assistancePaid: '医疗救助已支付',
  burdenAfterThreeTiers: '三重保障后个人负担',
  preferentialAssistancePaid: '倾斜救助已支付',
};

/** The national platform's setlinfo fields. */
export const SETLINFO_LABELS: Record<string, string> = {
  medfee_sumamt: '医疗费总额',
  fulamt_ownpay_amt: '全自费金额',
  overlmt_selfpay: '超限价自费',
  preselfpay_amt: '先行自付金额',
  inscp_scp_amt: '符合政策范围金额',
  act_pay_dedc: '实际支付起付线',
  hifp_pay: '基本医疗保险统筹基金支出',
  pool_prop_selfpay: '基本医疗保险统筹基金支付比例',
  hifmi_pay: '居民大病保险资金支出',
  maf_pay: '医疗救助基金支出',
  fund_pay_sumamt: '基金支付总额',
  psn_part_amt: '个人负担总金额',
  acct_pay: '个人账户支出',
  psn_cash_pay: '个人现金支出',
};
