import { useEffect, useState } from "preact/hooks";
import { api } from "./client";

export interface Polled<T> {
  data: T | undefined;
  error: string | undefined;
  /** Read again now (after an action), without waiting for the next tick. */
  reload: () => void;
}

/**
 * GET `path` now and every `everyMs` while the page shows it; the last good
 * answer stays on screen when a read fails (the error is shown beside it).
 */
export function usePoll<T>(path: string, everyMs: number): Polled<T> {
  const [data, setData] = useState<T | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let cancelled = false;
    const load = (): void => {
      api<T>("GET", path).then(
        (d) => {
          if (cancelled) return;
          setData(d);
          setError(undefined);
        },
        (err: unknown) => !cancelled && setError(err instanceof Error ? err.message : String(err)),
      );
    };
    load();
    const timer = setInterval(load, everyMs);
    return () => {
      cancelled = true;
      clearInterval(timer);
    };
  }, [path, everyMs, tick]);
  return { data, error, reload: () => setTick((t) => t + 1) };
}
