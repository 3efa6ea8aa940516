/** Code tables of the platform (chapter 6 of the interface spec) as far as this system needs them. */
import type { EncounterType } from '../../policy/vocabulary.js';

export const INSUTYPE_RESIDENT = '390'; // 城乡居民基本医疗保险
export const PSN_TYPE_RESIDENT = '1701'; // 城乡居民
export const PSN_CERT_TYPE_ID = '01'; // 居民身份证（户口簿）

/**
 * 人员类别 psn_type (table 383) a client may send for a person of the register, by the person's
 * kind: every resident is 1701 城乡居民 (what 1101 answers) or 151 居民; the table's resident
 * sub-types name the kind — 15 居民（成年） / 16 居民（老年） the adults (and the residence-permit
 * holders and flexible workers insured as residents), 1401 新生儿, 1402 学龄前儿童 / 1403 中小学生 /
 * 1405 未成年（未入学） the students and children, 1404 大学生. The employees' and others' types
 * (11 在职, 12 退休 …) are never a resident's.
 */
export const PSN_TYPES_OF_KIND: Record<string, readonly string[]> = {
  adult: ['15', '16'],
  residence_permit_holder: ['15', '16'],
  flexible_worker: ['15', '16'],
  student_child: ['1402', '1403', '1405'],
  college_student: ['1404'],
  newborn: ['1401'],
};
export const PSN_TYPES_OF_EVERY_RESIDENT: readonly string[] = [PSN_TYPE_RESIDENT, '151'];

/** med_type → the settlement engine's encounter type (and, for maternity, the setting). */
export const MED_TYPES: Record<string, { type: EncounterType; setting?: 'outpatient' | 'inpatient'; kind: 'outpatient' | 'inpatient' }> = {
  '11': { type: 'general_outpatient', kind: 'outpatient' }, // 普通门诊
  '14': { type: 'chronic_special_outpatient', kind: 'outpatient' }, // 门诊慢特病
  '9901': { type: 'hypertension_diabetes', kind: 'outpatient' }, // 门诊两病
  '51': { type: 'maternity', setting: 'outpatient', kind: 'outpatient' }, // 生育门诊
  '2101': { type: 'inpatient', kind: 'inpatient' }, // 普通住院
  '21': { type: 'inpatient', kind: 'inpatient' }, // 住院 (older tables)
  '52': { type: 'maternity', setting: 'inpatient', kind: 'inpatient' }, // 生育住院
};

/** 清算类别 clr_type by the kind of encounter. */
export const CLR_TYPE = { outpatient: '11', inpatient: '21' } as const;

/** needy status → 人员身份类别 psn_idet_type (the national codes the registers import accepts). */
export const PSN_IDET_TYPE: Record<string, string> = {
  destitute: '2304', // 特困救助对象
  orphan: '2361',
  unsupported_child: '2370',
  dibao: '2303', // 低保救助对象
  dibao_edge: '236074',
  relapsed_poor: '226104',
  unstable_exited: '226101',
  at_risk_edge: '226102',
  sudden_hardship: '226103',
  stable_exited: '2302', // 建档立卡贫困人员
  monitored: '2305', // 低收入救助对象
  severe_disability: '230801',
  entitled_veteran: '236021',
  illness_impoverished: '2306', // 因病致贫救助对象
  civil_affairs_registered: '23', // 医疗救助人员
};

/** chrgitm_lv 收费项目等级: 01 甲类, 02 乙类, 03 丙类. */
export const CHRGITM_LV: Record<string, 'A' | 'B' | 'C'> = { '01': 'A', '02': 'B', '03': 'C', '1': 'A', '2': 'B', '3': 'C' };
export const CHRGITM_LV_OF: Record<'A' | 'B' | 'C', string> = { A: '01', B: '02', C: '03' };
