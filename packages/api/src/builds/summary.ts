import { BuildSummary, type BuildRecord } from "@buildfleet/contract";

/** The answer to a submit: the contract's response schema, re-exported for the API's modules. */
export { BuildSummary };

export function buildLinks(id: string): BuildSummary["links"] {
  const self = `/v1/builds/${id}`;
  return { self, logs: `${self}/logs`, events: `/v1/events?buildId=${id}`, cancel: `${self}/cancel` };
}

export function buildSummary(
  record: Pick<BuildRecord, "id" | "state">,
  options: { idempotent: boolean; queuePosition: number | undefined; etaSeconds?: number | undefined },
): BuildSummary {
  return {
    id: record.id,
    state: record.state,
    queuePosition: options.queuePosition ?? null,
    etaSeconds: options.etaSeconds ?? null,
    idempotent: options.idempotent,
    links: buildLinks(record.id),
  };
}
