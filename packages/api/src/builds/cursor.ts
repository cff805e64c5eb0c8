import { ValidationError, type ListPosition } from "@buildfleet/shared";
import { z } from "zod";

/**
 * List cursors are opaque to clients: base64url of the position where the
 * next page starts. Decoding validates it like any other input.
 */

const Position = z.strictObject({ s: z.number().int().min(0), i: z.string().regex(/^[0-9a-z]{1,64}$/) });

export function encodeCursor(position: ListPosition): string {
  return Buffer.from(JSON.stringify({ s: position.score, i: position.id }), "utf8").toString("base64url");
}

export function decodeCursor(cursor: string): ListPosition {
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
  return { score: parsed.data.s, id: parsed.data.i };
}
