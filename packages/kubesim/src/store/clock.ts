import type { SimClock } from "./types.js";

/**
 * Simulated clock: simulated time runs `speed` times faster than wall-clock
 * time from the moment the clock is created, so a 60 s build at speed 60 takes
 * one real second while timestamps still look like a 60 s run.
 */
export function createSimClock(speed = 1): SimClock {
  if (!(speed > 0) || !Number.isFinite(speed)) {
    throw new RangeError(`speed must be a positive finite number, got ${speed}`);
  }
  const origin = Date.now();
  return {
    speed,
    now() {
      return new Date(origin + (Date.now() - origin) * speed);
    },
    after(simMs, fn) {
      const timer = setTimeout(fn, Math.max(0, simMs / speed));
      return () => clearTimeout(timer);
    },
  };
}
