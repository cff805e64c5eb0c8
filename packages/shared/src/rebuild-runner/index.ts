// Rebuild waves' Redis adapter and the IO around the wave state machine (issue 13).
export { WaveStore, WaveDoc, WaveId, NodeBuild, NodePin, BuildLink, newWaveId } from "./wave-store.js";
export {
  planRebuild,
  planError,
  startRebuild,
  driveWave,
  cancelRebuild,
  supersedeRebuild,
  waveLinkOf,
  retryRebuild,
  applyBuildEvents,
  reconcileWave,
  outcomeOfEvent,
  outcomeOfRecord,
} from "./runner.js";
export type { RunnerDeps, StartInput } from "./runner.js";
export { noteBaseBuilds, startDueWaves } from "./automatic.js";
export { waveEvents, waveTenants } from "./wave-events.js";
export type { WaveEventInit } from "./wave-events.js";
