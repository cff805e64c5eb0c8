export { decideNext, admissionOrder, effectiveLane, reservedSlots, etaMs, LANES } from "./admission.js";
export type { Lane, WaitingBuild, TenantPolicy, AdmissionState, Decision } from "./admission.js";
