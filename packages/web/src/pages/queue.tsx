import { useEffect, useState } from "preact/hooks";
import { api, isAdmin } from "../api/client";
import type { QueueView, SessionView } from "../api/types";
import { ConfirmButton } from "../components/confirm-button";

const COUNTS: (keyof QueueView["counts"])[] = ["waiting", "prioritized", "delayed", "active", "completed", "failed"];

/** The queue: counts, paused flag, and (admins) pause/resume after a confirmation. */
export function QueuePage(props: { session: SessionView }) {
  const [queue, setQueue] = useState<QueueView | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    let cancelled = false;
    const load = (): void => {
      api<QueueView>("GET", "/v1/queue").then(
        (q) => !cancelled && (setQueue(q), setError(undefined)),
        (err: unknown) => !cancelled && setError(err instanceof Error ? err.message : String(err)),
      );
    };
    load();
    const timer = setInterval(load, 3_000);
    return () => {
      cancelled = true;
      clearInterval(timer);
    };
  }, []);
  if (!isAdmin(props.session)) {
    return (
      <section>
        <h1>Queue</h1>
        <p class="error" role="alert">
          The queue page needs a token with the admin scope.
        </p>
      </section>
    );
  }
  const act = (what: "pause" | "resume") => async (): Promise<void> => {
    setQueue(await api<QueueView>("POST", `/v1/queue/${what}`));
  };
  return (
    <section aria-labelledby="queue-title">
      <div class="title-row">
        <h1 id="queue-title">Queue</h1>
        {queue && (
          <span class={`state ${queue.paused ? "state-failed" : "state-succeeded"}`} data-paused={String(queue.paused)}>
            {queue.paused ? "paused" : "taking builds"}
          </span>
        )}
      </div>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {queue && (
        <>
          <dl class="counts">
            {COUNTS.map((c) => (
              <div key={c}>
                <dt>{c}</dt>
                <dd data-count={c}>{queue.counts[c]}</dd>
              </div>
            ))}
          </dl>
          <div class="actions">
            {queue.paused ? (
              <ConfirmButton label="Resume" question="Let workers take builds again?" confirmLabel="Yes, resume" onConfirm={act("resume")} />
            ) : (
              <ConfirmButton label="Pause" question="Stop every worker taking new builds? Running builds go on." confirmLabel="Yes, pause" danger onConfirm={act("pause")} />
            )}
          </div>
        </>
      )}
    </section>
  );
}
