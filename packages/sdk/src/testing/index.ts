export { startFakeApi, FAKE_DIGEST } from "./fake-api.js";
export type { FakeApi, FakeApiOptions, AutoRun, RecordedRequest } from "./fake-api.js";
