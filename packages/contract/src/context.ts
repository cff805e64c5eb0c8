import { z } from "zod";
import {
  checkedString,
  controlProblem,
  dnsSubdomainProblem,
  relativePathProblem,
  textControlProblem,
} from "./checks.js";
import { LIMITS } from "./limits.js";

/**
 * Where the files of a build come from: a git repository, a tarball URL, a
 * directory on a PersistentVolumeClaim, or a few inline files (which must fit
 * one ConfigMap).
 */

function urlProblem(value: string, schemes: readonly string[]): string | undefined {
  if (value.length > LIMITS.urlLength) return `it is longer than ${LIMITS.urlLength} characters`;
  const control = controlProblem(value);
  if (control) return control;
  if (/\s/.test(value)) return "it contains a space";
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value)?.[1]?.toLowerCase();
  if (scheme === undefined || !schemes.includes(scheme)) {
    return `the scheme must be one of ${schemes.map((s) => `${s}://`).join(", ")}`;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "it is not a valid URL";
  }
  if (url.hostname === "") return "it names no host";
  // Credentials in a URL (a token as the user name is common) would be visible in the Job spec and in logs.
  if (url.username !== "" || url.password !== "") return "it embeds credentials; use a Kubernetes Secret instead";
  return undefined;
}

function gitRefProblem(value: string): string | undefined {
  if (value.length > 255) return "it is longer than 255 characters";
  const control = controlProblem(value);
  if (control) return control;
  // git check-ref-format rules, plus no leading '-' (it would read as a flag).
  if (/[\s~^:?*[\\]/.test(value)) return "it contains a space or one of ~ ^ : ? * [ \\";
  if (value.startsWith("-")) return "it starts with '-'";
  if (value.includes("..") || value.includes("@{") || value.includes("//")) return "it contains '..', '@{' or '//'";
  if (value.startsWith("/") || value.endsWith("/") || value.endsWith(".") || value.endsWith(".lock")) {
    return "it starts or ends with '/', or ends with '.' or '.lock'";
  }
  return value === "" ? "it is empty" : undefined;
}

const GitContext = z.strictObject({
  type: z.literal("git"),
  url: checkedString(
    "a git repository URL",
    // Kaniko takes the ref and commit as #fragments it appends itself: one in the URL would garble them.
    (v) => urlProblem(v, ["https", "http", "git"]) ?? (v.includes("#") ? "it has a #fragment; give the branch in ref and the commit in commit" : undefined),
    "https://github.com/example/app.git",
  ),
  ref: checkedString("a git branch, tag or refs/… name", gitRefProblem, "refs/heads/main").optional(),
  commit: checkedString(
    "a commit id",
    (v) => (/^[0-9a-f]{40}$/.test(v) ? undefined : "expected 40 lowercase hex digits"),
    "3f786850e387550fdab836ed7e6dc881de23001b",
  ).optional(),
  subPath: checkedString("a path inside the repository", relativePathProblem, "services/api").optional(),
});

const TarballContext = z.strictObject({
  type: z.literal("tarball"),
  url: checkedString(
    "a tarball URL",
    (v) => {
      const problem = urlProblem(v, ["s3", "gs", "https"]);
      if (problem) return problem;
      // Signed https URLs carry a query string: look at the path only.
      const path = new URL(v).pathname;
      return path.endsWith(".tar.gz") || path.endsWith(".tgz") ? undefined : "it must end in .tar.gz or .tgz";
    },
    "s3://build-contexts/team/app.tar.gz",
  ),
});

const VolumeContext = z.strictObject({
  type: z.literal("volume"),
  claimName: checkedString("a PersistentVolumeClaim name", dnsSubdomainProblem, "kaniko-workspace"),
  path: checkedString("a path inside the volume", relativePathProblem, "my-build"),
});

function inlineNameProblem(name: string): string | undefined {
  const problem = relativePathProblem(name, 255);
  if (problem) return problem;
  if (name.split("/").some((s) => s === "" || s === ".")) return "use a plain relative path such as src/app.py";
  return undefined;
}

export const utf8Bytes = (s: string): number => Buffer.byteLength(s, "utf8");

const InlineContext = z.strictObject({
  type: z.literal("inline"),
  files: z
    .record(
      checkedString("an inline file name", inlineNameProblem, "src/app.py"),
      z.string().check((ctx) => {
        const problem = textControlProblem(ctx.value);
        if (problem) ctx.issues.push({ code: "custom", input: ctx.value, message: `the file content: ${problem}` });
      }),
    )
    .check((ctx) => {
      const names = Object.keys(ctx.value);
      if (names.length > LIMITS.inlineFiles) {
        ctx.issues.push({
          code: "custom",
          input: ctx.value,
          message: `${names.length} inline files are more than the limit of ${LIMITS.inlineFiles}; use a tarball, git or volume context`,
        });
      }
      const bytes = names.reduce((sum, n) => sum + utf8Bytes(n) + utf8Bytes(ctx.value[n] ?? ""), 0);
      if (bytes > LIMITS.inlineBytes) {
        ctx.issues.push({
          code: "custom",
          input: ctx.value,
          message: `inline files total ${bytes} bytes, more than the limit of ${LIMITS.inlineBytes} (512 KiB); use a tarball, git or volume context`,
        });
      }
    }),
});

export const BuildContext = z.discriminatedUnion("type", [GitContext, TarballContext, VolumeContext, InlineContext]);
export type BuildContext = z.infer<typeof BuildContext>;
export const CONTEXT_TYPES = ["git", "tarball", "volume", "inline"] as const;

/** Field names of every context type, for "did you mean" suggestions. */
export const CONTEXT_FIELDS: readonly string[] = [
  ...new Set([GitContext, TarballContext, VolumeContext, InlineContext].flatMap((s) => Object.keys(s.shape))),
];
