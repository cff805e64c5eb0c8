import { describe, expect, it } from "vitest";
import { startKubeSim } from "@buildfleet/kubesim";
import { FAIL_ON_PURPOSE_SCENARIO } from "./dev-settings.js";

describe("FAIL_ON_PURPOSE_SCENARIO", () => {
  it("is accepted by kubesim", async () => {
    const sim = await startKubeSim({ scenario: FAIL_ON_PURPOSE_SCENARIO });
    try {
      expect(sim.control.getScenario()).toMatchObject({ rules: [{ name: "fail on purpose" }] });
    } finally {
      await sim.close();
    }
  });
});
