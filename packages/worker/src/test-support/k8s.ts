// Helpers shared by the Kubernetes adapter's tests.
import { readFileSync } from "node:fs";
import { K8sError } from "../k8s/errors.js";

/** The K8sError a call failed with (anything else, or success, fails the test). */
export async function rejection(p: Promise<unknown>): Promise<K8sError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof K8sError) return err;
    throw err;
  }
  throw new Error("expected a K8sError");
}

/** A committed test-only certificate or key from src/k8s/__fixtures__. */
export const fixture = (name: string): string => readFileSync(new URL(`../k8s/__fixtures__/${name}`, import.meta.url), "utf8");
