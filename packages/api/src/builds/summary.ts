import { BuildState, type BuildRecord } from "@buildfleet/shared";
import { z } from "zod";

/** The answer to a submit: where the build is and where to look next. */
export const BuildSummary = z.strictObject({
  id: z.string(),
  state: BuildState,
  /** 1-based place among waiting builds; null once a worker took it (or it finished). */
  queuePosition: z.number().int().min(1).nullable(),
  /** True when an idempotency key returned an existing build. */
  idempotent: z.boolean(),
  links: z.strictObject({ self: z.string(), logs: z.string(), events: z.string(), cancel: z.string() }),
});
export type BuildSummary = z.infer<typeof BuildSummary>;

export function buildLinks(id: string): BuildSummary["links"] {
  const self = `/v1/builds/${id}`;
  return { self, logs: `${self}/logs`, events: `/v1/events?buildId=${id}`, cancel: `${self}/cancel` };
}

export function buildSummary(
  record: Pick<BuildRecord, "id" | "state">,
  options: { idempotent: boolean; queuePosition: number | undefined },
): BuildSummary {
  return {
    id: record.id,
    state: record.state,
    queuePosition: options.queuePosition ?? null,
    idempotent: options.idempotent,
    links: buildLinks(record.id),
  };
}
