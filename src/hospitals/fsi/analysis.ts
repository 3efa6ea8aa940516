/**
 * 3101 明细审核事前分析服务 and 3102 明细审核事中分析服务: a hospital sends one or more
 * encounters with their prescription (order) lines before settlement; the per-encounter
 * screening rules of the person's area pack (src/rules/risk/screen-lines.ts: FR04 重复收费,
 * FR05 超日限量, FR06 透析频次异常) run on the lines sent, and the answer is the spec's result rows (表 134) with
 * their detail rows (表 135). Nothing is written: an analysis is advice, the settlement later
 * is screened again in the office.
 */
import { screenRulesOf, type ScreenCode } from '../../rules/risk/screen-rules.js';
import { screenFeeLines, type FeeLineIn } from '../../rules/risk/screen-lines.js';
import type { Call, Db, FsiDeps } from './call.js';
import { FsiError, dateTimeField, decimal, get, list, money, node, reqStr, str, yuan, type Obj } from './fields.js';

/** At most this many order lines in one message (an example bound, no notice gives one: a long inpatient stay's day of orders is far below). */
export const MAX_ANALYSIS_LINES = 5000;

/** The rules that need only the lines of the message. */
export const COUNTER_CODES: readonly ScreenCode[] = ['FR04', 'FR05', 'FR06'];

function evidenceOf(pack: string, code: string, c: { cite: string | null; quote: string | null; example: string | null }): string {
  const parts = [c.cite, c.quote ? `“${c.quote}”` : null, c.example ? `example: ${c.example}` : null].filter(Boolean);
  return `${pack} risk.screen.${code}：${parts.join(' ')}`;
}

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
      const names = new Map<string, string>();
      const amounts = new Map<string, number>();
      const lines: FeeLineIn[] = orders.map((o, oi) => {
        const ot = `${at}.fsi_order_dtos[${oi}]`;
        const rxId = reqStr(o, ot, 'rx_id', 50);
        if (names.has(rxId)) throw new FsiError(`${ot}.rx_id ${rxId} 重复`);
        const code = reqStr(o, ot, 'hilist_code', 20);
        names.set(rxId, `${reqStr(o, ot, 'hilist_name', 50)}（${code}）`);
        const amountFen = money(o, ot, 'sumamt');
        amounts.set(rxId, amountFen);
        return { feedetlSn: rxId, code, cnt: decimal(o, ot, 'cnt', 2, true)!, pric: money(o, ot, 'pric') / 100, amountFen, at: dateTimeField(o, ot, 'drord_begn_date')! };
      });
      const year = Number(adm.slice(0, 4));
      const pack = deps.quotes.lib.packFor(poolarea, year);
      if (!pack) throw new FsiError(`${pat}.poolarea ${poolarea} 在 ${year} 年没有适用的政策包`);
      const all = screenRulesOf(pack);
      const rules = new Map([...all].filter(([code]) => COUNTER_CODES.includes(code) && (!codes || codes.length === 0 || codes.includes(code))));
      const hits = screenFeeLines(rules, lines);
      hits.forEach((h, hi) => {
        const jr = `${stage}-${mdtrtId}-${h.rule}-${hi + 1}`;
        result.push({
          jr_id: jr,
          rule_id: h.rule,
          rule_name: h.name,
          vola_cont: `${h.explain}涉及明细：${h.lines.map((l) => `${l}【${names.get(l)}】`).join('、')}；${Object.entries(h.detail).map(([k, v]) => `${k}=${String(v)}`).join('，')}。`,
          patn_id: patnId,
          mdtrt_id: mdtrtId,
          judge_result_detail_dtos: h.lines.map((l, li) => ({
            jrd_id: `${jr}-${li + 1}`,
            patn_id: patnId,
            mdtrt_id: mdtrtId,
            rx_id: l,
            // each line is concerned (涉及项); the amount at issue is the hit's, not split per line
            vola_item_type: '2',
            vola_amt: yuan(amounts.get(l) ?? 0),
          })),
          vola_amt: yuan(h.amountFen),
          vola_amt_stas: '1',
          sev_deg: all.get(h.rule)!.severity,
          vola_evid: evidenceOf(pack.id, h.rule, h.citation),
          // the rule's class in the pack (spec 表453; the counter rules are all 2 项目类)
          vola_bhvr_type: all.get(h.rule)!.behaviour,
        });
      });
    });
  });
  return { output: { result } };
}
