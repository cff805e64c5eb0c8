import { describe, expect, it } from "vitest";
import { parseBuildRequest } from "../contract/index.js";
import { decodeIdempotencyValue, encodeIdempotencyValue, requestHash } from "./request-hash.js";

const base = {
  context: { type: "volume", claimName: "ws", path: "app" },
  destinations: ["registry.internal:5000/team-a/app:v1"],
};
const parse = (r: unknown) => parseBuildRequest(r);

describe("requestHash", () => {
  it("ignores field order and the idempotency key itself", () => {
    const a = parse({ ...base, labels: { a: "1", b: "2" }, idempotencyKey: "k1" });
    const b = parse({ labels: { b: "2", a: "1" }, destinations: base.destinations, context: base.context });
    expect(requestHash(a)).toBe(requestHash(b));
  });

  it("differs when the request differs", () => {
    expect(requestHash(parse(base))).not.toBe(requestHash(parse({ ...base, destinations: ["registry.internal:5000/team-a/other:v1"] })));
  });

  it("round-trips the stored value and reads an old one holding the id alone", () => {
    expect(decodeIdempotencyValue(encodeIdempotencyValue("b1", "h"))).toEqual({ buildId: "b1", requestHash: "h" });
    expect(decodeIdempotencyValue("b1")).toEqual({ buildId: "b1", requestHash: undefined });
  });
});
