import type { ImageView, WaveView } from "../api/types";
import { usePoll } from "../api/use-poll";
import { ErrorLine } from "../components/error-line";
import { Link } from "../components/link";
import { ago } from "../lib/format";

/** The image catalog (the tenant's, every tenant's for admins) and the recent rebuild waves. */
export function ImagesPage() {
  const images = usePoll<{ items: ImageView[] }>("/v1/images", 5_000);
  const waves = usePoll<{ items: WaveView[] }>("/v1/rebuilds?limit=20", 3_000);
  return (
    <section aria-labelledby="images-title">
      <h1 id="images-title">Images</h1>
      <ErrorLine error={images.error ?? waves.error} />
      {images.data === undefined ? (
        <p>Loading…</p>
      ) : images.data.items.length === 0 ? (
        <p class="empty">No images in the catalog yet (buildfleet apply -f image.yaml).</p>
      ) : (
        <div class="table-wrap">
          <table class="images">
            <thead>
              <tr>
                <th scope="col">Image</th>
                <th scope="col">Destination</th>
                <th scope="col">Bases</th>
                <th scope="col">Last build</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {images.data.items.map((i) => (
                <tr key={i.status.id} data-image-id={i.status.id}>
                  <td class="mono">{i.status.id}</td>
                  <td class="mono">{i.spec.build.destinations[0]}</td>
                  <td class="mono">{i.status.bases.state === "resolved" ? i.status.bases.bases.map((b) => b.reference).join(", ") : <span class="error">{i.status.bases.reason}</span>}</td>
                  <td>{i.status.lastBuild ? <Link to={`/builds/${i.status.lastBuild}`}>{i.status.lastBuild}</Link> : "–"}</td>
                  <td title={i.status.updatedAt}>{ago(i.status.updatedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h2 id="waves-title">Rebuild waves</h2>
      {waves.data === undefined ? (
        <p>Loading…</p>
      ) : waves.data.items.length === 0 ? (
        <p class="empty">No rebuild waves yet (buildfleet rebuild BASE).</p>
      ) : (
        <div class="table-wrap">
          <table class="waves" aria-labelledby="waves-title">
            <thead>
              <tr>
                <th scope="col">Wave</th>
                <th scope="col">State</th>
                <th scope="col">Trigger</th>
                <th scope="col">Done</th>
                <th scope="col">Started</th>
              </tr>
            </thead>
            <tbody>
              {waves.data.items.map((w) => (
                <tr key={w.id} data-wave-id={w.id}>
                  <td>
                    <Link to={`/waves/${w.id}`}>{w.id}</Link>
                  </td>
                  <td>
                    <span class={`state wave-${w.state}`} data-state={w.state}>
                      {w.state}
                    </span>
                  </td>
                  <td class="mono">{"base" in w.trigger ? w.trigger.base : w.trigger.images.join(", ")}</td>
                  <td>
                    {w.counts.succeeded} / {w.nodes.length}
                  </td>
                  <td title={w.createdAt}>{ago(w.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
