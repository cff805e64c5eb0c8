/** Bounds on everything a request may carry: no unbounded strings or maps. */
export const LIMITS = {
  destinations: 10,
  inlineFiles: 32,
  /** Inline files must fit one ConfigMap (1 MiB) with room to spare. */
  inlineBytes: 512 * 1024,
  inlineDockerfileBytes: 64 * 1024,
  buildArgs: 64,
  imageLabels: 64,
  labels: 16,
  urlLength: 2048,
} as const;
