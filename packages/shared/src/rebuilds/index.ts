// Rebuild waves: planning, pinning and the wave state machine. Pure: the coordinator does the IO.
export { planWave } from "./plan.js";
export type { TenantScope, WaveTrigger, WavePlan, PlanProblem, PlanResult } from "./plan.js";
export { staleDependents } from "./stale.js";
export { formatPlanTree } from "./plan-format.js";
export { pinBuildRequest } from "./pin.js";
export type { Pin, PinResult } from "./pin.js";
export { WaveOptions, ON_FAILURE, DEFAULT_MAX_IN_FLIGHT, MAX_MAX_IN_FLIGHT, startWave, applyOutcome, applyOutcomes, advance, cancelWave, supersedeWave, SUPERSEDED_REASON, retryWave, waveStatus, pinsFor } from "./wave.js";
export type { WaveOptionsInput, WaveNode, Wave, NodeOutcome, NodeChange, Step, WaveStatus } from "./wave.js";
