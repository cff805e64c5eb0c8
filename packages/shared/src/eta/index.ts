export { estimateWaitSeconds, median } from "./estimate-wait.js";
export type { WaitInput } from "./estimate-wait.js";
export { RecentDurations, DURATION_WINDOW } from "./recent-durations.js";
export { QueueEstimator, queueEstimate, laneLoad } from "./queue-estimate.js";
export type { QueueEstimate } from "./queue-estimate.js";
