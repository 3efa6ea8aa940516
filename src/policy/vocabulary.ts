/** The one name for each thing (../shared/GLOSSARY.md), as code identifiers. */

export const PERSON_KINDS = [
  'adult',
  'student_child',
  'college_student',
  'newborn',
  'residence_permit_holder',
  'flexible_worker',
] as const;
export type PersonKind = (typeof PERSON_KINDS)[number];

export const NEEDY_STATUSES = [
  'destitute',
  'orphan',
  'unsupported_child',
  'dibao',
  'dibao_edge',
  'relapsed_poor',
  'unstable_exited',
  'at_risk_edge',
  'sudden_hardship',
  'monitored',
  'stable_exited',
  'severe_disability',
  'entitled_veteran',
  'civil_affairs_registered',
  'illness_impoverished',
  'old_demobilized_soldier',
] as const;
export type NeedyStatus = (typeof NEEDY_STATUSES)[number];

/** Derived groups a rule may name; a person belongs through the statuses listed. */
export const STATUS_GROUPS = {
  /** 农村低收入人口 — the glossary's derived group. */
  rural_low_income: [
    'destitute',
    'orphan',
    'unsupported_child',
    'dibao',
    'dibao_edge',
    'stable_exited',
    'unstable_exited',
    'monitored',
    'at_risk_edge',
    'sudden_hardship',
    'relapsed_poor',
  ],
} as const satisfies Record<string, readonly NeedyStatus[]>;
export type StatusGroup = keyof typeof STATUS_GROUPS;

/** 纳入监测范围的易返贫致贫人口: its three kinds imply the status itself. */
export const STATUS_IMPLIES: Partial<Record<NeedyStatus, NeedyStatus[]>> = {
  unstable_exited: ['monitored'],
  at_risk_edge: ['monitored'],
  sudden_hardship: ['monitored'],
};

export const STATUS_LABELS: Record<NeedyStatus | StatusGroup, string> = {
  destitute: '特困人员',
  orphan: '孤儿',
  unsupported_child: '事实无人抚养儿童',
  dibao: '低保对象',
  dibao_edge: '低保边缘家庭成员',
  relapsed_poor: '返贫致贫人口',
  unstable_exited: '脱贫不稳定户',
  at_risk_edge: '边缘易致贫户',
  sudden_hardship: '突发严重困难户',
  monitored: '纳入监测范围的易返贫致贫人口',
  stable_exited: '稳定脱贫人口',
  severe_disability: '重度（一、二级）残疾人',
  entitled_veteran: '在乡重点优抚对象',
  civil_affairs_registered: '民政部门建档其他人员',
  illness_impoverished: '因病致贫家庭重病患者',
  old_demobilized_soldier: '在乡老复员军人',
  rural_low_income: '农村低收入人口',
};

export const KIND_LABELS: Record<PersonKind, string> = {
  adult: '城乡居民（成年）',
  student_child: '学生、儿童',
  college_student: '在校大学生',
  newborn: '新生儿',
  residence_permit_holder: '持居住证人员',
  flexible_worker: '灵活就业人员',
};

export const TIERS = ['tier1', 'tier2'] as const;
export type Tier = (typeof TIERS)[number];

export const SUBSIDY_LEVELS = ['central', 'provincial', 'prefecture', 'county', 'local', 'unallocated'] as const;
export type SubsidyLevel = (typeof SUBSIDY_LEVELS)[number];

export const REGION_CLASSES = ['west', 'central', 'east'] as const;
export type RegionClass = (typeof REGION_CLASSES)[number];

/** Business refusal codes of the contribution quote. */
export const REFUSAL_CODES = {
  BEFORE_ENROLLMENT_WINDOW: '缴费日期早于集中参保期',
  AFTER_FINAL_DEADLINE: '已超过最迟缴费期限',
  NEWBORN_NOT_IN_COVERAGE_YEAR: '新生儿出生日期不在待遇年度内',
  NO_APPLICABLE_RULE: '政策包中没有适用于该情形的规则',
  NO_BENEFIT_PERIOD: '按规定的待遇起始日，本待遇期内已无可享受待遇的日期，不收取本期费用',
} as const;
export type RefusalCode = keyof typeof REFUSAL_CODES;

/** What an answer warns about: it answers, but the clerk should know. */
export const WARNING_CODES = {
  PACK_OF_PARENT_REGION: '本区划本年度没有本级政策包，按上级区划的政策包答复',
  SUBSIDY_CLASS_MISSING: '未提供财政补助类别，未划分各级财政分担',
  RESIDENCE_ASSUMED: '未提供户籍类型，按假定的户籍类型判断',
} as const;
export type WarningCode = keyof typeof WARNING_CODES;

/** 户籍类型: rural (农业, 农村) or urban (非农业, 城镇) residence registration. */
export const RESIDENCES = ['rural', 'urban'] as const;
export type Residence = (typeof RESIDENCES)[number];
export const RESIDENCE_LABELS: Record<Residence, string> = { rural: '农村', urban: '城镇' };

/** How users write a residence type → the identifier (trimmed, lower-cased). */
export const RESIDENCE_ALIASES: Record<string, Residence> = {
  rural: 'rural',
  urban: 'urban',
  农业: 'rural',
  农村: 'rural',
  农业户口: 'rural',
  农业户籍: 'rural',
  农村户口: 'rural',
  农村户籍: 'rural',
  非农业: 'urban',
  城镇: 'urban',
  非农业户口: 'urban',
  非农业户籍: 'urban',
  城镇户口: 'urban',
  城镇户籍: 'urban',
};

/** How users write a tier → the identifier. */
export const TIER_ALIASES: Record<string, Tier> = {
  tier1: 'tier1',
  tier2: 'tier2',
  '1': 'tier1',
  '2': 'tier2',
  一档: 'tier1',
  二档: 'tier2',
};
export const TIER_LABELS: Record<Tier, string> = { tier1: '一档', tier2: '二档' };

/** Encounter types of settlement (national med_type in brackets). */
export const ENCOUNTER_TYPES = [
  'inpatient', // 住院 (2101)
  'general_outpatient', // 普通门诊 (11)
  'hypertension_diabetes', // 门诊两病 (9901)
  'chronic_special_outpatient', // 门诊慢特病 (14)
  'maternity', // 生育 (51 门诊 / 52 住院)
] as const;
export type EncounterType = (typeof ENCOUNTER_TYPES)[number];

export const ENCOUNTER_LABELS: Record<EncounterType, string> = {
  inpatient: '住院',
  general_outpatient: '普通门诊',
  hypertension_diabetes: '门诊两病（高血压、糖尿病）用药',
  chronic_special_outpatient: '门诊慢特病',
  maternity: '生育',
};

/** Hospital levels (national 医院等级 一级/二级/三级; 基层 counts as 一级). */
export const HOSPITAL_LEVELS = ['primary', 'secondary', 'tertiary'] as const;
export type HospitalLevel = (typeof HOSPITAL_LEVELS)[number];
export const LEVEL_LABELS: Record<HospitalLevel, string> = { primary: '一级及以下', secondary: '二级', tertiary: '三级' };

/** Where the care was given, from the coordinating area's point of view. */
export const CARE_LOCATIONS = ['in_area', 'in_province', 'out_of_province'] as const;
export type CareLocation = (typeof CARE_LOCATIONS)[number];

/** Why an encounter (or part of it) was settled as cash: coded, as claim rejection reasons. */
export const SETTLEMENT_CODES = {
  OUTSIDE_BENEFIT_PERIOD: '就诊日期不在待遇享受期内，费用由个人负担',
  ENCOUNTER_TYPE_NOT_COVERED: '政策包未规定该类就诊的待遇，费用由个人负担',
  DISEASE_NOT_LISTED: '病种不在门诊慢特病病种范围内，按普通门诊以外费用由个人负担',
  OUTSIDE_COVERAGE_YEAR: '就诊日期不在该待遇年度内',
  NOT_ENROLLED: '就诊人该年度未参保或未缴费，费用由个人负担',
} as const;
export type SettlementCode = keyof typeof SETTLEMENT_CODES;
