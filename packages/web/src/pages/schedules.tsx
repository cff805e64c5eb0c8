import { api, hasScope } from "../api/client";
import type { ScheduleView, SessionView } from "../api/types";
import { usePoll } from "../api/use-poll";
import { ConfirmButton } from "../components/confirm-button";
import { ErrorLine } from "../components/error-line";
import { Link } from "../components/link";
import { ago } from "../lib/format";

const when = (iso: string | null): string => (iso === null ? "–" : iso.replace("T", " ").slice(0, 16) + " UTC");

/** The tenant's schedules: cron, next run, last result and its build; trigger now with the submit scope. */
export function SchedulesPage(props: { session: SessionView }) {
  const schedules = usePoll<{ items: ScheduleView[] }>("/v1/schedules", 3_000);
  const canTrigger = hasScope(props.session, "submit");
  const trigger = (name: string) => async (): Promise<void> => {
    await api("POST", `/v1/schedules/${encodeURIComponent(name)}/trigger`);
    schedules.reload();
  };
  const items = schedules.data?.items;
  return (
    <section aria-labelledby="schedules-title">
      <h1 id="schedules-title">Schedules</h1>
      <ErrorLine error={schedules.error} />
      {items === undefined ? (
        <p>Loading…</p>
      ) : items.length === 0 ? (
        <p class="empty">No schedules yet (buildfleet apply -f schedule.yaml).</p>
      ) : (
        <div class="table-wrap">
          <table class="schedules">
            <thead>
              <tr>
                <th scope="col">Schedule</th>
                <th scope="col">Cron</th>
                <th scope="col">Next run</th>
                <th scope="col">Last run</th>
                <th scope="col">Result</th>
                <th scope="col">Build</th>
                {canTrigger && <th scope="col">Actions</th>}
              </tr>
            </thead>
            <tbody>
              {items.map((s) => {
                const run = s.status.runs[0];
                return (
                  <tr key={s.metadata.name} data-schedule={s.metadata.name}>
                    <td class="mono">{s.metadata.name}</td>
                    <td class="mono">
                      {s.spec.cron} <span class="hint">{s.spec.timeZone}</span>
                    </td>
                    <td title={s.status.next ?? undefined}>{s.spec.suspend ? <span class="hint">suspended</span> : when(s.status.next)}</td>
                    <td title={s.status.last ?? undefined}>{s.status.last ? ago(s.status.last) : "never"}</td>
                    <td data-result={s.status.result ?? ""}>{s.status.result ?? "–"}</td>
                    <td>{run?.buildId ? <Link to={`/builds/${run.buildId}`}>{run.buildId}</Link> : "–"}</td>
                    {canTrigger && (
                      <td>
                        <ConfirmButton label="Trigger now" ariaLabel={`Trigger ${s.metadata.name} now`} question="Fire this schedule now?" confirmLabel="Yes, trigger" onConfirm={trigger(s.metadata.name)} />
                      </td>
                    )}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
