/** An engine trace: each step with its amount, the rule, and the notice's article and sentence. */
import { List, Typography } from 'antd';
import { Citation } from './Citation';

export interface TraceStep {
  step?: string;
  rule?: string;
  param?: string;
  key?: string;
  pack?: string;
  from?: string;
  cite?: string;
  quote?: string;
  example?: string;
  note?: string;
  text?: string;
  explain?: string;
  message?: string;
  [k: string]: unknown;
}

export function stepText(s: TraceStep): string {
  for (const k of ['explain', 'text', 'message', 'step', 'rule'] as const) if (typeof s[k] === 'string' && s[k]) return s[k] as string;
  return JSON.stringify(s);
}

export function Trace({ steps, testId }: { steps: TraceStep[]; testId?: string }) {
  return (
    <List
      size="small"
      data-testid={testId}
      dataSource={steps}
      renderItem={(s, i) => (
        <List.Item>
          <div>
            <Typography.Text strong>
              {i + 1}. {stepText(s)}
            </Typography.Text>
            <div className="yb-muted">
              {[s.step, s.param ?? s.key, s.pack ?? s.from].filter((x) => typeof x === 'string' && x && x !== stepText(s)).join(' · ')}
              {typeof s.value === 'number' || typeof s.value === 'string' ? ` = ${String(s.value)}` : ''}
            </div>
            {s.note && <div className="yb-muted">注：{s.note}</div>}
            <Citation cite={s.cite} quote={s.quote} example={s.example} />
          </div>
        </List.Item>
      )}
    />
  );
}
