export { Schedule, SCHEDULE_KIND, CONCURRENCY_POLICIES, DEFAULT_STARTING_DEADLINE_SECONDS, validateSchedule, parseSchedule, normalisedSource } from "./schedule.js";
export type { ScheduleInput, ScheduleTarget, ScheduleValidation, ConcurrencyPolicy } from "./schedule.js";
export { cronProblem, timeZoneProblem, nextFire, latestFire, DEFAULT_TIME_ZONE } from "./cron.js";
export { dueFiring, concurrencyDecision, sourceUnchanged, mirrorBuildRequest, firingKey } from "./decide.js";
export type { DueDecision, ConcurrencyDecision } from "./decide.js";
export { headManifestDigest, parseChallenge, retryAfterMs, RegistryError, MANIFEST_ACCEPT as REGISTRY_MANIFEST_ACCEPT } from "./registry-head.js";
export type { HeadOptions, RegistryCredentials, SourceRef } from "./registry-head.js";
