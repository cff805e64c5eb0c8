import { ValidationError } from "../errors/index.js";

/**
 * Kubernetes-style equality label selectors: `team=payments,env=prod` (every
 * pair must match). Pure; the error names the field and the bad part.
 */

const KEY = /^[A-Za-z0-9]([A-Za-z0-9._/-]{0,315}[A-Za-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)?$/;

export function parseSelector(text: string, field = "selector"): Record<string, string> {
  const labels: Record<string, string> = {};
  const parts = text.split(",").map((p) => p.trim());
  if (text.trim() === "") throw new ValidationError([{ path: field, message: "the selector is empty", example: "team=payments" }]);
  for (const part of parts) {
    const eq = part.indexOf("=");
    const key = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? "" : part.slice(eq + 1).replace(/^=/, "");
    if (eq < 0 || !KEY.test(key) || !VALUE.test(value)) {
      throw new ValidationError([
        { path: field, message: `${JSON.stringify(part)} is not key=value (only equality selectors, comma-separated)`, example: "team=payments,env=prod" },
      ]);
    }
    if (labels[key] !== undefined && labels[key] !== value) {
      throw new ValidationError([{ path: field, message: `label ${key} is given twice with different values; nothing could match` }]);
    }
    labels[key] = value;
  }
  return labels;
}
