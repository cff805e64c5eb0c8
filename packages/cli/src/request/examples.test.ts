import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { validateBuildRequest } from "@buildfleet/contract";
import { parseRequestText } from "./load.js";

/** Every request in examples/ must be accepted by the contract as the API applies it (default tag policy). */
const EXAMPLES = join(import.meta.dirname, "..", "..", "..", "..", "examples");
const files = readdirSync(EXAMPLES).filter((f) => f.endsWith(".yaml"));

describe("examples/", () => {
  it("holds the requests teams use today", () => {
    expect(files.sort()).toEqual(
      ["alpine-tools.yaml", "app.yaml", "busybox-mirror.yaml", "debian-base.yaml", "offline-app.yaml", "offline-runtime.yaml", "pvc-workspace.yaml", "python-runtime.yaml"].sort(),
    );
  });

  it.each(files)("%s validates against the BuildRequest schema", (file) => {
    const doc = parseRequestText(readFileSync(join(EXAMPLES, file), "utf8"), file);
    const result = validateBuildRequest(doc, { tagPolicy: "require-versioned" });
    expect(result.ok ? [] : result.issues).toEqual([]);
  });
});
