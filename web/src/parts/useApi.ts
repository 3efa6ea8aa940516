/** Load from the API into state: data, error (in Chinese), loading, reload. A newer load cancels an older one. */
import { useCallback, useEffect, useRef, useState } from 'react';
import { api, type Query } from '../api';

export function useApi<T>(path: string | null, query?: Query): { data: T | null; error: string | null; loading: boolean; reload: () => void } {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [n, setN] = useState(0);
  const key = path === null ? null : `${path}?${JSON.stringify(query ?? {})}`;
  const ctl = useRef<AbortController | null>(null);
  useEffect(() => {
    if (path === null) {
      setData(null);
      return;
    }
    ctl.current?.abort();
    const c = new AbortController();
    ctl.current = c;
    setLoading(true);
    setError(null);
    api<T>(path, { query, signal: c.signal })
      .then((d) => {
        if (!c.signal.aborted) setData(d);
      })
      .catch((e: Error) => {
        if (e.name !== 'AbortError' && !c.signal.aborted) {
          setError(e.message);
          setData(null);
        }
      })
      .finally(() => {
        if (!c.signal.aborted) setLoading(false);
      });
    return () => c.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, n]);
  const reload = useCallback(() => setN((x) => x + 1), []);
  return { data, error, loading, reload };
}
