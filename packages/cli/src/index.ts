export { runCli, createProgram, EXIT_INTERRUPTED } from "./program.js";
export type { CliIo } from "./context.js";
export { EXIT, UsageError, exitCodeFor } from "./exit-codes.js";
export type { ExitCode } from "./exit-codes.js";
export { requestFromFlags } from "./request/from-flags.js";
export { parseRequestText, loadRequestFile } from "./request/load.js";
