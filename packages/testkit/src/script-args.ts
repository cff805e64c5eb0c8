/**
 * A benchmark script's arguments for `parseArgs({ args })`, without the `--`
 * that `pnpm run bench -- --runs 3` passes through (npm drops it, pnpm 10
 * keeps it), which parseArgs would take for the end of the options and then
 * refuse every flag after it.
 */
export function scriptArgs(argv: readonly string[] = process.argv.slice(2)): string[] {
  return argv[0] === "--" ? argv.slice(1) : [...argv];
}
