// Name validation as the real API server does it. Messages are copied from
// k8s.io/apimachinery/pkg/util/validation so clients see familiar text.
import type { StatusCause } from "./errors.js";

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

export type NameRule = "subdomain" | "label";

function cause(name: string, message: string): StatusCause {
  return {
    reason: "FieldValueInvalid",
    message: `Invalid value: "${name}": ${message}`,
    field: "metadata.name",
  };
}

/** Returns the validation causes for `name`; empty when valid. */
export function validateName(name: string, rule: NameRule): StatusCause[] {
  const causes: StatusCause[] = [];
  if (rule === "label") {
    if (name.length > 63) causes.push(cause(name, "must be no more than 63 characters"));
    if (!DNS1123_LABEL.test(name)) causes.push(cause(name, LABEL_MSG));
  } else {
    if (name.length > 253) causes.push(cause(name, "must be no more than 253 characters"));
    if (!DNS1123_SUBDOMAIN.test(name)) causes.push(cause(name, SUBDOMAIN_MSG));
  }
  return causes;
}

// Same alphabet as k8s.io/apimachinery/pkg/util/rand: no vowels, no confusable characters.
const ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

export function randomSuffix(random: () => number = Math.random, length = 5): string {
  let out = "";
  for (let i = 0; i < length; i += 1) {
    out += ALPHABET[Math.floor(random() * ALPHABET.length)] ?? "x";
  }
  return out;
}
