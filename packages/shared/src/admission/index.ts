export { decideNext, admissionOrder, effectiveLane, reservedSlots, etaMs, LANES } from "./admission.js";
export type { Lane, WaitingBuild, TenantPolicy, AdmissionState, Decision } from "./admission.js";
export { LANE_BAND, MAX_TAG, lanePriority, laneOfPriority, tagOfPriority, bandScores } from "./lane-priority.js";
export { FairShare, TAG_STEP, tagStep } from "./fair-share.js";
