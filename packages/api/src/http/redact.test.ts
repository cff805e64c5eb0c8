import { describe, expect, it } from "vitest";
import { redactRequestUrl, redactText } from "./redact.js";

describe("redactText", () => {
  it.each([
    ['"https://user:tok@github.com/x.git" is not', '"https://[redacted]@github.com/x.git" is not'],
    ["https://tok@github.com/x.git", "https://[redacted]@github.com/x.git"],
    ["https://u:p@ss@github.com/x", "https://[redacted]@github.com/x"],
    ["see https://github.com/x.git?ref=main", "see https://github.com/x.git?ref=main"],
    ["https://h/x.tar.gz?X-Amz-Signature=abc&X-Amz-Date=1", "https://h/x.tar.gz?X-Amz-Signature=[redacted]&X-Amz-Date=1"],
    ["git://u:p@host", "git://[redacted]@host"],
    ["no url here: user:pass@host", "no url here: user:pass@host"],
  ])("%s → %s", (text, expected) => {
    expect(redactText(text)).toBe(expected);
  });
});

describe("redactRequestUrl", () => {
  it.each([
    ["/v1/builds?state=queued", "/v1/builds?state=queued"],
    ["/v1/builds?TOKEN=x&limit=2", "/v1/builds?TOKEN=[redacted]&limit=2"],
    ["/v1/events?access_token=x#frag", "/v1/events?access_token=[redacted]#frag"],
    ["/v1/events?since=https%3A%2F%2Fbob%3Ap%40h%2Fx", "/v1/events?since=https%3A%2F%2F[redacted]%40h%2Fx"],
    ["/v1/x?bad=%E0%A4%A", "/v1/x?bad=%E0%A4%A"],
  ])("%s → %s", (url, expected) => {
    expect(redactRequestUrl(url)).toBe(expected);
  });
});
