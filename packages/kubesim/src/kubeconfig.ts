// The only module of kubesim that imports @kubernetes/client-node at run time.
import { KubeConfig } from "@kubernetes/client-node";
import { stringify } from "yaml";

/** Plain-HTTP kubeconfig for 127.0.0.1; the token is ignored by kubesim but keeps every client happy. */
export function kubeconfigYamlFor(url: string, namespace = "default"): string {
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    // client-node refuses plain http unless insecure-skip-tls-verify is set; kubectl accepts it too.
    clusters: [{ name: "kubesim", cluster: { server: url, "insecure-skip-tls-verify": true } }],
    users: [{ name: "kubesim", user: { token: "kubesim" } }],
    contexts: [{ name: "kubesim", context: { cluster: "kubesim", user: "kubesim", namespace } }],
    "current-context": "kubesim",
    preferences: {},
  });
}

export function kubeConfigFor(yaml: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(yaml);
  return kc;
}
