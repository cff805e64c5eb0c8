import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { api } from "./client";
import { subscribeWave } from "./live";
import type { WaveView } from "./types";
import { foldWave, isWaveTerminal, type LiveEvent } from "../lib/wave-live";

export interface LiveWave {
  wave: WaveView | undefined;
  error: string | undefined;
  /** Take this view (an action's answer) as the one the events apply to. */
  replace: (wave: WaveView) => void;
}

/**
 * One wave, read once and then kept live from its event stream (no timer):
 * read again only when the events do not tell everything (foldWave says so)
 * or after the stream reconnected. The stream closes at the wave's end.
 */
export function useLiveWave(id: string): LiveWave {
  const [snapshot, setSnapshot] = useState<WaveView | undefined>();
  const [events, setEvents] = useState<LiveEvent[]>([]);
  const [error, setError] = useState<string | undefined>();
  const path = `/v1/rebuilds/${encodeURIComponent(id)}`;
  const alive = useRef(true);
  const load = useRef((): void => undefined);
  load.current = (): void => {
    api<WaveView>("GET", path).then(
      (w) => {
        if (!alive.current) return;
        setSnapshot(w);
        setError(undefined);
      },
      (err: unknown) => alive.current && setError(err instanceof Error ? err.message : String(err)),
    );
  };
  useEffect(() => {
    alive.current = true;
    setSnapshot(undefined);
    setEvents([]);
    load.current();
    return () => {
      alive.current = false;
    };
  }, [path]);

  const folded = useMemo(() => (snapshot === undefined ? undefined : foldWave(snapshot, events)), [snapshot, events]);
  const following = snapshot !== undefined && folded !== undefined && !isWaveTerminal(folded.wave);
  useEffect(() => {
    if (!following) return;
    return subscribeWave(
      id,
      (e) => setEvents((list) => [...list, e]),
      (again) => {
        // Back after a gap: the stream resumes from Last-Event-ID, the wave is read again for what it may hold besides.
        if (again) load.current();
      },
    );
  }, [id, following]);

  // At most one read per batch of events that asked for it.
  const refetchedAt = useRef(-1);
  const needsRefetch = folded?.refetch === true;
  useEffect(() => {
    if (!needsRefetch || refetchedAt.current >= events.length) return;
    refetchedAt.current = events.length;
    load.current();
  }, [needsRefetch, events.length]);

  return { wave: folded?.wave, error, replace: setSnapshot };
}
