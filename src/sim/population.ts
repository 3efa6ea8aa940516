/**
 * A generated town for the demo, tests and benchmarks: the county / township / village
 * hierarchy, households, persons with valid resident ID numbers and a realistic rural age
 * structure, needy statuses in shares like a Chongqing mountain township's, contribution
 * tiers and payment dates, and a year of encounters. Pure and seeded: the same options give
 * the same town.
 */
import { dayOf, formatDay, type Day } from '../dates.js';
import type { Fen } from '../money.js';
import type { CareLocation, EncounterType, HospitalLevel, NeedyStatus, PersonKind, Tier } from '../policy/vocabulary.js';
import { makeIdNumber } from '../registers/id-number.js';
import { Rng } from './random.js';

export interface TownOptions {
  people: number;
  seed?: number;
  coverageYear?: number;
  /** the county (统筹区) code; default 500230 丰都县 */
  county?: string;
  countyName?: string;
  /** whether to generate a year of encounters */
  encounters?: boolean;
}

export interface Area {
  code: string;
  name: string;
  level: 'county' | 'township' | 'village';
  parent: string | null;
}

export interface StatusGrant {
  status: NeedyStatus;
  source: 'civil_affairs' | 'rural_revitalization' | 'disability_federation' | 'veterans_affairs';
  validFrom: string;
  validTo: string | null;
}

export interface Person {
  idNumber: string;
  name: string;
  gender: 'male' | 'female';
  birthDate: string;
  villageCode: string;
  houseNo: string;
  kind: PersonKind;
  graduationYear: number | null;
  statuses: StatusGrant[];
  tier: Tier;
  /** null: did not pay this year */
  payment: { paidOn: string; channel: 'online' | 'offline' } | null;
}

export interface Hospital {
  code: string;
  name: string;
  level: HospitalLevel;
  /** 公立 / 民营 (鲁医保发〔2022〕24号 五 counts public hospitals) */
  ownership: 'public' | 'private';
}

export interface GeneratedEncounter {
  /** index into persons */
  person: number;
  hospital: string;
  type: EncounterType;
  setting: 'outpatient' | 'inpatient' | null;
  date: string;
  location: CareLocation;
  referred: boolean;
  disease: string | null;
  costs: { total: Fen; fullOwnPay: Fen; overLimitSelfPay: Fen; preSelfPay: Fen; inScope: Fen };
}

export interface Town {
  coverageYear: number;
  county: string;
  areas: Area[];
  households: { villageCode: string; houseNo: string }[];
  persons: Person[];
  hospitals: Hospital[];
  encounters: GeneratedEncounter[];
}

const SURNAMES = ['陈', '李', '王', '张', '刘', '杨', '黄', '周', '吴', '徐', '谭', '秦', '冉', '向', '彭', '罗', '何', '邓', '熊', '袁', '唐', '蒋', '程', '文', '余', '胡', '廖', '曾', '龙', '夏'];
const GIVEN = ['明', '华', '芳', '丽', '强', '军', '平', '红', '英', '杰', '勇', '敏', '静', '兰', '霞', '伟', '林', '秀', '春', '国', '建', '玉', '海', '燕', '志', '刚', '梅', '德', '琴', '波', '婷', '浩', '宇', '欣', '思', '雨', '涛', '琳', '佳', '鑫'];
const VILLAGE_NAMES = ['兴义社区', '长江村', '杨柳村', '花园村', '双龙村', '大坪村', '石龙村', '天星村', '观音村', '青龙村', '新华村', '红岩村', '金竹村', '水口村', '白果村', '玉泉村', '龙井村', '凤凰村', '柏林村', '桂花村'];
const TOWNSHIP_NAMES = ['兴义镇', '三合街道', '名山街道', '高家镇', '社坛镇', '龙孔镇', '董家镇', '包鸾镇', '湛普镇', '树人镇'];
const CHRONIC = ['hypertension', 'diabetes', 'cancer_outpatient_therapy', 'uremia_dialysis', 'organ_transplant_antirejection'];

const SOURCE: Record<string, StatusGrant['source']> = {
  destitute: 'civil_affairs',
  orphan: 'civil_affairs',
  unsupported_child: 'civil_affairs',
  dibao: 'civil_affairs',
  dibao_edge: 'civil_affairs',
  illness_impoverished: 'civil_affairs',
  civil_affairs_registered: 'civil_affairs',
  relapsed_poor: 'rural_revitalization',
  unstable_exited: 'rural_revitalization',
  at_risk_edge: 'rural_revitalization',
  sudden_hardship: 'rural_revitalization',
  stable_exited: 'rural_revitalization',
  severe_disability: 'disability_federation',
  entitled_veteran: 'veterans_affairs',
  old_demobilized_soldier: 'veterans_affairs',
};

export function generateTown(o: TownOptions): Town {
  const rng = new Rng(o.seed ?? 20220113);
  const year = o.coverageYear ?? 2022;
  const county = o.county ?? '500230';
  const areas: Area[] = [{ code: county, name: o.countyName ?? '丰都县', level: 'county', parent: null }];
  // ~2 500 persons per village, ~12 villages per township
  const villageCount = Math.max(1, Math.round(o.people / 2500));
  const townshipCount = Math.max(1, Math.ceil(villageCount / 12));
  const villages: string[] = [];
  for (let t = 0; t < townshipCount; t++) {
    const tcode = `${county}${String(100 + t).padStart(3, '0')}`;
    areas.push({ code: tcode, name: TOWNSHIP_NAMES[t % TOWNSHIP_NAMES.length] + (t >= TOWNSHIP_NAMES.length ? String(t) : ''), level: 'township', parent: county });
    const inThis = Math.min(12, villageCount - t * 12);
    for (let v = 0; v < inThis; v++) {
      const vcode = `${tcode}${String(v + 1).padStart(3, '0')}`;
      areas.push({ code: vcode, name: VILLAGE_NAMES[v % VILLAGE_NAMES.length], level: 'village', parent: tcode });
      villages.push(vcode);
    }
  }
  const hospitals: Hospital[] = [
    { code: 'H50023001', name: '兴义镇卫生院', level: 'primary', ownership: 'public' },
    { code: 'H50023002', name: '丰都县人民医院', level: 'secondary', ownership: 'public' },
    { code: 'H50010001', name: '重庆医科大学附属第一医院', level: 'tertiary', ownership: 'public' },
  ];

  const persons: Person[] = [];
  const households: Town['households'] = [];
  const usedIds = new Set<string>();
  const yearStart = dayOf(year, 1, 1);
  const idFor = (birth: string, gender: 'male' | 'female'): string => {
    for (;;) {
      let seq = rng.int(0, 999);
      if ((seq % 2 === 1) !== (gender === 'male')) seq = (seq + 1) % 1000;
      const id = makeIdNumber(county, birth, seq);
      if (!usedIds.has(id)) {
        usedIds.add(id);
        return id;
      }
    }
  };
  const name = (surname: string): string => surname + rng.pick(GIVEN) + (rng.chance(0.7) ? rng.pick(GIVEN) : '');
  const birthAtAge = (age: number): string => formatDay(yearStart - age * 365 - rng.int(0, 364));

  let hh = 0;
  while (persons.length < o.people) {
    const village = villages[hh % villages.length];
    const houseNo = String(Math.floor(hh / villages.length) + 1).padStart(4, '0');
    hh++;
    households.push({ villageCode: village, houseNo });
    const surname = rng.pick(SURNAMES);
    // household status, shared by its members
    const hhStatus = rng.weighted<NeedyStatus | null>([
      [null, 80.6],
      ['stable_exited', 8],
      ['dibao', 5],
      ['dibao_edge', 2],
      ['unstable_exited', 0.6],
      ['at_risk_edge', 0.5],
      ['sudden_hardship', 0.2],
      ['relapsed_poor', 0.3],
      ['illness_impoverished', 0.3],
      ['destitute', 2.5], // 特困 households are mostly one old person
    ]);
    const size = hhStatus === 'destitute' ? 1 : rng.weighted([[1, 12], [2, 28], [3, 24], [4, 20], [5, 11], [6, 5]] as const);
    for (let i = 0; i < size && persons.length < o.people; i++) {
      const age =
        hhStatus === 'destitute'
          ? rng.int(60, 92)
          : i === 0
            ? rng.weighted([[rng.int(25, 44), 30], [rng.int(45, 59), 40], [rng.int(60, 90), 30]] as const)
            : rng.weighted([[0, 1.4], [rng.int(1, 6), 6], [rng.int(7, 17), 15], [rng.int(18, 22), 6], [rng.int(23, 59), 44], [rng.int(60, 95), 27.6]] as const);
      const gender = rng.chance(0.5) ? 'male' : 'female';
      const birthDate = age === 0 ? formatDay(yearStart + rng.int(0, 330)) : birthAtAge(age);
      let kind: PersonKind = 'adult';
      let graduationYear: number | null = null;
      if (age === 0) kind = 'newborn';
      else if (age < 18) kind = 'student_child';
      else if (age <= 22 && rng.chance(0.45)) {
        kind = 'college_student';
        if (age >= 21 && rng.chance(0.4)) graduationYear = year;
      }
      const statuses: StatusGrant[] = [];
      const grant = (s: NeedyStatus): void => {
        statuses.push({ status: s, source: SOURCE[s], validFrom: formatDay(yearStart - rng.int(30, 900)), validTo: null });
      };
      if (hhStatus) grant(hhStatus);
      if (rng.chance(age >= 16 ? 0.012 : 0.004)) grant('severe_disability');
      if (age >= 55 && rng.chance(0.004)) grant('entitled_veteran');
      if (age >= 85 && rng.chance(0.02)) grant('old_demobilized_soldier');
      if (age < 18 && rng.chance(0.0008)) grant('orphan');
      const tier: Tier = rng.chance(0.9) ? 'tier1' : 'tier2';
      let payment: Person['payment'] = null;
      const channel = rng.chance(0.7) ? 'online' : 'offline';
      if (kind === 'newborn') {
        const birth = dayOfString(birthDate);
        if (rng.chance(0.85)) payment = { paidOn: formatDay(birth + rng.int(5, 80)), channel };
      } else {
        const w = rng.weighted([['window', 88], ['late_subsidised', 4.5], ['late', 2], ['none', 5.5]] as const);
        if (w === 'window') payment = { paidOn: formatDay(dayOf(year - 1, 12, 1) + rng.int(0, 89)), channel };
        else if (w === 'late_subsidised') payment = { paidOn: formatDay(dayOf(year, 3, 1) + rng.int(0, 120)), channel };
        else if (w === 'late') payment = { paidOn: formatDay(dayOf(year, 7, 1) + rng.int(0, 90)), channel };
      }
      persons.push({ idNumber: idFor(birthDate, gender), name: name(i === 0 || rng.chance(0.6) ? surname : rng.pick(SURNAMES)), gender, birthDate, villageCode: village, houseNo, kind, graduationYear, statuses, tier, payment });
    }
  }

  const encounters: GeneratedEncounter[] = [];
  if (o.encounters !== false) {
    const dateIn = (from: Day): string => formatDay(Math.min(dayOf(year, 12, 31), from + rng.int(0, Math.max(0, dayOf(year, 12, 31) - from))));
    const costs = (lo: number, hi: number): GeneratedEncounter['costs'] => {
      const total = Math.round((lo + (hi - lo) * rng.next() ** 2) * 100);
      const own = Math.floor(total * rng.next() * 0.08);
      const pre = Math.floor(total * rng.next() * 0.05);
      const over = rng.chance(0.1) ? Math.floor(total * 0.01) : 0;
      return { total, fullOwnPay: own, overLimitSelfPay: over, preSelfPay: pre, inScope: total - own - pre - over };
    };
    persons.forEach((p, idx) => {
      if (!p.payment) return;
      const from = Math.max(dayOf(year, 1, 1), dayOfString(p.payment.paidOn));
      const age = year - Number(p.birthDate.slice(0, 4));
      const visits = rng.weighted([[0, 35], [1, 25], [2, 18], [3, 12], [4, 10]] as const);
      for (let v = 0; v < visits; v++)
        encounters.push({ person: idx, hospital: hospitals[0].code, type: 'general_outpatient', setting: null, date: dateIn(from), location: 'in_area', referred: true, disease: null, costs: costs(30, 400) });
      if (age >= 50 && rng.chance(0.25))
        for (let m = 0; m < 4; m++)
          encounters.push({ person: idx, hospital: hospitals[0].code, type: 'hypertension_diabetes', setting: null, date: dateIn(from), location: 'in_area', referred: true, disease: null, costs: costs(40, 150) });
      if (rng.chance(0.03))
        for (let m = 0; m < 3; m++)
          encounters.push({ person: idx, hospital: hospitals[1].code, type: 'chronic_special_outpatient', setting: null, date: dateIn(from), location: 'in_area', referred: true, disease: rng.pick(CHRONIC), costs: costs(500, 6000) });
      // about 15 % of rural residents are admitted in a year, the elderly more often; spending per head
      // is then near the ~930 yuan a person brings (contribution + subsidy), as in a real fund
      if (rng.chance(age >= 60 ? 0.16 : 0.06)) {
        const h = rng.weighted([[hospitals[0], 40], [hospitals[1], 50], [hospitals[2], 10]] as const);
        encounters.push({ person: idx, hospital: h.code, type: 'inpatient', setting: null, date: dateIn(from), location: 'in_area', referred: rng.chance(0.95), disease: null, costs: h.level === 'tertiary' ? costs(8000, 80000) : h.level === 'secondary' ? costs(2000, 15000) : costs(800, 5000) });
      }
    });
    encounters.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : a.person - b.person));
  }
  return { coverageYear: year, county, areas, households, persons, hospitals, encounters };
}

function dayOfString(s: string): Day {
  return dayOf(Number(s.slice(0, 4)), Number(s.slice(5, 7)), Number(s.slice(8, 10)));
}
