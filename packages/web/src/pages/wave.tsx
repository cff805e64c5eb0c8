import { api, hasScope, isAdmin } from "../api/client";
import type { SessionView, WaveNodeState, WaveView } from "../api/types";
import { useLiveWave } from "../api/use-live-wave";
import { ConfirmButton } from "../components/confirm-button";
import { ErrorLine } from "../components/error-line";
import { Link } from "../components/link";
import { NODE_H, NODE_W, layoutWave } from "../lib/wave-layout";
import { navigate } from "../router";

const LEGEND: WaveNodeState[] = ["pending", "queued", "running", "succeeded", "failed", "skipped", "cancelled"];

/** The wave as a graph: levels left to right, each node coloured by its state, a click opens its build. */
function WaveGraph(props: { wave: WaveView }) {
  const layout = layoutWave(props.wave.nodes);
  return (
    <div class="graph-wrap">
      <svg class="wave-graph" width={layout.width} height={layout.height} viewBox={`0 0 ${layout.width} ${layout.height}`} role="group" aria-label="the wave, levels left to right">
        {layout.edges.map((e) => (
          <path key={`${e.from}>${e.to}`} class="edge" d={e.d} />
        ))}
        {layout.nodes.map((n) => {
          const open = (): void => {
            if (n.buildId) navigate(`/builds/${n.buildId}`);
          };
          return (
            <g
              key={n.id}
              class={`node node-${n.state}${n.buildId ? " has-build" : ""}`}
              data-node={n.id}
              data-state={n.state}
              transform={`translate(${n.x},${n.y})`}
              role={n.buildId ? "link" : "img"}
              tabindex={n.buildId ? 0 : -1}
              aria-label={`${n.id}: ${n.state}${n.buildId ? ", open its build" : ""}`}
              onClick={open}
              onKeyDown={(e) => {
                if (e.key === "Enter" || e.key === " ") {
                  e.preventDefault();
                  open();
                }
              }}
            >
              <title>{`${n.id} (${n.state})`}</title>
              <rect width={NODE_W} height={NODE_H} rx={8} />
              <text x={10} y={18}>
                {n.label}
              </text>
              <text x={10} y={35} class="node-state">
                {n.state}
              </text>
            </g>
          );
        })}
      </svg>
    </div>
  );
}

/** One rebuild wave: its graph (live from its events while it runs), counts, and cancel for a token that may. */
export function WavePage(props: { session: SessionView; id: string }) {
  const wave = useLiveWave(props.id);
  const w = wave.wave;
  if (!w) {
    const notFound = wave.error !== undefined && /not found/i.test(wave.error);
    return (
      <section>
        {notFound ? (
          <p role="alert" class="error">
            Rebuild wave {props.id} not found.
          </p>
        ) : (
          <>
            <ErrorLine error={wave.error} />
            <p>Loading…</p>
          </>
        )}
        <Link to="/images">All images and waves</Link>
      </section>
    );
  }
  const cancel = async (): Promise<void> => {
    // The answer is the wave after the request; rebuild.cancelled follows on the stream.
    wave.replace(await api<WaveView>("POST", `/v1/rebuilds/${encodeURIComponent(w.id)}/cancel`));
  };
  const canCancel = w.state === "running" && (hasScope(props.session, "cancel") || isAdmin(props.session));
  return (
    <article aria-labelledby="wave-title">
      <p>
        <Link to="/images">← Images and waves</Link>
      </p>
      <div class="title-row">
        <h1 id="wave-title" class="mono">
          {w.id}
        </h1>
        <span class={`state wave-${w.state}`} data-wave-state={w.state}>
          {w.state}
        </span>
      </div>
      <ErrorLine error={wave.error} />
      <p class="hint">
        Trigger {"base" in w.trigger ? <span class="mono">{w.trigger.base}</span> : w.trigger.images.join(", ")}, started by {w.startedBy}
        {w.reason ? ` (${w.reason})` : ""}, {w.levels.length} level{w.levels.length === 1 ? "" : "s"}, at most {w.options.maxInFlight} at once.
      </p>
      <div class="actions">{canCancel && <ConfirmButton label="Cancel wave" question="Cancel every build of this wave not yet done?" confirmLabel="Yes, cancel" danger onConfirm={cancel} />}</div>
      <WaveGraph wave={w} />
      <ul class="legend" aria-label="node colours">
        {LEGEND.map((s) => (
          <li key={s} class={`node-${s}`}>
            <span class="swatch" aria-hidden="true" /> {s} <span class="hint">({w.counts[s]})</span>
          </li>
        ))}
      </ul>
      {w.warnings.length > 0 && (
        <ul class="warnings">
          {w.warnings.map((x) => (
            <li>{x}</li>
          ))}
        </ul>
      )}
    </article>
  );
}
