/**
 * 3101 明细审核事前分析服务 and 3102 明细审核事中分析服务: a hospital sends one or more
 * encounters with their prescription (order) lines before settlement; the counter-time
 * screening rules of the person's area pack (src/rules/risk/counter-rules.ts: FR04 重复收费,
 * FR05 超日限量) run on the lines sent, and the answer is the spec's result rows (表 134) with
 * their detail rows (表 135). Nothing is written: an analysis is advice, the settlement later
 * is screened again in the office.
 */
import { screenRulesOf } from '../../rules/risk/screen-rules.js';
import { COUNTER_CODES, screenAtCounter, type CounterLine } from '../../rules/risk/counter-rules.js';
import type { Call, Db, FsiDeps } from './call.js';
import { FsiError, dateTimeField, decimal, get, list, money, node, reqStr, str, yuan, type Obj } from './fields.js';

/** At most this many order lines in one message (an example bound, no notice gives one: a long inpatient stay's day of orders is far below). */
export const MAX_ANALYSIS_LINES = 5000;

export async function analyseDetails(deps: FsiDeps, _db: Db, c: Call, stage: '3101' | '3102') {
  const data = node(c.env.input, 'data');
  const ruleIds = get(data, 'rule_ids');
  let codes: string[] | undefined;
  if (ruleIds !== undefined && ruleIds !== null && ruleIds !== '') {
    const arr = Array.isArray(ruleIds) ? ruleIds : String(ruleIds).split(',');
    codes = arr.map((x) => String(x).trim()).filter((x) => x !== '');
    for (const id of codes) if (!(COUNTER_CODES as readonly string[]).includes(id)) throw new FsiError(`data.rule_ids 中的规则 ${id} 不存在（可用：${COUNTER_CODES.join('、')}）`);
  }
  str(data, 'data', 'trig_scen', 3, false);
  const patients = list(data, 'patient_dtos');
  const result: Obj[] = [];
  let lineCount = 0;
  patients.forEach((p, pi) => {
    const pat = `patient_dtos[${pi}]`;
    const patnId = reqStr(p, pat, 'patn_id', 50);
    reqStr(p, pat, 'patn_name', 50);
    const poolarea = reqStr(p, pat, 'poolarea', 10);
    reqStr(p, pat, 'curr_mdtrt_id', 50);
    const encounters = list(p, 'fsi_encounter_dtos');
    encounters.forEach((e, ei) => {
      const at = `${pat}.fsi_encounter_dtos[${ei}]`;
      const mdtrtId = reqStr(e, at, 'mdtrt_id', 50);
      const medins = reqStr(e, at, 'medins_id', 50);
      if (medins !== c.hospital) throw new FsiError(`${at}.medins_id ${medins} 不是本机构（${c.hospital}）`);
      const adm = dateTimeField(e, at, 'adm_date')!;
      const orders = list(e, 'fsi_order_dtos');
      lineCount += orders.length;
      if (lineCount > MAX_ANALYSIS_LINES) throw new FsiError(`处方(医嘱)明细超过 ${MAX_ANALYSIS_LINES} 条，请分批发送`);
      const lines: CounterLine[] = orders.map((o, oi) => {
        const ot = `${at}.fsi_order_dtos[${oi}]`;
        const cnt = decimal(o, ot, 'cnt', 2, true)!;
        return {
          rxId: reqStr(o, ot, 'rx_id', 50),
          itemCode: reqStr(o, ot, 'hilist_code', 20),
          itemName: reqStr(o, ot, 'hilist_name', 50),
          cnt100: Math.round(cnt * 100),
          priceFen: money(o, ot, 'pric'),
          amountFen: money(o, ot, 'sumamt'),
          at: dateTimeField(o, ot, 'drord_begn_date')!,
        };
      });
      const year = Number(adm.slice(0, 4));
      const pack = deps.quotes.lib.packFor(poolarea, year);
      if (!pack) throw new FsiError(`${pat}.poolarea ${poolarea} 在 ${year} 年没有适用的政策包`);
      const hits = screenAtCounter(screenRulesOf(pack), lines, codes);
      hits.forEach((h, hi) => {
        const jr = `${stage}-${mdtrtId}-${h.code}-${hi + 1}`;
        result.push({
          jr_id: jr,
          rule_id: h.code,
          rule_name: h.name,
          vola_cont: h.text,
          patn_id: patnId,
          mdtrt_id: mdtrtId,
          judge_result_detail_dtos: h.lines.map((l, li) => ({
            jrd_id: `${jr}-${li + 1}`,
            patn_id: patnId,
            mdtrt_id: mdtrtId,
            rx_id: l.rxId,
            vola_item_type: l.amountFen > 0 ? '1' : '2',
            vola_amt: yuan(l.amountFen),
          })),
          vola_amt: yuan(h.amountFen),
          vola_amt_stas: '1',
          sev_deg: h.severity,
          vola_evid: h.evidence,
          // both counter rules are about fee items (项目类)
          vola_bhvr_type: '2',
        });
      });
    });
  });
  return { output: { result } };
}
