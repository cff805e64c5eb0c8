export { decideNext, admissionOrder, effectiveLane, reservedSlots, LANES } from "./admission.js";
export type { Lane, WaitingBuild, TenantPolicy, AdmissionState, Decision } from "./admission.js";
export { LANE_BAND, MAX_TAG, lanePriority, laneOfPriority, tagOfPriority, bandScores } from "./lane-priority.js";
export { FairShare, TAG_STEP, tagStep } from "./fair-share.js";
export { TenantCapStore } from "./tenant-caps.js";
export type { TenantCaps } from "./tenant-caps.js";
export { LaneSlotStore, FleetSlots, sharedSlotLimit } from "./lane-slots.js";
