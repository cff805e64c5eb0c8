// Per-container log buffers of the kubelet stand-in, served as the pods/log
// subresource. Bounded per container like the real kubelet's log rotation.
import { badRequest, notFound } from "../store/errors.js";
import type { KubeObject, LogReadOptions, LogSource } from "../store/types.js";

/** Lines kept per container; older lines are dropped (the real kubelet rotates files). */
export const MAX_LINES_PER_CONTAINER = 10_000;

interface LogLine {
  time: Date;
  text: string;
}

interface ContainerLog {
  lines: LogLine[];
  /** The instance before the last in-place restart (restartPolicy OnFailure/Always). */
  previous?: LogLine[];
  ended: boolean;
  followers: Set<{ onLine: (line: string) => void; onEnd: () => void }>;
}

export interface LogStore extends LogSource {
  /** The container (re)started: from now on reads return its (possibly empty) log. */
  start(namespace: string, pod: string, container: string): void;
  append(namespace: string, pod: string, container: string, text: string, time: Date): void;
  /** The container terminated: followers are told the stream ended. */
  end(namespace: string, pod: string, container: string): void;
  /** The pod is gone: drop its logs and end every follower. */
  removePod(namespace: string, pod: string): void;
  /** End every follower (control plane stop); the lines stay readable. */
  endAll(): void;
  /** Drop the logs of pods for which `keep` is false (after a restart that may have lost pods). */
  retainPods(keep: (namespace: string, pod: string) => boolean): void;
}

export function formatLog(lines: readonly LogLine[], opts: LogReadOptions): string {
  let selected = lines;
  if (opts.sinceTime !== undefined) {
    const since = opts.sinceTime.getTime();
    selected = selected.filter((l) => l.time.getTime() >= since);
  }
  if (opts.tailLines !== undefined) {
    selected = opts.tailLines <= 0 ? [] : selected.slice(-opts.tailLines);
  }
  return selected.map((l) => `${opts.timestamps === true ? `${l.time.toISOString()} ` : ""}${l.text}\n`).join("");
}

function containerNames(pod: KubeObject): string[] {
  const spec = pod["spec"] as { containers?: { name?: string }[] } | undefined;
  return (spec?.containers ?? []).map((c) => c.name ?? "");
}

function waitingReason(pod: KubeObject, container: string): string {
  const status = pod["status"] as
    | { containerStatuses?: { name?: string; state?: { waiting?: { reason?: string } } }[] }
    | undefined;
  const cs = status?.containerStatuses?.find((c) => c.name === container);
  return cs?.state?.waiting?.reason ?? "ContainerCreating";
}

export function createLogStore(lookupPod: (namespace: string, name: string) => KubeObject | undefined): LogStore {
  const logs = new Map<string, ContainerLog>();
  const key = (ns: string, pod: string, container: string) => `${ns}/${pod}/${container}`;

  function existing(namespace: string, pod: string, container: string): ContainerLog {
    const podObj = lookupPod(namespace, pod);
    if (podObj === undefined) throw notFound({ resource: "pods", group: "" }, pod);
    if (!containerNames(podObj).includes(container)) {
      throw badRequest(`container ${container} is not valid for pod ${pod}`);
    }
    const log = logs.get(key(namespace, pod, container));
    if (log === undefined) {
      throw badRequest(
        `container "${container}" in pod "${pod}" is waiting to start: ${waitingReason(podObj, container)}`,
      );
    }
    return log;
  }

  function endLog(log: ContainerLog): void {
    log.ended = true;
    const followers = [...log.followers];
    log.followers.clear();
    for (const f of followers) f.onEnd();
  }

  return {
    read(namespace, pod, container, opts) {
      const log = existing(namespace, pod, container);
      // With restartPolicy Never there is never a previous instance: 400, like the real kubelet.
      if (opts.previous === true) {
        if (log.previous === undefined) {
          throw badRequest(`previous terminated container "${container}" in pod "${pod}" not found`);
        }
        return formatLog(log.previous, opts);
      }
      return formatLog(log.lines, opts);
    },
    follow(namespace, pod, container, onLine, onEnd) {
      const log = existing(namespace, pod, container);
      if (log.ended) {
        onEnd();
        return () => undefined;
      }
      const follower = { onLine, onEnd };
      log.followers.add(follower);
      return () => {
        log.followers.delete(follower);
      };
    },
    start(namespace, pod, container) {
      const k = key(namespace, pod, container);
      const log = logs.get(k);
      if (log === undefined) logs.set(k, { lines: [], ended: false, followers: new Set() });
      else if (log.ended) {
        // An in-place restart: the ended instance becomes `previous`.
        log.previous = log.lines;
        log.lines = [];
        log.ended = false;
      }
    },
    append(namespace, pod, container, text, time) {
      const log = logs.get(key(namespace, pod, container));
      if (log === undefined || log.ended) return;
      log.lines.push({ time, text });
      if (log.lines.length > MAX_LINES_PER_CONTAINER) log.lines.splice(0, log.lines.length - MAX_LINES_PER_CONTAINER);
      for (const f of [...log.followers]) f.onLine(text);
    },
    end(namespace, pod, container) {
      const log = logs.get(key(namespace, pod, container));
      if (log !== undefined && !log.ended) endLog(log);
    },
    removePod(namespace, pod) {
      const prefix = `${namespace}/${pod}/`;
      for (const [k, log] of [...logs]) {
        if (!k.startsWith(prefix)) continue;
        logs.delete(k);
        if (!log.ended) endLog(log);
      }
    },
    endAll() {
      for (const log of logs.values()) {
        const followers = [...log.followers];
        log.followers.clear();
        for (const f of followers) f.onEnd();
      }
    },
    retainPods(keep) {
      for (const k of [...logs.keys()]) {
        const [namespace = "", pod = ""] = k.split("/");
        if (!keep(namespace, pod)) logs.delete(k);
      }
    },
  };
}
