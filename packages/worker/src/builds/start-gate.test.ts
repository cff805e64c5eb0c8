import { describe, expect, it } from "vitest";
import { StartGate } from "./start-gate.js";

describe("StartGate", () => {
  it("admits up to its size at once and queues the rest", async () => {
    const gate = new StartGate(2);
    const a = await gate.acquire();
    await gate.acquire();
    let third = false;
    const pending = gate.acquire().then((r) => {
      third = true;
      return r;
    });
    await Promise.resolve();
    expect(third).toBe(false);
    expect(gate.stats()).toEqual({ active: 2, waiting: 1 });
    a();
    const release = await pending;
    expect(third).toBe(true);
    expect(gate.stats()).toEqual({ active: 2, waiting: 0 });
    release();
    expect(gate.stats()).toEqual({ active: 1, waiting: 0 });
  });

  it("hands slots over first come, first served", async () => {
    const gate = new StartGate(1);
    const first = await gate.acquire();
    const order: number[] = [];
    const waiters = Array.from({ length: 3000 }, (_, i) =>
      gate.acquire().then((release) => {
        order.push(i);
        release();
      }),
    );
    first();
    await Promise.all(waiters);
    expect(order).toEqual(Array.from({ length: 3000 }, (_, i) => i));
    expect(gate.stats()).toEqual({ active: 0, waiting: 0 });
  });

  it("ignores a second release of the same slot", async () => {
    const gate = new StartGate(1);
    const release = await gate.acquire();
    release();
    release();
    expect(gate.stats()).toEqual({ active: 0, waiting: 0 });
    await gate.acquire();
    expect(gate.stats()).toEqual({ active: 1, waiting: 0 });
  });

  it("refuses a size that admits nothing", () => {
    expect(() => new StartGate(0)).toThrow(RangeError);
  });
});
