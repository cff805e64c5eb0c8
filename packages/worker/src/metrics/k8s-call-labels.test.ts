import { describe, expect, it } from "vitest";
import { labelsOfCall } from "./k8s-call-labels.js";

const jobs = "/apis/batch/v1/namespaces/buildfleet/jobs";

describe("labelsOfCall", () => {
  it("names the verb as the API server does, without object names", () => {
    expect(labelsOfCall({ method: "POST", path: jobs, stream: false, status: 201 })).toEqual({ verb: "create", resource: "jobs", code: "201" });
    expect(labelsOfCall({ method: "GET", path: `${jobs}/b-app-1234`, stream: false, status: 404 })).toEqual({ verb: "get", resource: "jobs", code: "404" });
    expect(labelsOfCall({ method: "GET", path: "/api/v1/namespaces/buildfleet/pods", stream: false, status: 200 })).toEqual({ verb: "list", resource: "pods", code: "200" });
    expect(labelsOfCall({ method: "GET", path: jobs, stream: true, status: 410 })).toEqual({ verb: "watch", resource: "jobs", code: "410" });
    expect(labelsOfCall({ method: "PATCH", path: "/api/v1/namespaces/buildfleet/configmaps/c-1", stream: false, status: 200 }).verb).toBe("patch");
    expect(labelsOfCall({ method: "DELETE", path: `${jobs}/b-app-1234`, stream: false, status: 200 }).verb).toBe("delete");
    expect(labelsOfCall({ method: "GET", path: "/api/v1/namespaces/buildfleet/pods/b-app-1234-x7k2p/log", stream: true, status: 200 })).toEqual({
      verb: "get",
      resource: "pods/log",
      code: "200",
    });
  });

  it("says error when no answer arrived, and other for a resource it does not know", () => {
    expect(labelsOfCall({ method: "POST", path: jobs, stream: false, status: undefined }).code).toBe("error");
    expect(labelsOfCall({ method: "GET", path: "/apis/example.com/v1/namespaces/x/widgets", stream: false, status: 200 }).resource).toBe("other");
    expect(labelsOfCall({ method: "GET", path: "/api/v1/nodes", stream: false, status: 200 }).resource).toBe("other");
  });
});
