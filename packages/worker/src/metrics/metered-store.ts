import { BuildStore, type BuildStoreOptions, type StoredBuild, type Transition, type TransitionResult } from "@buildfleet/shared";

/**
 * The worker's build store, telling `onApplied` about every transition it
 * applied (never about duplicates or refused moves). Every state change the
 * worker makes goes through `transition`, so this one override sees them all.
 */
export class MeteredBuildStore extends BuildStore {
  constructor(
    options: BuildStoreOptions,
    private readonly onApplied: (record: TransitionResult["record"]) => void,
  ) {
    super(options);
  }

  override async transition(buildId: string, t: Transition, options: { from?: StoredBuild } = {}): Promise<TransitionResult> {
    const result = await super.transition(buildId, t, options);
    if (result.applied) {
      try {
        this.onApplied(result.record);
      } catch {
        // Metrics must never fail a build's state change.
      }
    }
    return result;
  }
}
