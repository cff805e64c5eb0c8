import { KubeConfig } from "@kubernetes/client-node";

export type { KubeConfig } from "@kubernetes/client-node";

/**
 * Part of the Kubernetes adapter: where credentials come from. An explicit
 * kubeconfig file wins; inside a pod, the service account; else the default
 * file (~/.kube/config or $KUBECONFIG), as kubectl does.
 */
export function loadKubeConfig(source: { kubeconfig: string | undefined; inCluster: boolean }): KubeConfig {
  const kc = new KubeConfig();
  if (source.kubeconfig) kc.loadFromFile(source.kubeconfig);
  else if (source.inCluster) kc.loadFromCluster();
  else kc.loadFromDefault();
  return kc;
}
