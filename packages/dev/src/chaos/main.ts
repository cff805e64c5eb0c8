// pnpm chaos [--builds 1000] [--only worker-sigkill,redis-sigkill,kubesim-faults] [--timeout-s 300]
// Runs each fault scenario on its own loopback fleet and prints one table row per scenario.
import { cpus, hostname } from "node:os";
import { parseArgs } from "node:util";
import { SCENARIOS, runScenario, type ScenarioName } from "./scenarios.js";
import { renderTable, type Tally } from "./tally.js";

const { values } = parseArgs({
  options: {
    builds: { type: "string", default: "1000" },
    only: { type: "string" },
    "timeout-s": { type: "string", default: "300" },
  },
});

function fail(message: string): never {
  console.error(`pnpm chaos: ${message}`);
  process.exit(2);
}

const builds = Number(values.builds);
if (!Number.isInteger(builds) || builds < 2 || builds > 5_000) fail("--builds: expected an integer from 2 to 5000");
const timeoutS = Number(values["timeout-s"]);
if (!Number.isFinite(timeoutS) || timeoutS < 10 || timeoutS > 1_800) fail("--timeout-s: expected seconds from 10 to 1800");
const only = values.only?.split(",") ?? [...SCENARIOS];
for (const name of only) if (!SCENARIOS.includes(name as ScenarioName)) fail(`--only: unknown scenario "${name}" (known: ${SCENARIOS.join(", ")})`);

const rows: Tally[] = [];
for (const name of only as ScenarioName[]) {
  console.error(`running ${name} with ${builds} builds …`);
  rows.push(await runScenario(name, { builds, timeoutMs: timeoutS * 1000 }));
}
const cpu = cpus()[0]?.model ?? "unknown CPU";
console.log(`${new Date().toISOString().slice(0, 10)} on ${hostname()}: ${cpus().length} × ${cpu}, Node ${process.version}`);
console.log(renderTable(rows));
const bad = rows.some((r) => r.lost + r.stuck + r.duplicateJobs + r.terminalEventsNot1 + r.sequenceGaps + (r.sseMissing ?? 0) + (r.sseDuplicates ?? 0) > 0);
process.exit(bad ? 1 : 0);
