/**
 * The part of the contract's `QueuedBuild` (packages/shared/src/contract) that the
 * Job renderer reads, written structurally so the renderer does not depend on the
 * contract module's internals: any validated `QueuedBuild` is assignable to it.
 * Defaults the contract applies at parse time are applied again here (`??`), so a
 * payload from an older producer still renders the same Job.
 */
export type BuildContextInput =
  | { type: "git"; url: string; ref?: string; commit?: string; subPath?: string }
  | { type: "tarball"; url: string }
  | { type: "volume"; claimName: string; path: string }
  | { type: "inline"; files: Record<string, string> };

export type DockerfileInput = { path: string } | { inline: string };

export interface ResourceListInput {
  cpu?: string;
  memory?: string;
}

export interface ResourcesInput {
  requests?: ResourceListInput;
  limits?: ResourceListInput;
}

export interface BuildRequestInput {
  context: BuildContextInput;
  dockerfile?: DockerfileInput;
  target?: string;
  destinations: string[];
  buildArgs?: Record<string, string>;
  imageLabels?: Record<string, string>;
  cache?: { enabled?: boolean; repository?: string; ttl?: string };
  registryCredentials?: { secretName: string };
  resources?: ResourcesInput;
  timeouts?: { runSeconds?: number; queueSeconds?: number };
  retries?: number;
  priority?: string;
}

export interface QueuedBuildInput {
  buildId: string;
  tenant: string;
  request: BuildRequestInput;
}
