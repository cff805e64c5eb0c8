export { startLocalStack, DEV_KUBESIM, DEFAULT_STATE_DIR } from "./stack.js";
export type { LocalStack, LocalStackOptions } from "./stack.js";
export { DEV_TENANT, DEV_REGISTRIES, DEV_SECRETS, FAIL_ON_PURPOSE_SCENARIO, devTokenEntry, renderDevEnv } from "./dev-settings.js";
export { startRealBuilds, realBuildsUnavailable } from "./real-builds.js";
export type { RealBuilds, RealBuildsOptions } from "./real-builds.js";
