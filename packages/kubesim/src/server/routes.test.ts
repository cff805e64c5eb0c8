import { describe, expect, it } from "vitest";
import { parseResourcePath } from "./routes.js";

describe("parseResourcePath", () => {
  const cases: Array<[string, ReturnType<typeof parseResourcePath>]> = [
    ["/api/v1/namespaces", { resource: "namespaces", namespace: undefined, name: undefined, subresource: undefined }],
    ["/api/v1/namespaces/default", { resource: "namespaces", namespace: undefined, name: "default", subresource: undefined }],
    ["/api/v1/namespaces/default/status", { resource: "namespaces", namespace: undefined, name: "default", subresource: "status" }],
    ["/api/v1/namespaces/default/pods", { resource: "pods", namespace: "default", name: undefined, subresource: undefined }],
    ["/api/v1/namespaces/default/pods/p1/log", { resource: "pods", namespace: "default", name: "p1", subresource: "log" }],
    ["/api/v1/pods", { resource: "pods", namespace: undefined, name: undefined, subresource: undefined }],
    ["/apis/batch/v1/jobs", { resource: "jobs", namespace: undefined, name: undefined, subresource: undefined }],
    ["/apis/batch/v1/namespaces/ci/jobs/build/status", { resource: "jobs", namespace: "ci", name: "build", subresource: "status" }],
    ["/apis/apps/v1/namespaces/ci/deployments/api", { resource: "deployments", namespace: "ci", name: "api", subresource: undefined }],
    ["/apis/policy/v1/namespaces/ci/poddisruptionbudgets", { resource: "poddisruptionbudgets", namespace: "ci", name: undefined, subresource: undefined }],
    ["/apis/apiextensions.k8s.io/v1/customresourcedefinitions/scaledobjects.keda.sh", { resource: "customresourcedefinitions", namespace: undefined, name: "scaledobjects.keda.sh", subresource: undefined }],
    ["/apis/keda.sh/v1alpha1/namespaces/ci/scaledobjects/w", { resource: "scaledobjects", namespace: "ci", name: "w", subresource: undefined }],
  ];
  for (const [path, expected] of cases) {
    it(`routes ${path}`, () => {
      expect(parseResourcePath(path)).toEqual(expected);
    });
  }

  it.each([
    "/api/v1/namespaces/default/jobs",
    "/apis/batch/v1/namespaces/default/pods",
    "/api/v1/pods/p1",
    "/api/v1/namespaces/default/secrets/s/status",
    "/api/v1/namespaces/default/jobs/x/log",
    "/api/v1/deployments",
    "/apis/apps/v1beta1/namespaces/ci/deployments",
    "/apis/keda.sh/v1/namespaces/ci/scaledobjects",
    "/api/v1/namespaces/ci/roles",
  ])("does not serve %s", (path) => {
    expect(parseResourcePath(path)).toBeUndefined();
  });
});
