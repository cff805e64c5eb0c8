/**
 * Leak detection for integration tests: counts the live resources Node reports
 * (sockets, servers, child processes, timers) and compares them with a baseline.
 * Resources close asynchronously, so the check waits a bounded time for the
 * counts to settle before it reports a leak.
 */
const WATCHED = new Set(["TCPSocketWrap", "TCPServerWrap", "ProcessWrap", "Timeout", "PipeWrap"]);

export type ResourceCounts = Record<string, number>;

export function countResources(): ResourceCounts {
  const counts: ResourceCounts = {};
  for (const type of process.getActiveResourcesInfo()) {
    if (WATCHED.has(type)) counts[type] = (counts[type] ?? 0) + 1;
  }
  return counts;
}

/** Types whose count is above the baseline, with how many more. */
export function excessOver(baseline: ResourceCounts, now: ResourceCounts): ResourceCounts {
  const excess: ResourceCounts = {};
  for (const [type, n] of Object.entries(now)) {
    const extra = n - (baseline[type] ?? 0);
    if (extra > 0) excess[type] = extra;
  }
  return excess;
}

/**
 * Resolves when no watched resource type exceeds the baseline; rejects with a
 * message naming the leaked types after `timeoutMs`.
 */
export async function expectNoLeaks(baseline: ResourceCounts, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let excess = excessOver(baseline, countResources());
  while (Object.keys(excess).length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    excess = excessOver(baseline, countResources());
  }
  if (Object.keys(excess).length > 0) {
    const list = Object.entries(excess)
      .map(([type, n]) => `${n} × ${type}`)
      .join(", ");
    throw new Error(
      `test left resources open: ${list} (close every connection, worker, server and timer it started)`,
    );
  }
}
