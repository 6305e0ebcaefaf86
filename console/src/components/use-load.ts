import { useCallback, useEffect, useState } from 'preact/hooks';
import { errorText } from '../api';

/** Loads something when the page opens; `reload` fetches it again. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[] = []) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const reload = useCallback(() => {
    setLoading(true);
    load().then((value) => { setData(value); setError(null); }, (e: unknown) => setError(errorText(e))).finally(() => setLoading(false));
  }, deps);
  useEffect(reload, [reload]);
  return { data, error, loading, reload };
}
