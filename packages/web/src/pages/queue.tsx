import { api, isAdmin } from "../api/client";
import type { QueueLanes, QueueView, SessionView } from "../api/types";
import { usePoll } from "../api/use-poll";
import { ConfirmButton } from "../components/confirm-button";
import { ErrorLine, NeedsScope } from "../components/error-line";
import { queueState } from "../lib/format";

const COUNTS: (keyof QueueView["counts"])[] = ["waiting", "prioritized", "delayed", "active", "completed", "failed"];
const LANE_COLUMNS = ["waiting", "active", "delayed"] as const;

/** The queue: jobs by lane, counts, paused/draining, and (admins) pause/resume/drain after a confirmation. */
export function QueuePage(props: { session: SessionView }) {
  if (!isAdmin(props.session)) return <NeedsScope title="Queue" scope="admin" />;
  return <AdminQueue />;
}

function AdminQueue() {
  const queue = usePoll<QueueView>("/v1/queue", 3_000);
  const lanes = usePoll<QueueLanes>("/v1/queue/lanes", 3_000);
  const act = (what: "pause" | "resume" | "drain") => async (): Promise<void> => {
    await api("POST", `/v1/queue/${what}`, what === "drain" ? {} : undefined);
    queue.reload();
    lanes.reload();
  };
  const q = queue.data;
  const state = q ? queueState(q) : undefined;
  return (
    <section aria-labelledby="queue-title">
      <div class="title-row">
        <h1 id="queue-title">Queue</h1>
        {q && state && (
          <span class={`state ${state === "taking builds" ? "state-succeeded" : state === "paused" ? "state-failed" : "state-retrying"}`} data-paused={String(q.paused)} data-queue-state={state}>
            {state}
          </span>
        )}
      </div>
      <ErrorLine error={queue.error ?? lanes.error} />
      {q?.drain && (
        <p class="hint" data-drain={q.drain.state}>
          {q.drain.state === "draining" ? "Draining" : "Drained"} since {q.drain.since.replace("T", " ").slice(0, 19)} by {q.drain.by}
          {q.drain.reason ? ` (${q.drain.reason})` : ""}. Resume to take builds again.
        </p>
      )}
      <h2 id="lanes-title">Lanes</h2>
      {lanes.data ? (
        <div class="table-wrap">
          <table class="lanes" aria-labelledby="lanes-title">
            <thead>
              <tr>
                <th scope="col">Lane</th>
                {LANE_COLUMNS.map((c) => (
                  <th scope="col">{c}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {lanes.data.lanes.map((l) => (
                <tr key={l.lane} data-lane={l.lane}>
                  <th scope="row">{l.lane}</th>
                  {LANE_COLUMNS.map((c) => (
                    <td data-count={c}>{l[c]}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <p>Loading…</p>
      )}
      {q && (
        <>
          <h2>All jobs</h2>
          <dl class="counts">
            {COUNTS.map((c) => (
              <div key={c}>
                <dt>{c}</dt>
                <dd data-count={c}>{q.counts[c]}</dd>
              </div>
            ))}
          </dl>
          <div class="actions">
            {q.paused ? (
              <ConfirmButton label="Resume" question={q.drain ? "End the drain and let workers take builds again?" : "Let workers take builds again?"} confirmLabel="Yes, resume" onConfirm={act("resume")} />
            ) : (
              <ConfirmButton label="Pause" question="Stop every worker taking new builds? Running builds go on." confirmLabel="Yes, pause" danger onConfirm={act("pause")} />
            )}
            {!q.drain && (
              <ConfirmButton label="Drain" question="Drain: pause intake and let running builds finish? Queued builds stay queued." confirmLabel="Yes, drain" danger onConfirm={act("drain")} />
            )}
          </div>
        </>
      )}
    </section>
  );
}
