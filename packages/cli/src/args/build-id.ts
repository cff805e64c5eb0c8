import { UsageError } from "../exit-codes.js";

/**
 * A build id as typed, or as `-o name` prints it (`build/<id>`), so one
 * command's output is the next one's argument: `buildfleet submit … -o name | xargs buildfleet status`.
 */
export function buildIdArg(value: string): string {
  const id = value.trim().replace(/^builds?\//, "");
  if (id === "" || id.includes("/")) throw new UsageError(`expected a build id or build/<id>, got ${JSON.stringify(value)}`);
  return id;
}
