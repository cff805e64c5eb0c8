import { K8sError } from "../k8s/errors.js";
import type { K8sApi } from "../k8s/client.js";

/** The scheduler's readSecret port over the Kubernetes adapter: a missing Secret is undefined, anything else throws. */
export function secretReader(k8s: Pick<K8sApi, "readSecret">): (name: string) => Promise<Record<string, string> | undefined> {
  return async (name) => {
    try {
      return (await k8s.readSecret(name)).data ?? {};
    } catch (err) {
      if (err instanceof K8sError && err.code === "NOT_FOUND") return undefined;
      throw err;
    }
  };
}
