import { describe, expect, it } from "vitest";
import { parseServer, requestPath } from "./rest.js";

describe("parseServer", () => {
  it("keeps the server's base path and drops a trailing slash", () => {
    expect(parseServer("https://host:6443/some/prefix/")).toEqual({ protocol: "https:", hostname: "host", port: "6443", basePath: "/some/prefix" });
    expect(parseServer("https://10.0.0.1")).toEqual({ protocol: "https:", hostname: "10.0.0.1", port: "", basePath: "" });
  });

  it("unwraps IPv6 literals for http.request", () => {
    expect(parseServer("http://[::1]:8080")).toMatchObject({ hostname: "::1", port: "8080" });
  });

  it("rejects what is not an http(s) URL", () => {
    expect(parseServer("unix:///var/run/k8s.sock")).toBeUndefined();
    expect(parseServer("not a url")).toBeUndefined();
  });
});

describe("requestPath", () => {
  const server = { protocol: "https:" as const, hostname: "h", port: "", basePath: "/p" };

  it("URL-encodes query values and leaves out unset ones", () => {
    const path = requestPath(server, { path: "/api/v1/namespaces/ns/pods", query: { labelSelector: "a in (x,y),b!=c", limit: 500, continue: undefined } });
    expect(path).toBe("/p/api/v1/namespaces/ns/pods?labelSelector=a+in+%28x%2Cy%29%2Cb%21%3Dc&limit=500");
    expect(new URL(path, "http://x").searchParams.get("labelSelector")).toBe("a in (x,y),b!=c");
  });

  it("has no query string without query values", () => {
    expect(requestPath(server, { path: "/apis/batch/v1/namespaces/ns/jobs/j" })).toBe("/p/apis/batch/v1/namespaces/ns/jobs/j");
  });
});
