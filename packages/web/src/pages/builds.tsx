import { useEffect, useState } from "preact/hooks";
import { api, isAdmin } from "../api/client";
import { subscribeEvents } from "../api/live";
import type { BuildList, BuildRecord, SessionView } from "../api/types";
import { Link } from "../components/link";
import { StateBadge } from "../components/state-badge";
import { STATES, ago, labelText, listQuery } from "../lib/format";
import { navigate } from "../router";

interface Filter {
  state: string;
  label: string;
  tenant: string;
}

const filterOf = (search: string): Filter => {
  const p = new URLSearchParams(search);
  return { state: p.get("state") ?? "", label: p.get("label") ?? "", tenant: p.get("tenant") ?? "" };
};

/** Builds of the tenant (any tenant for admins), newest first, refreshed as events arrive. */
export function BuildsPage(props: { session: SessionView; search: string }) {
  const filter = filterOf(props.search);
  const [items, setItems] = useState<BuildRecord[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [live, setLive] = useState(false);
  const [draft, setDraft] = useState(filter);
  const key = `${filter.state}|${filter.label}|${filter.tenant}`;

  useEffect(() => {
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = (): void => {
      api<BuildList>("GET", `/v1/builds?${listQuery(filter)}`).then(
        (list) => {
          if (!cancelled) {
            setItems(list.items);
            setError(undefined);
          }
        },
        (err: unknown) => !cancelled && setError(err instanceof Error ? err.message : String(err)),
      );
    };
    load();
    // One list read per burst of events, whatever the filter: the list stays the API's answer.
    // And one each time the stream (re)opens, so nothing between a read and the stream's start is missed.
    const unsubscribe = subscribeEvents(
      { tenant: filter.tenant || undefined },
      () => {
        if (timer === undefined) timer = setTimeout(() => ((timer = undefined), load()), 200);
      },
      (open) => {
        setLive(open);
        if (open) load();
      },
    );
    return () => {
      cancelled = true;
      if (timer !== undefined) clearTimeout(timer);
      unsubscribe();
    };
  }, [key]);

  const apply = (e: Event): void => {
    e.preventDefault();
    const p = new URLSearchParams();
    if (draft.state) p.set("state", draft.state);
    if (draft.label.trim()) p.set("label", draft.label.trim());
    if (draft.tenant.trim()) p.set("tenant", draft.tenant.trim());
    const qs = p.toString();
    navigate(qs ? `/?${qs}` : "/");
  };

  return (
    <section aria-labelledby="builds-title">
      <div class="title-row">
        <h1 id="builds-title">Builds</h1>
        <span class={`live ${live ? "on" : "off"}`} aria-live="polite">
          {live ? "live" : "connecting…"}
        </span>
      </div>
      <form class="filters" onSubmit={apply} aria-label="Filter builds">
        <label>
          State
          <select value={draft.state} onChange={(e) => setDraft({ ...draft, state: e.currentTarget.value })}>
            <option value="">any</option>
            {STATES.map((s) => (
              <option value={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Label
          <input placeholder="team=payments" value={draft.label} onInput={(e) => setDraft({ ...draft, label: e.currentTarget.value })} />
        </label>
        {isAdmin(props.session) && (
          <label>
            Tenant
            <input placeholder={props.session.tenant} value={draft.tenant} onInput={(e) => setDraft({ ...draft, tenant: e.currentTarget.value })} />
          </label>
        )}
        <button type="submit">Apply</button>
      </form>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {items === undefined ? (
        <p>Loading…</p>
      ) : items.length === 0 ? (
        <p class="empty">No builds{filter.state || filter.label ? " match the filter" : " yet"}.</p>
      ) : (
        <div class="table-wrap">
          <table class="builds">
            <thead>
              <tr>
                <th scope="col">Build</th>
                <th scope="col">State</th>
                <th scope="col">Destination</th>
                <th scope="col">Labels</th>
                <th scope="col">Submitted</th>
              </tr>
            </thead>
            <tbody>
              {items.map((b) => (
                <tr key={b.id} data-build-id={b.id}>
                  <td>
                    <Link to={`/builds/${b.id}`}>{b.id}</Link>
                  </td>
                  <td>
                    <StateBadge state={b.state} />
                  </td>
                  <td class="mono">{b.request.destinations[0]}</td>
                  <td>{labelText(b.labels)}</td>
                  <td title={b.createdAt}>{ago(b.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
