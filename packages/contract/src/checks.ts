import { z } from "zod";

/**
 * Checks for strings that end up as container arguments, file paths or
 * Kubernetes fields. Each returns a problem in words (or undefined), so the
 * schema can tell a person exactly what to fix.
 */

// C0 controls (newline, tab, NUL…), DEL and C1 controls.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// Same, but tab, newline and carriage return are normal in file contents.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL_IN_TEXT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** Quotes a value for a message: escapes control characters, shortens long values. */
export function quote(value: string, max = 80): string {
  const shown = value.length > max ? `${value.slice(0, max)}…` : value;
  return JSON.stringify(shown);
}

export function controlProblem(value: string): string | undefined {
  if (/[\n\r]/.test(value)) return "it contains a newline";
  if (CONTROL.test(value)) return "it contains a control character";
  return undefined;
}

export function textControlProblem(value: string): string | undefined {
  return CONTROL_IN_TEXT.test(value) ? "it contains a control character other than tab or newline" : undefined;
}

/**
 * A path relative to the build context or volume that cannot climb out of it:
 * not absolute, no `..` segment, no backslash (kaniko runs on Linux; a
 * backslash is almost always a Windows path by mistake), no control characters.
 */
export function relativePathProblem(value: string, maxLength = 1024): string | undefined {
  if (value === "") return "it is empty";
  if (value.length > maxLength) return `it is longer than ${maxLength} characters`;
  const control = controlProblem(value);
  if (control) return control;
  if (value.startsWith("/")) return "it is an absolute path; give a path relative to the build context";
  if (value.includes("\\")) return "it contains a backslash; separate directories with /";
  if (value.split("/").includes("..")) return "it contains a '..' segment, which would leave the build context";
  return undefined;
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A Kubernetes object name such as a Secret or PersistentVolumeClaim (DNS-1123 subdomain). */
export function dnsSubdomainProblem(value: string): string | undefined {
  if (value === "") return "it is empty";
  if (value.length > 253) return "it is longer than 253 characters";
  if (!value.split(".").every((part) => DNS1123_LABEL.test(part))) {
    return "a Kubernetes name may only hold lowercase letters, digits, '-' and '.', and must start and end with a letter or digit";
  }
  return undefined;
}

// Kubernetes resource quantities: a non-negative decimal with an optional
// binary (Ki…Ei), decimal (m, k, M…E) or exponent suffix. Bounded in length.
const QUANTITY = /^(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?:Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E|[eE][0-9]{1,2})?$/;
const SUFFIX: Readonly<Record<string, number>> = {
  m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

export function quantityProblem(value: string): string | undefined {
  if (value.length > 32 || !QUANTITY.test(value)) {
    return "expected a number with an optional suffix, such as 250m, 1, 512Mi or 2Gi";
  }
  return undefined;
}

/** The numeric value of a valid quantity (e.g. "250m" → 0.25, "2Gi" → 2147483648). */
export function quantityValue(value: string): number {
  const match = /^([0-9.]+)(.*)$/.exec(value);
  if (!match) return NaN;
  const [, number = "", suffix = ""] = match;
  if (suffix === "") return Number(number);
  // "E" alone is exa; "E6" or "e6" is an exponent.
  if (/^[eE][0-9]+$/.test(suffix)) return Number(number) * 10 ** Number(suffix.slice(1));
  return Number(number) * (SUFFIX[suffix] ?? NaN);
}

const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** Kubernetes label key: optional DNS-subdomain prefix and '/', then a name of at most 63 characters. */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.indexOf("/");
  const prefix = slash === -1 ? undefined : key.slice(0, slash);
  const name = slash === -1 ? key : key.slice(slash + 1);
  if (prefix !== undefined && dnsSubdomainProblem(prefix) !== undefined) {
    return `prefix ${quote(prefix)} is not a DNS subdomain (lowercase letters, digits, '-', '.')`;
  }
  if (name === "" || name.length > 63 || !LABEL_NAME.test(name)) {
    return "a label name has at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit";
  }
  return undefined;
}

export function labelValueProblem(value: string): string | undefined {
  if (value === "") return undefined;
  if (value.length > 63 || !LABEL_NAME.test(value)) {
    return "a label value has at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit";
  }
  return undefined;
}

/**
 * A string schema driven by a problem function. The message quotes the value
 * and the issue carries an example of a right value for the formatter.
 */
export function checkedString(
  what: string,
  problem: (value: string) => string | undefined,
  example: string,
): z.ZodString {
  return z.string().check((ctx) => {
    const found = problem(ctx.value);
    if (found !== undefined) {
      ctx.issues.push({
        code: "custom",
        input: ctx.value,
        message: `${quote(ctx.value)} is not ${what}: ${found}`,
        params: { example },
      });
    }
  });
}

/** Pushes a custom issue with an example (for checks spanning several fields). */
export function issue(
  message: string,
  path: PropertyKey[],
  example?: string,
): { code: "custom"; message: string; path: PropertyKey[]; input: unknown; params?: { example: string } } {
  return example === undefined
    ? { code: "custom", message, path, input: undefined }
    : { code: "custom", message, path, input: undefined, params: { example } };
}
