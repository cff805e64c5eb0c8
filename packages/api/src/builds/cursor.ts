import { createHash } from "node:crypto";
import { type ListPosition } from "@buildfleet/shared";
import { ValidationError, type BuildState } from "@buildfleet/contract";
import { z } from "zod";

/**
 * List cursors are opaque to clients: base64url of the position where the
 * next page starts and a fingerprint of the filters the page was listed with.
 * A cursor only continues the listing it came from: used with other filters
 * it would page through a different list from a position that means nothing
 * there, so it is refused. Decoding validates it like any other input.
 */

const Position = z.strictObject({
  s: z.number().int().min(0),
  i: z.string().regex(/^[0-9a-z]{1,64}$/),
  f: z.string().regex(/^[0-9a-f]{16}$/),
});

export interface ListFilters {
  states?: readonly BuildState[] | undefined;
  labels?: Readonly<Record<string, string>> | undefined;
}

/** Order-insensitive: `state=a&state=b` and `state=b&state=a` list the same builds. */
export function filterFingerprint(filters: ListFilters): string {
  const states = [...new Set(filters.states ?? [])].sort();
  const labels = Object.entries(filters.labels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash("sha256").update(JSON.stringify({ states, labels })).digest("hex").slice(0, 16);
}

export function encodeCursor(position: ListPosition, filters: ListFilters = {}): string {
  return Buffer.from(JSON.stringify({ s: position.score, i: position.id, f: filterFingerprint(filters) }), "utf8").toString("base64url");
}

export function decodeCursor(cursor: string, filters: ListFilters = {}): ListPosition {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    raw = undefined;
  }
  const parsed = Position.safeParse(raw);
  if (!parsed.success) {
    throw new ValidationError([{ path: "cursor", message: "not a cursor this API returned; pass nextCursor from the previous page unchanged" }]);
  }
  if (parsed.data.f !== filterFingerprint(filters)) {
    throw new ValidationError([
      {
        path: "cursor",
        message: "this cursor continues a listing with other filters; repeat the state and label filters of the page that returned it",
      },
    ]);
  }
  return { score: parsed.data.s, id: parsed.data.i };
}
