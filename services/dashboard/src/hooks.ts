import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { errorText } from './api';

/** Loads `fn` now and every `everyMs` (0 = once), while the view is shown; `reload` loads again. */
export function usePoll<T>(fn: () => Promise<T>, everyMs: number, deps: unknown[] = []) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const current = useRef(fn);
  current.current = fn;
  const reload = useCallback(async () => {
    try {
      setData(await current.current());
      setError(null);
    } catch (err) {
      setError(errorText(err));
    }
  }, []);
  useEffect(() => {
    void reload();
    if (everyMs <= 0) return;
    const t = setInterval(() => void reload(), everyMs);
    return () => clearInterval(t);
  }, deps);
  return { data, error, reload, setData };
}

/** Re-renders every `ms` (for "x s ago" columns). */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}
