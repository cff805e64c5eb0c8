/**
 * Label, annotation and container names shared by the Job renderer and the
 * tracker. Changing one is a breaking change for Jobs already in the cluster:
 * a worker must still adopt and follow Jobs created by the previous release.
 */
export const LABEL_MANAGED_BY = "app.kubernetes.io/managed-by";
export const LABEL_NAME = "app.kubernetes.io/name";
export const LABEL_BUILD_ID = "buildfleet.dev/build-id";
export const LABEL_TENANT = "buildfleet.dev/tenant";

export const MANAGED_BY_VALUE = "buildfleet";
export const NAME_VALUE = "kaniko";

/** The selector of the shared list+watch: every Job and Pod buildfleet created. */
export const MANAGED_SELECTOR = `${LABEL_MANAGED_BY}=${MANAGED_BY_VALUE}`;

export const ANNOTATION_BUILD_ID = "buildfleet.dev/build-id";
export const ANNOTATION_TENANT = "buildfleet.dev/tenant";
export const ANNOTATION_ATTEMPT = "buildfleet.dev/attempt";
export const ANNOTATION_PRIORITY = "buildfleet.dev/priority";

/**
 * The build id of a Job or Pod buildfleet created: the annotation first (it
 * holds the id verbatim; the label may have been made label-safe), the label as
 * a fallback. The one place that knows where it is kept.
 */
export function buildIdOf(o: { metadata?: { annotations?: Record<string, string>; labels?: Record<string, string> } }): string | undefined {
  return o.metadata?.annotations?.[ANNOTATION_BUILD_ID] ?? o.metadata?.labels?.[LABEL_BUILD_ID];
}

/** Status derivation reads the digest from this container's termination message. */
export const KANIKO_CONTAINER_NAME = "kaniko";
