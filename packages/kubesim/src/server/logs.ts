// GET .../pods/{name}/log, served from the control plane's LogSource with the
// real query parameters (container, follow, tailLines, sinceTime,
// sinceSeconds, previous, timestamps).
import type { ServerResponse } from "node:http";
import { badRequest, notFound } from "../store/errors.js";
import type { SimStore } from "../store/store.js";
import type { LogReadOptions, LogSource } from "../store/types.js";
import { boolParam, intParam } from "./http.js";

export function serveLogs(
  store: SimStore,
  logs: LogSource,
  namespace: string,
  name: string,
  query: URLSearchParams,
  res: ServerResponse,
): void {
  const pod = store.listPage("pods", namespace, { filter: (o) => o.metadata.name === name }).items[0];
  if (!pod) throw notFound({ resource: "pods", group: "" }, name);
  const spec = pod.spec as { containers?: Array<{ name: string }> } | undefined;
  const names = (spec?.containers ?? []).map((c) => c.name);
  let container = query.get("container") ?? "";
  if (container === "") {
    if (names.length !== 1) {
      throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${names.join(" ")}]`);
    }
    container = names[0] ?? "";
  } else if (!names.includes(container)) {
    throw badRequest(`container ${container} is not valid for pod ${name}`);
  }
  const opts: LogReadOptions = {};
  if (boolParam(query.get("previous"))) opts.previous = true;
  if (boolParam(query.get("timestamps"))) opts.timestamps = true;
  const tail = intParam("tailLines", query.get("tailLines"));
  if (tail !== undefined) opts.tailLines = tail;
  const sinceTime = query.get("sinceTime");
  const sinceSeconds = intParam("sinceSeconds", query.get("sinceSeconds"));
  if (sinceTime) {
    const t = new Date(sinceTime);
    if (Number.isNaN(t.getTime())) throw badRequest(`invalid sinceTime: ${sinceTime}`);
    opts.sinceTime = t;
  } else if (sinceSeconds !== undefined) {
    opts.sinceTime = new Date(store.clock.now().getTime() - sinceSeconds * 1000);
  }
  const text = logs.read(namespace, name, container, opts);
  if (!boolParam(query.get("follow"))) {
    res.writeHead(200, { "Content-Type": "text/plain", "Content-Length": Buffer.byteLength(text) });
    res.end(text);
    return;
  }
  res.writeHead(200, { "Content-Type": "text/plain", "Transfer-Encoding": "chunked" });
  res.write(text);
  // follow() may end synchronously, before its unsubscribe function is known.
  const subscription: { stop?: () => void } = {};
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    subscription.stop?.();
    if (!res.writableEnded) res.end();
  };
  // res, not req: the response closing is the reliable sign that the client went away.
  res.on("close", end);
  const unsubscribe = logs.follow(
    namespace,
    name,
    container,
    (line) => {
      if (!ended) res.write(opts.timestamps ? `${store.clock.now().toISOString()} ${line}\n` : `${line}\n`);
    },
    end,
  );
  subscription.stop = unsubscribe;
  if (ended) unsubscribe();
}
