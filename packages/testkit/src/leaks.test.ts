import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { countResources, excessOver, expectNoLeaks } from "./leaks.js";

describe("leak check", () => {
  it("reports a server left listening and passes once it is closed", async () => {
    const baseline = countResources();
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));

    await expect(expectNoLeaks(baseline, 100)).rejects.toThrow(/1 × TCPServerWrap/);

    await new Promise<void>((resolve) => server.close(() => resolve()));
    await expect(expectNoLeaks(baseline, 1_000)).resolves.toBeUndefined();
  });

  it("counts a timer left running", () => {
    // Checked synchronously: other timers in the worker come and go across awaits.
    const baseline = countResources();
    const timer = setInterval(() => {}, 60_000);
    try {
      expect(excessOver(baseline, countResources())).toMatchObject({ Timeout: 1 });
    } finally {
      clearInterval(timer);
    }
  });

  it("counts only what exceeds the baseline", () => {
    expect(excessOver({ Timeout: 2 }, { Timeout: 3, TCPSocketWrap: 1 })).toEqual({
      Timeout: 1,
      TCPSocketWrap: 1,
    });
    expect(excessOver({ Timeout: 2 }, { Timeout: 1 })).toEqual({});
  });
});
