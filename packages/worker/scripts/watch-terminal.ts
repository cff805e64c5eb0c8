/**
 * Benchmark helper, run as its own process by bench.ts: watches the build
 * namespace's Jobs and records when each Job's terminal condition (Complete or
 * Failed = True) first became visible. Being a separate, otherwise idle
 * process, it sees the condition as soon as the API server sends it, whatever
 * the worker's event loop is doing; the worker's own watch delay is then part
 * of the measured latency.
 *
 *   node --import tsx scripts/watch-terminal.ts <kubeconfig> <namespace>
 *
 * Prints "watching" once the watch is open; on SIGTERM prints one JSON line
 * {"terminalAt": {jobName: epochMs}} and exits.
 */
import { KubeConfig, Watch } from "@kubernetes/client-node";

const [kubeconfigPath, namespace] = process.argv.slice(2);
if (!kubeconfigPath || !namespace) {
  console.error("usage: watch-terminal.ts <kubeconfig> <namespace>");
  process.exit(2);
}
const kc = new KubeConfig();
kc.loadFromFile(kubeconfigPath);

interface JobEvent {
  metadata?: { name?: string };
  status?: { conditions?: { type: string; status: string }[] };
}

const terminalAt: Record<string, number> = {};
let stopping = false;
const controller = await new Watch(kc).watch(
  `/apis/batch/v1/namespaces/${namespace}/jobs`,
  {},
  (_type: string, job: JobEvent) => {
    const name = job.metadata?.name ?? "";
    if (terminalAt[name] !== undefined) return;
    if (job.status?.conditions?.some((c) => (c.type === "Complete" || c.type === "Failed") && c.status === "True")) {
      terminalAt[name] = Date.now();
    }
  },
  (err: unknown) => {
    if (err && !stopping) console.error(`watch ended: ${err instanceof Error ? err.message : JSON.stringify(err)}`);
  },
);
console.log("watching");
process.once("SIGTERM", () => {
  stopping = true;
  controller.abort();
  process.stdout.write(`${JSON.stringify({ terminalAt })}\n`, () => process.exit(0));
});
