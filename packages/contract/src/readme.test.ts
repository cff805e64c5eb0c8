import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { validateBuildRequest } from "./validate.js";

// The README's request examples are real requests: they must stay valid.
const readme = readFileSync(new URL("./README.md", import.meta.url), "utf8");
const blocks = [...readme.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1] ?? "") as Record<string, unknown>);
const requests = blocks.filter((b) => "destinations" in b);

describe("contract README", () => {
  it("has request examples", () => {
    expect(requests.length).toBeGreaterThanOrEqual(2);
  });

  it.each(requests.map((r, i) => [i, r] as const))("example %i is a valid request", (_i, request) => {
    expect(validateBuildRequest(request)).toMatchObject({ ok: true });
  });

  it("shows the error the validator really gives", () => {
    const error = blocks.find((b) => "path" in b);
    const result = validateBuildRequest({
      context: { type: "inline", files: {} },
      dockerfile: { inline: "FROM busybox:latest" },
      destinations: ["team app:v1", "registry.example.com/team/app:v1.0.0"],
    });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues[0]).toEqual(error);
  });
});
