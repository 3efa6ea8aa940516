/**
 * The screening rules as set-based statements: each one INSERT … SELECT over the year's live
 * settlements (risk_settled) and their platform fee lines (fsi_fee), as prepareScreen read them
 * once into the run's temporary tables, writing one case per hit
 * (risk_case, ON CONFLICT DO NOTHING: a hit screened again stays the case it is, in whatever
 * state its review left it). The parameters are the pack's (src/rules/risk/screen-rules.ts).
 */
import { sql, type RawBuilder } from 'kysely';
import { parseRate } from '../money.js';
import { list, num, type ScreenCode, type ScreenRule } from '../rules/risk/screen-rules.js';

export interface ScreenScope {
  year: number;
  /** the coordinating area whose insured persons are screened (admin_area.region); null: all */
  region: string | null;
}

const likeAny = (prefixes: string[]) => prefixes.map((p) => `${p.replace(/[%_\\]/g, (c) => `\\${c}`)}%`);

/**
 * What a run reads, read once (the first statements of the run's transaction, temporary tables
 * dropped at its commit). With the line rules: first the fee lines they can hit
 * (prepareFeeLines → screen_fee_line), found from fsi_fee's indexes alone. Then screen_settled:
 * the live settlements the rules compare with one another — the inpatient stays of the year, and
 * of the history months before it that FR09 compares with (every area) — and the settlements of
 * the year of the visits those fee lines belong to, and those of encounters dated outside their
 * coverage year (FR03's third side), each with its person's village, date of
 * death and whether it is in the run's scope (the year's settlements of the area's persons).
 * (The other settlements, most of the rows, are read by no rule but FR02 and FR03, which find
 * their few candidates from the person and enrollment side.) Then the in-scope visits' candidate
 * lines with their settlement (screen_fee). Each rule is then one statement over these.
 */
export function prepareScreen(s: ScreenScope, opts: { historyMonths: number; feeLines: boolean; rules?: Map<ScreenCode, ScreenRule> }): RawBuilder<unknown>[] {
  // one pass over the settlements and their encounters: the OR's encounter side (inpatient, or one
  // of the candidate lines' visits, or dated outside the year) is tested on each encounter row
  // before any join, the visits by a hash of the candidate visits
  const settled = sql`CREATE TEMP TABLE screen_settled ON COMMIT DROP AS
      SELECT rs.*, p.village_code, p.date_of_death, (rs.coverage_year = ${s.year}::int AND (${s.region}::text IS NULL OR a.region = ${s.region}::text)) AS in_scope
        FROM risk_settled rs
        JOIN person p ON p.id = rs.person_id
        JOIN admin_area a ON a.code = p.village_code
       WHERE (rs.type = 'inpatient'
              AND (rs.coverage_year = ${s.year}::int
               OR (rs.adm_date < make_date(${s.year}::int + 1, 1, 1) AND rs.adm_date >= make_date(${s.year}::int, 1, 1) - make_interval(months => ${opts.historyMonths}::int))))
          OR (rs.coverage_year = ${s.year}::int AND (rs.adm_date < make_date(${s.year}::int, 1, 1) OR rs.adm_date > make_date(${s.year}::int, 12, 31)))
          ${opts.feeLines ? sql`OR (rs.coverage_year = ${s.year}::int AND rs.visit IN (SELECT mdtrt_id FROM screen_fee_line))` : sql``}`;
  if (!opts.feeLines) return [settled, sql`ANALYZE screen_settled`];
  return [
    ...prepareFeeLines(opts.rules ?? new Map()),
    settled,
    sql`ANALYZE screen_settled`,
    sql`CREATE TEMP TABLE screen_fee ON COMMIT DROP AS
      SELECT s.settlement_id, s.person_id, s.hospital_code, s.village_code, s.type, s.diagnosis, f.mdtrt_id, f.feedetl_sn, f.amount_fen, f.code, f.day, f.at, f.cnt, f.pric, f.line_key, f.day_key
        FROM screen_fee_line f JOIN screen_settled s ON f.mdtrt_id = s.visit AND (s.visit_part = '' OR f.chrg_bchno = s.visit_part)
       WHERE s.in_scope`,
    sql`ANALYZE screen_fee`,
  ];
}

/**
 * The live fee lines the line rules can hit (screen_fee_line), from fsi_fee's columns (043) and
 * indexes (047), never the JSON nor a hash of every line: the line_key values on at least FR04's
 * minRepeats live lines, and the day_key values whose live lines' positive quantities sum past
 * FR05's daily limit, each by a streaming group over its index (screen_fee_key); then the lines
 * of those keys and the lines of FR06's and FR07's items (by code prefix). Every line of a group
 * a rule looks at shares the group's key, and a key's live lines (of every visit part, scope and
 * year) include the group's, so a group that hits has its key here and all its lines; a key
 * collision or a line out of scope only brings in more lines to look at. The rules then group
 * screen_fee on the fields themselves, as over all lines.
 */
function prepareFeeLines(rules: Map<ScreenCode, ScreenRule>): RawBuilder<unknown>[] {
  const fr04 = rules.get('FR04');
  const fr05 = rules.get('FR05');
  const itemPrefixes = [...(['FR06', 'FR07'] as const)].flatMap((c) => (rules.get(c) ? list(rules.get(c)!, 'itemPrefixes') : []));
  const keys: RawBuilder<unknown>[] = [];
  if (fr04) keys.push(sql`SELECT line_key, NULL::bigint AS day_key FROM fsi_fee WHERE cancelled_at IS NULL AND line_key IS NOT NULL GROUP BY line_key HAVING count(*) >= ${num(fr04, 'minRepeats')}::int`);
  if (fr05) keys.push(sql`SELECT NULL::bigint, day_key FROM fsi_fee WHERE cancelled_at IS NULL AND day_key IS NOT NULL GROUP BY day_key HAVING sum(greatest(cnt, 0)) > ${num(fr05, 'maxPerDay')}::numeric`);
  // The OR is both the bitmap's (one index range each) and the filter each fetched line is tested
  // with, in the order written: the item prefixes first (one LIKE per prefix, a range of the item
  // index each; LIKE ANY would use no index), as most fetched lines are items' and pass there; the
  // key arrays last, as `= ANY` of a subquery's array is a linear search of it (thousands of keys)
  // for every line that reaches it.
  const wanted: RawBuilder<unknown>[] = [];
  for (const p of likeAny(itemPrefixes)) wanted.push(sql`f.med_list_codg LIKE ${p}`);
  if (fr04) wanted.push(sql`f.line_key = ANY(ARRAY(SELECT line_key FROM screen_fee_key WHERE line_key IS NOT NULL))`);
  if (fr05) wanted.push(sql`f.day_key = ANY(ARRAY(SELECT day_key FROM screen_fee_key WHERE day_key IS NOT NULL))`);
  return [
    // the streaming groups (GroupAggregate over the index in key order) rather than a hash of every line
    sql`SET LOCAL enable_hashagg = off`,
    sql`CREATE TEMP TABLE screen_fee_key ON COMMIT DROP AS ${keys.length ? sql.join(keys, sql` UNION ALL `) : sql`SELECT NULL::bigint AS line_key, NULL::bigint AS day_key WHERE false`}`,
    sql`SET LOCAL enable_hashagg = on`,
    sql`CREATE TEMP TABLE screen_fee_line ON COMMIT DROP AS
      SELECT f.mdtrt_id, f.feedetl_sn, f.chrg_bchno, f.amount_fen, f.med_list_codg AS code, left(f.fee_ocur_time, 10) AS day, f.fee_ocur_time AS at, f.cnt, f.pric, f.line_key, f.day_key
        FROM fsi_fee f
       WHERE f.cancelled_at IS NULL AND (${wanted.length ? sql.join(wanted, sql` OR `) : sql`false`})`,
    sql`ANALYZE screen_fee_line`,
  ];
}

/** The year's live settlements of the area's persons. */
const base = (_s: ScreenScope) => sql`s AS (SELECT * FROM screen_settled WHERE in_scope)`;

/** … and the fee lines their visits settled. */
const feeLines = sql`fl AS (SELECT * FROM screen_fee)`;

const insert = sql`INSERT INTO risk_case (rule_code, subject, coverage_year, hospital_code, person_id, village_code, settlement_ids, fee_lines, amount_fen, detail)`;
const done = sql`ON CONFLICT (rule_code, subject) DO NOTHING`;

type Builder = (r: ScreenRule, s: ScreenScope) => RawBuilder<unknown>;

const settlementJson = (t: string) => sql.raw(`jsonb_build_object('settlementId', ${t}.settlement_id::text, 'hospital', ${t}.hospital_code, 'admitted', ${t}.adm_date::text, 'discharged', ${t}.dscg_date::text, 'diagnosis', ${t}.diagnosis, 'fundFen', ${t}.fund_fen, 'totalFen', ${t}.total_fen)`);

export const SCREEN_SQL: Record<ScreenCode, Builder> = {
  // the same person in two hospitals on overlapping inpatient days (nights in both)
  FR01: (r, sc) => sql`WITH ${base(sc)}, i AS (SELECT * FROM s WHERE type = 'inpatient')
    ${insert}
    SELECT 'FR01', 'S' || a.settlement_id || '/' || b.settlement_id, ${sc.year}::int, b.hospital_code, a.person_id, a.village_code,
           ARRAY[a.settlement_id, b.settlement_id], '[]'::jsonb, LEAST(a.fund_fen, b.fund_fen),
           jsonb_build_object('overlapDays', LEAST(a.dscg_date, b.dscg_date) - GREATEST(a.adm_date, b.adm_date), 'stays', jsonb_build_array(${settlementJson('a')}, ${settlementJson('b')}))
      FROM i a JOIN i b ON b.person_id = a.person_id AND b.settlement_id > a.settlement_id AND b.hospital_code <> a.hospital_code
     WHERE LEAST(a.dscg_date, b.dscg_date) - GREATEST(a.adm_date, b.adm_date) >= ${num(r, 'minOverlapDays')}::int
    ${done}`,
  // settled after the registered date of death: the year's settlements of the area's persons with a date of death
  FR02: (r, sc) => sql`WITH d AS (SELECT p.id, p.village_code, p.date_of_death FROM person p JOIN admin_area a ON a.code = p.village_code
                     WHERE p.date_of_death IS NOT NULL AND (${sc.region}::text IS NULL OR a.region = ${sc.region}::text)),
    s AS (SELECT rs.*, d.village_code, d.date_of_death FROM d JOIN risk_settled rs ON rs.person_id = d.id AND rs.coverage_year = ${sc.year}::int)
    ${insert}
    SELECT 'FR02', 'S' || s.settlement_id, ${sc.year}::int, s.hospital_code, s.person_id, s.village_code, ARRAY[s.settlement_id], '[]'::jsonb, s.fund_fen,
           jsonb_build_object('dateOfDeath', s.date_of_death::text, 'daysAfter', s.adm_date - s.date_of_death, 'stay', ${settlementJson('s')})
      FROM s WHERE s.adm_date > s.date_of_death + ${num(r, 'graceDays')}::int
    ${done}`,
  // the fund paid for an encounter outside the person's benefit period (or without a paid enrollment).
  // Candidates first, each from a narrow side: the settlements of persons whose enrollment of the
  // year is not paid or does not cover the whole year; of persons without one; of encounters dated
  // outside the year (a paid whole-year enrollment can miss no other; these are read into
  // screen_settled with the run's other rows). The rule's test then on them.
  FR03: (r, sc) => sql`WITH cand AS (
      -- the few such enrollments' settlements by the person index (OFFSET 0: a lookup per enrollment, not a hash join over every settlement)
      SELECT s.id FROM enrollment e CROSS JOIN LATERAL (SELECT x.id FROM settlement x WHERE x.person_id = e.person_id AND x.coverage_year = e.coverage_year AND x.reversed_at IS NULL OFFSET 0) s
       WHERE e.coverage_year = ${sc.year}::int
         AND (e.state <> 'paid' OR e.benefit_start IS NULL OR e.benefit_end IS NULL OR e.benefit_start > make_date(${sc.year}::int, 1, 1) OR e.benefit_end < make_date(${sc.year}::int, 12, 31))
      UNION
      SELECT s.id FROM person p JOIN settlement s ON s.person_id = p.id AND s.coverage_year = ${sc.year}::int AND s.reversed_at IS NULL
       WHERE NOT EXISTS (SELECT 1 FROM enrollment e WHERE e.person_id = p.id AND e.coverage_year = ${sc.year}::int)
      UNION
      SELECT settlement_id FROM screen_settled
       WHERE coverage_year = ${sc.year}::int AND (adm_date < make_date(${sc.year}::int, 1, 1) OR adm_date > make_date(${sc.year}::int, 12, 31))),
    -- each candidate's row looked up by its key (OFFSET 0 keeps the lookup a lookup, not a hash join over every settlement)
    s AS (SELECT rs.*, p.village_code FROM cand CROSS JOIN LATERAL (SELECT * FROM risk_settled x WHERE x.settlement_id = cand.id AND x.coverage_year = ${sc.year}::int OFFSET 0) rs
            JOIN person p ON p.id = rs.person_id JOIN admin_area a ON a.code = p.village_code
           WHERE (${sc.region}::text IS NULL OR a.region = ${sc.region}::text))
    ${insert}
    SELECT 'FR03', 'S' || s.settlement_id, ${sc.year}::int, s.hospital_code, s.person_id, s.village_code, ARRAY[s.settlement_id], '[]'::jsonb, s.fund_fen,
           jsonb_build_object('benefitStart', e.benefit_start::text, 'benefitEnd', e.benefit_end::text, 'enrollment', e.state, 'stay', ${settlementJson('s')})
      FROM s LEFT JOIN enrollment e ON e.person_id = s.person_id AND e.coverage_year = s.coverage_year
     WHERE s.fund_fen >= ${num(r, 'minFundFen')}::bigint
       AND (e.id IS NULL OR e.state <> 'paid' OR e.benefit_start IS NULL OR s.adm_date < e.benefit_start OR s.adm_date > e.benefit_end)
    ${done}`,
  // identical fee lines (item, time, quantity, price) repeated within a visit; only the lines of the
  // repeated keys (a group that hits lies in its key's lines); the groups found with plain
  // aggregates first, the lines gathered (ordered aggregates) only for the groups that hit
  FR04: (r, sc) => sql`WITH fl AS (SELECT * FROM screen_fee WHERE line_key IN (SELECT line_key FROM screen_fee_key)),
    g AS (SELECT mdtrt_id, code, at, cnt, pric FROM fl GROUP BY mdtrt_id, code, at, cnt, pric HAVING count(*) >= ${num(r, 'minRepeats')}::int)
    ${insert}
    SELECT 'FR04', 'V' || fl.mdtrt_id || '/' || fl.code || '/' || fl.at || '/' || fl.cnt || '/' || fl.pric, ${sc.year}::int, min(hospital_code), min(person_id), min(village_code),
           array_agg(DISTINCT settlement_id), jsonb_agg(jsonb_build_object('mdtrt_id', fl.mdtrt_id, 'feedetl_sn', feedetl_sn) ORDER BY feedetl_sn),
           sum(amount_fen) - min(amount_fen),
           jsonb_build_object('item', fl.code, 'at', fl.at, 'cnt', fl.cnt, 'pric', fl.pric, 'repeats', count(*))
      FROM fl JOIN g ON g.mdtrt_id = fl.mdtrt_id AND g.code IS NOT DISTINCT FROM fl.code AND g.at IS NOT DISTINCT FROM fl.at AND g.cnt IS NOT DISTINCT FROM fl.cnt AND g.pric IS NOT DISTINCT FROM fl.pric
     GROUP BY fl.mdtrt_id, fl.code, fl.at, fl.cnt, fl.pric
    ${done}`,
  // an item's quantity in one day above the daily limit (the same two steps, over the day keys' lines)
  FR05: (r, sc) => sql`WITH ${feeLines},
    il AS (SELECT * FROM fl WHERE code LIKE ANY(${likeAny(list(r, 'itemPrefixes'))}::text[]) AND day_key IN (SELECT day_key FROM screen_fee_key)),
    g AS (SELECT mdtrt_id, code, day FROM il GROUP BY mdtrt_id, code, day HAVING sum(cnt) > ${num(r, 'maxPerDay')}::numeric)
    ${insert}
    SELECT 'FR05', 'V' || il.mdtrt_id || '/' || il.code || '/' || il.day, ${sc.year}::int, min(hospital_code), min(person_id), min(village_code),
           array_agg(DISTINCT settlement_id), jsonb_agg(jsonb_build_object('mdtrt_id', il.mdtrt_id, 'feedetl_sn', feedetl_sn) ORDER BY feedetl_sn),
           round(sum(amount_fen) * (sum(il.cnt) - ${num(r, 'maxPerDay')}::numeric) / sum(il.cnt))::bigint,
           jsonb_build_object('item', il.code, 'day', il.day, 'quantity', sum(il.cnt), 'maxPerDay', ${num(r, 'maxPerDay')}::numeric)
      FROM il JOIN g ON g.mdtrt_id = il.mdtrt_id AND g.code IS NOT DISTINCT FROM il.code AND g.day IS NOT DISTINCT FROM il.day
     GROUP BY il.mdtrt_id, il.code, il.day
    ${done}`,
  // dialysis sessions of one person in a week above the plausible frequency
  FR06: (r, sc) => sql`WITH ${base(sc)}, ${feeLines}, d AS (SELECT *, date_trunc('week', day::date)::date AS week FROM fl WHERE code LIKE ANY(${likeAny(list(r, 'itemPrefixes'))}::text[]) AND day ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$')
    ${insert}
    SELECT 'FR06', 'P' || person_id || '/' || week, ${sc.year}::int, min(hospital_code), person_id, min(village_code),
           array_agg(DISTINCT settlement_id), jsonb_agg(jsonb_build_object('mdtrt_id', mdtrt_id, 'feedetl_sn', feedetl_sn) ORDER BY mdtrt_id, feedetl_sn),
           round(sum(amount_fen) * (sum(cnt) - ${num(r, 'maxPerWeek')}::numeric) / sum(cnt))::bigint,
           jsonb_build_object('week', week::text, 'sessions', sum(cnt), 'maxPerWeek', ${num(r, 'maxPerWeek')}::numeric, 'hospitals', array_agg(DISTINCT hospital_code))
      FROM d GROUP BY person_id, week HAVING sum(cnt) > ${num(r, 'maxPerWeek')}::numeric
    ${done}`,
  // high-value consumables of an inpatient case far above the median of its peers (same diagnosis, same hospital level);
  // the cases' sums with plain aggregates, the lines gathered only for the cases that hit
  FR07: (r, sc) => sql`WITH ${feeLines},
    cf AS (SELECT * FROM fl WHERE type = 'inpatient' AND diagnosis IS NOT NULL AND code LIKE ANY(${likeAny(list(r, 'itemPrefixes'))}::text[])),
    c AS (SELECT settlement_id, min(person_id) AS person_id, min(hospital_code) AS hospital_code, min(village_code) AS village_code, min(diagnosis) AS diagnosis,
                 sum(amount_fen) AS amount
            FROM cf GROUP BY settlement_id),
    cl AS (SELECT c.*, h.level FROM c JOIN hospital h ON h.code = c.hospital_code),
    peers AS (SELECT diagnosis, level, count(*) AS n, percentile_cont(0.5) WITHIN GROUP (ORDER BY amount) AS median FROM cl GROUP BY diagnosis, level),
    hit AS (SELECT cl.*, peers.n, peers.median FROM cl JOIN peers ON peers.diagnosis = cl.diagnosis AND peers.level = cl.level
             WHERE peers.n >= ${num(r, 'minPeers')}::int AND cl.amount >= ${num(r, 'minAmountFen')}::bigint AND cl.amount > ${num(r, 'factor')}::numeric * peers.median),
    lines AS (SELECT cf.settlement_id, jsonb_agg(jsonb_build_object('mdtrt_id', cf.mdtrt_id, 'feedetl_sn', cf.feedetl_sn) ORDER BY cf.feedetl_sn) AS lines
                FROM cf JOIN hit ON hit.settlement_id = cf.settlement_id GROUP BY cf.settlement_id)
    ${insert}
    SELECT 'FR07', 'S' || hit.settlement_id, ${sc.year}::int, hit.hospital_code, hit.person_id, hit.village_code, ARRAY[hit.settlement_id], lines.lines,
           (hit.amount - round(hit.median))::bigint,
           jsonb_build_object('diagnosis', hit.diagnosis, 'level', hit.level, 'consumablesFen', hit.amount, 'peerMedianFen', round(hit.median), 'peers', hit.n, 'factor', ${num(r, 'factor')}::numeric)
      FROM hit JOIN lines ON lines.settlement_id = hit.settlement_id
    ${done}`,
  // re-admitted with the same diagnosis within N days of the previous discharge (分解住院)
  FR08: (r, sc) => sql`WITH ${base(sc)},
    i AS (SELECT s.*, lag(settlement_id) OVER w AS prev_id, lag(dscg_date) OVER w AS prev_dscg, lag(diagnosis) OVER w AS prev_diag, lag(hospital_code) OVER w AS prev_hospital
            FROM s WHERE type = 'inpatient' WINDOW w AS (PARTITION BY person_id ORDER BY adm_date, settlement_id))
    ${insert}
    SELECT 'FR08', 'S' || prev_id || '/' || settlement_id, ${sc.year}::int, hospital_code, person_id, village_code, ARRAY[prev_id, settlement_id], '[]'::jsonb, fund_fen,
           jsonb_build_object('diagnosis', diagnosis, 'daysBetween', adm_date - prev_dscg, 'withinDays', ${num(r, 'withinDays')}::int, 'previousHospital', prev_hospital, 'previousDischarge', prev_dscg::text, 'stay', ${settlementJson('i')})
      FROM i WHERE prev_id IS NOT NULL AND diagnosis IS NOT NULL AND diagnosis = prev_diag AND adm_date - prev_dscg BETWEEN 0 AND ${num(r, 'withinDays')}::int
    ${done}`,
  // a hospital's inpatient admissions or cost per case in a month against its own previous months
  FR09: (r, sc) => sql`WITH m AS (
      SELECT hospital_code, date_trunc('month', adm_date)::date AS month, count(*) AS n, avg(total_fen) AS per_case, array_agg(settlement_id) AS ids
        FROM screen_settled WHERE type = 'inpatient' AND adm_date < make_date(${sc.year}::int + 1, 1, 1) AND adm_date >= make_date(${sc.year}::int, 1, 1) - make_interval(months => ${num(r, 'historyMonths')}::int)
       GROUP BY hospital_code, date_trunc('month', adm_date)),
    h AS (SELECT m.*, count(*) OVER w AS months, avg(n) OVER w AS avg_n, avg(per_case) OVER w AS avg_per_case
            FROM m WINDOW w AS (PARTITION BY hospital_code ORDER BY month RANGE BETWEEN make_interval(months => ${num(r, 'historyMonths')}::int) PRECEDING AND '1 month'::interval PRECEDING))
    ${insert}
    SELECT 'FR09', 'H' || hospital_code || '/' || month, ${sc.year}::int, hospital_code, NULL, NULL, ids, '[]'::jsonb, 0,
           jsonb_build_object('month', month::text, 'admissions', n, 'averageAdmissions', round(avg_n, 1), 'costPerCaseFen', round(per_case), 'averageCostPerCaseFen', round(avg_per_case), 'historyMonths', months, 'factor', ${num(r, 'factor')}::numeric)
      FROM h WHERE extract(year FROM month) = ${sc.year}::int AND months >= ${num(r, 'minHistoryMonths')}::int AND n >= ${num(r, 'minAdmissions')}::int
       AND (n > ${num(r, 'factor')}::numeric * avg_n OR per_case > ${num(r, 'factor')}::numeric * avg_per_case)
    ${done}`,
  // one village's residents cluster at a hospital: a high share of its admissions, far above the village's share everywhere
  FR10: (r, sc) => {
    const share = parseRate(r.params.minShare as string);
    return sql`WITH ${base(sc)}, i AS (SELECT * FROM s WHERE type = 'inpatient'),
    hv AS (SELECT hospital_code, village_code, count(*) AS n, array_agg(settlement_id) AS ids FROM i GROUP BY hospital_code, village_code),
    ht AS (SELECT hospital_code, sum(n) AS total FROM hv GROUP BY hospital_code),
    vt AS (SELECT village_code, sum(n) AS n, (SELECT count(*) FROM i) AS all_n FROM hv GROUP BY village_code)
    ${insert}
    SELECT 'FR10', 'H' || hv.hospital_code || '/' || hv.village_code || '/' || ${sc.year}::int, ${sc.year}::int, hv.hospital_code, NULL, hv.village_code, hv.ids, '[]'::jsonb, 0,
           jsonb_build_object('admissions', hv.n, 'hospitalAdmissions', ht.total, 'share', round(hv.n::numeric / ht.total, 4), 'villageShareEverywhere', round(vt.n::numeric / vt.all_n, 4), 'minShare', ${share.text}::text)
      FROM hv JOIN ht ON ht.hospital_code = hv.hospital_code JOIN vt ON vt.village_code = hv.village_code
     WHERE ht.total >= ${num(r, 'minAdmissions')}::int
       AND hv.n * ${share.den}::bigint >= ht.total * ${share.num}::bigint
       AND hv.n::numeric / ht.total >= ${num(r, 'minLift')}::numeric * vt.n / vt.all_n
    ${done}`;
  },
};
