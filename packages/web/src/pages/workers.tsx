import { api, isAdmin } from "../api/client";
import type { SessionView, WorkerInfo } from "../api/types";
import { usePoll } from "../api/use-poll";
import { ConfirmButton } from "../components/confirm-button";
import { ErrorLine, NeedsScope } from "../components/error-line";
import { ago } from "../lib/format";

const STATE_CLASS: Record<WorkerInfo["state"], string> = { running: "state-succeeded", quiet: "state-retrying", gone: "state-failed" };

/** The fleet's workers as they last reported (admin: host names are internal); quiet/resume each one. */
export function WorkersPage(props: { session: SessionView }) {
  if (!isAdmin(props.session)) return <NeedsScope title="Workers" scope="admin" />;
  return <Workers />;
}

function Workers() {
  const workers = usePoll<{ items: WorkerInfo[] }>("/v1/workers", 3_000);
  const act = (id: string, what: "quiet" | "resume") => async (): Promise<void> => {
    await api("POST", `/v1/workers/${encodeURIComponent(id)}/${what}`);
    workers.reload();
  };
  const items = workers.data?.items;
  return (
    <section aria-labelledby="workers-title">
      <h1 id="workers-title">Workers</h1>
      <ErrorLine error={workers.error} />
      {items === undefined ? (
        <p>Loading…</p>
      ) : items.length === 0 ? (
        <p class="empty">No worker has reported.</p>
      ) : (
        <div class="table-wrap">
          <table class="workers">
            <thead>
              <tr>
                <th scope="col">Worker</th>
                <th scope="col">State</th>
                <th scope="col">Host</th>
                <th scope="col">Version</th>
                <th scope="col">In flight / capacity</th>
                <th scope="col">Last heartbeat</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {items.map((w) => (
                <tr key={w.id} data-worker-id={w.id}>
                  <td class="mono">{w.id}</td>
                  <td>
                    <span class={`state ${STATE_CLASS[w.state]}`} data-state={w.state}>
                      {w.state}
                    </span>
                  </td>
                  <td class="mono">{w.host}</td>
                  <td>{w.version}</td>
                  <td data-in-flight={w.inFlight}>
                    {w.inFlight} / {w.capacity}
                  </td>
                  <td title={w.heartbeatAt}>{ago(w.heartbeatAt)}</td>
                  <td>
                    {w.state === "running" && (
                      <ConfirmButton label="Quiet" ariaLabel={`Quiet worker ${w.id}`} question="Take no new builds on this worker? Its builds finish." confirmLabel="Yes, quiet" danger onConfirm={act(w.id, "quiet")} />
                    )}
                    {w.state === "quiet" && <ConfirmButton label="Resume" ariaLabel={`Resume worker ${w.id}`} question="Let this worker take builds again?" confirmLabel="Yes, resume" onConfirm={act(w.id, "resume")} />}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
