/**
 * A value's basis as the notice gives it: the article (linked to the notice's text on the
 * 政策 page, the sentence highlighted) and the quoted sentence; or the example mark when the
 * notices do not give the value.
 */
import { Tag, Tooltip } from 'antd';
import { Link } from '../router';

/** "兴义府发〔2022〕3号 二(四)1" → the document number (up to and including 号). */
export function documentOfCite(cite: string): string {
  const m = /^(.*?号)/.exec(cite);
  return m ? m[1] : cite.split(' ')[0];
}

export function noticeLink(cite: string, quote?: string): string {
  const q = new URLSearchParams({ tab: 'notice', doc: documentOfCite(cite) });
  if (quote) q.set('quote', quote);
  return `/policy?${q.toString()}`;
}

export function Citation({ cite, quote, example, compact }: { cite?: string; quote?: string; example?: string; compact?: boolean }) {
  return (
    <span>
      {cite && (
        <Link to={noticeLink(cite, quote)}>
          <Tag color="blue">{cite}</Tag>
        </Link>
      )}
      {example && (
        <Tooltip title={example}>
          <Tag color="orange">示例值（非政策）</Tag>
        </Tooltip>
      )}
      {!compact && quote && <div className="yb-quote">“{quote}”</div>}
      {!compact && example && <div className="yb-example">示例说明：{example}</div>}
      {compact && example && !cite && <span className="yb-example">{example}</span>}
    </span>
  );
}
