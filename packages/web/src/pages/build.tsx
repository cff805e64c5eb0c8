import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, api, hasScope } from "../api/client";
import { followLog, subscribeEvents, type FollowState } from "../api/live";
import type { BuildRecord, BuildSummary, BuildView, SessionView } from "../api/types";
import { ConfirmButton } from "../components/confirm-button";
import { Link } from "../components/link";
import { StateBadge } from "../components/state-badge";
import { ago, describeEvent, duration, isTerminal, labelText, requestYaml, retryRequest } from "../lib/format";
import { navigate } from "../router";

function CopyButton(props: { text: string; label: string }) {
  const [done, setDone] = useState<string | undefined>();
  const copy = async (): Promise<void> => {
    try {
      await navigator.clipboard.writeText(props.text);
      setDone("Copied");
    } catch {
      setDone("Copy failed: select the text instead");
    }
  };
  return (
    <>
      <button type="button" onClick={() => void copy()} aria-label={props.label}>
        Copy
      </button>
      <span aria-live="polite" class="hint">
        {done}
      </span>
    </>
  );
}

function LogPanel(props: { build: BuildRecord }) {
  const [text, setText] = useState("");
  const [state, setState] = useState<FollowState>("connecting");
  const finished = useRef(isTerminal(props.build.state));
  finished.current = isTerminal(props.build.state);
  const pre = useRef<HTMLPreElement>(null);
  useEffect(() => followLog(props.build.id, setText, setState, () => finished.current), [props.build.id]);
  useEffect(() => {
    const el = pre.current;
    if (el && el.scrollHeight - el.scrollTop - el.clientHeight < 80) el.scrollTop = el.scrollHeight;
  }, [text]);
  return (
    <section aria-labelledby="log-title">
      <div class="title-row">
        <h2 id="log-title">Log</h2>
        <span class={`live ${state === "following" ? "on" : "off"}`} data-follow={state} aria-live="polite">
          {state}
        </span>
      </div>
      <pre class="log" ref={pre} tabIndex={0} aria-label="build log">
        {text || (state === "ended" ? "(no log lines)" : "waiting for log lines…")}
      </pre>
    </section>
  );
}

/** One build: summary, actions, event timeline, live log, the request as YAML. */
export function BuildPage(props: { session: SessionView; id: string }) {
  const [view, setView] = useState<BuildView | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    let cancelled = false;
    setView(undefined);
    const load = (): void => {
      api<BuildView>("GET", `/v1/builds/${encodeURIComponent(props.id)}`).then(
        (v) => !cancelled && (setView(v), setError(undefined)),
        (err: unknown) => !cancelled && setError(err instanceof ApiError && err.status === 404 ? `Build ${props.id} not found.` : String(err instanceof Error ? err.message : err)),
      );
    };
    load();
    // Read again once the stream is open: an event between the first read and the stream's start is not missed.
    const unsubscribe = subscribeEvents({ buildId: props.id }, () => load(), (open) => open && load());
    return () => {
      cancelled = true;
      unsubscribe();
    };
  }, [props.id]);

  if (error) {
    return (
      <section>
        <p role="alert" class="error">
          {error}
        </p>
        <Link to="/">All builds</Link>
      </section>
    );
  }
  if (!view) return <p>Loading…</p>;

  const cancel = async (): Promise<void> => {
    await api<BuildRecord>("POST", `/v1/builds/${encodeURIComponent(view.id)}/cancel`);
  };
  const retry = async (): Promise<void> => {
    const res = await api<BuildSummary>("POST", "/v1/builds", retryRequest(view.request));
    navigate(`/builds/${res.id}`);
  };
  const canCancel = hasScope(props.session, "cancel") && !isTerminal(view.state);
  const canRetry = hasScope(props.session, "submit") && isTerminal(view.state);

  return (
    <article aria-labelledby="build-title">
      <p>
        <Link to="/">← All builds</Link>
      </p>
      <div class="title-row">
        <h1 id="build-title" class="mono">
          {view.id}
        </h1>
        <StateBadge state={view.state} />
      </div>
      <div class="actions">
        {canCancel && <ConfirmButton label="Cancel build" question="Cancel this build?" confirmLabel="Yes, cancel" danger onConfirm={cancel} />}
        {canRetry && <ConfirmButton label="Retry" question="Submit this request again as a new build?" confirmLabel="Yes, retry" onConfirm={retry} />}
      </div>
      <dl class="facts">
        <dt>Tenant</dt>
        <dd>{view.tenant}</dd>
        <dt>Destinations</dt>
        <dd class="mono">{view.request.destinations.join(", ")}</dd>
        <dt>Labels</dt>
        <dd>{labelText(view.labels) || "–"}</dd>
        <dt>Submitted</dt>
        <dd title={view.createdAt}>{ago(view.createdAt)}</dd>
        <dt>Ran for</dt>
        <dd>{duration(view)}</dd>
        {view.digest && (
          <>
            <dt>Digest</dt>
            <dd>
              <code class="digest" data-digest>
                {view.digest}
              </code>{" "}
              <CopyButton text={view.digest} label="Copy the image digest" />
            </dd>
          </>
        )}
        {view.failure && (
          <>
            <dt>Failure</dt>
            <dd class="error">
              {view.failure.reason}: {view.failure.message}
            </dd>
          </>
        )}
      </dl>
      <section aria-labelledby="timeline-title">
        <h2 id="timeline-title">Timeline</h2>
        <ol class="timeline">
          {view.events.map((e) => (
            <li key={e.id} data-type={e.type}>
              <time dateTime={e.time}>{e.time.replace("T", " ").slice(0, 19)}</time> {describeEvent(e)}
            </li>
          ))}
        </ol>
      </section>
      <LogPanel build={view} />
      <section aria-labelledby="request-title">
        <div class="title-row">
          <h2 id="request-title">Request</h2>
          <CopyButton text={requestYaml(view.request)} label="Copy the request as YAML" />
        </div>
        <pre class="yaml">{requestYaml(view.request)}</pre>
      </section>
    </article>
  );
}
