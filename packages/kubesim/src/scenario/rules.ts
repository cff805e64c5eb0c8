// Scenario rules script what the kubelet stand-in does with a pod's containers.
// Rules arrive as untrusted JSON/YAML (control endpoint, scenario file), so they
// are validated here; matching and per-attempt selection are pure functions.
import { z } from "zod";
import { invalid } from "../store/errors.js";

const AfterMs = z.number().int().min(0).max(365 * 24 * 3600 * 1000);

/** A regex given as a string; checked for syntax at the boundary so matching never throws. */
const RegexSource = z.string().min(1).refine(
  (s) => {
    try {
      new RegExp(s);
      return true;
    } catch {
      return false;
    }
  },
  { error: "must be a valid regular expression" },
);

const Succeed = z.strictObject({ afterMs: AfterMs.optional() });
const Exit = z.strictObject({
  code: z.number().int().min(0).max(255),
  afterMs: AfterMs.optional(),
  message: z.string().max(4096).optional(),
});
const OomKilled = z.strictObject({ afterMs: AfterMs.optional() });
const Hang = z.strictObject({});
const Unschedulable = z.strictObject({ message: z.string().max(1024).optional() });
const ImagePullBackOff = z.strictObject({});
const Evict = z.strictObject({
  afterMs: AfterMs.optional(),
  /**
   * `kubelet` (default): node-pressure eviction, the pod stays as Failed/Evicted.
   * `api`: an Eviction API call, the pod is marked and then deleted.
   */
  by: z.enum(["kubelet", "api"]).optional(),
});

/** One scripted outcome for a container attempt; exactly one key. */
export type Outcome =
  | { succeed: z.infer<typeof Succeed> }
  | { exit: z.infer<typeof Exit> }
  | { oomKilled: z.infer<typeof OomKilled> }
  | { hang: z.infer<typeof Hang> }
  | { unschedulable: z.infer<typeof Unschedulable> }
  | { imagePullBackOff: z.infer<typeof ImagePullBackOff> }
  | { evict: z.infer<typeof Evict> };

const OUTCOME_KINDS = ["succeed", "exit", "oomKilled", "hang", "unschedulable", "imagePullBackOff", "evict"];

// One strict object with optional keys (rather than a union) so that errors name
// the precise field, e.g. rules[0].attempts[1].exit.code, instead of "Invalid input".
export const Outcome = z
  .strictObject({
    succeed: Succeed.optional(),
    exit: Exit.optional(),
    oomKilled: OomKilled.optional(),
    hang: Hang.optional(),
    unschedulable: Unschedulable.optional(),
    imagePullBackOff: ImagePullBackOff.optional(),
    evict: Evict.optional(),
  })
  .refine((o) => Object.values(o).filter((v) => v !== undefined).length === 1, {
    error: `exactly one of ${OUTCOME_KINDS.join(", ")}`,
  })
  .transform((o) => o as Outcome);

export const RuleMatch = z.strictObject({
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  namespace: z.string().min(1).optional(),
  /** Glob (`*`, `?`) over the whole image reference, or a regex written as `/.../`. */
  image: z.string().min(1).optional(),
  /** Regex that must match at least one container argument. */
  args: RegexSource.optional(),
  jobName: z.string().min(1).optional(),
});
export type RuleMatch = z.infer<typeof RuleMatch>;

export const ScenarioRule = z.strictObject({
  /** Free text shown back by getScenario; helps when several rules are loaded. */
  name: z.string().max(253).optional(),
  match: RuleMatch.default({}),
  /** Outcome per attempt (index of the pod among its Job's pods); the last one repeats. */
  attempts: z.array(Outcome).min(1),
});
export type ScenarioRule = z.infer<typeof ScenarioRule>;

const RuleList = z.array(ScenarioRule);

function pathToField(path: readonly PropertyKey[]): string {
  let out = "rules";
  for (const p of path) {
    out += typeof p === "number" ? `[${p}]` : `.${String(p)}`;
  }
  return out;
}

/**
 * Validates untrusted scenario input — a list of rules, or a scenario document
 * `{ rules: [...] }` — and throws 422 Invalid naming each bad field.
 */
export function parseScenario(input: unknown): ScenarioRule[] {
  let list: unknown = input;
  if (input !== null && typeof input === "object" && !Array.isArray(input)) {
    const extra = Object.keys(input).filter((k) => k !== "rules");
    if (extra.length > 0 || !("rules" in input)) {
      return raise([
        {
          reason: "FieldValueInvalid",
          field: extra[0] ?? "rules",
          message: "a scenario is a list of rules or an object with only a `rules` list",
        },
      ]);
    }
    list = input.rules;
  }
  const result = RuleList.safeParse(list);
  if (result.success) return result.data;
  return raise(
    result.error.issues.map((issue) => ({
      reason: "FieldValueInvalid",
      field: pathToField(issue.path),
      message: issue.message,
    })),
  );
}

function raise(causes: { reason: string; field: string; message: string }[]): never {
  throw invalid("Scenario", "kubesim.buildfleet.dev", "scenario", causes);
}

/** What a rule is matched against: the pod's metadata plus one of its containers. */
export interface MatchTarget {
  namespace: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  jobName: string | undefined;
  image: string;
  args: readonly string[];
}

/** Glob over a whole image reference: `*` spans any characters including `/` and `:`. */
export function imagePatternToRegExp(pattern: string): RegExp {
  if (pattern.length > 2 && pattern.startsWith("/") && pattern.endsWith("/")) {
    return new RegExp(pattern.slice(1, -1));
  }
  const body = pattern
    .split("")
    .map((ch) => (ch === "*" ? ".*" : ch === "?" ? "." : ch.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${body}$`);
}

function mapMatches(want: Record<string, string> | undefined, have: Record<string, string>): boolean {
  if (want === undefined) return true;
  return Object.entries(want).every(([k, v]) => have[k] === v);
}

export function ruleMatches(match: RuleMatch, target: MatchTarget): boolean {
  if (match.namespace !== undefined && match.namespace !== target.namespace) return false;
  if (match.jobName !== undefined && match.jobName !== target.jobName) return false;
  if (!mapMatches(match.labels, target.labels)) return false;
  if (!mapMatches(match.annotations, target.annotations)) return false;
  if (match.image !== undefined) {
    let re: RegExp;
    try {
      re = imagePatternToRegExp(match.image);
    } catch {
      return false;
    }
    if (!re.test(target.image)) return false;
  }
  if (match.args !== undefined) {
    const re = new RegExp(match.args);
    if (!target.args.some((a) => re.test(a))) return false;
  }
  return true;
}

/** First matching rule's outcome for this attempt (last entry repeats); undefined → default behaviour. */
export function outcomeFor(
  rules: readonly ScenarioRule[],
  target: MatchTarget,
  attempt: number,
): Outcome | undefined {
  const rule = rules.find((r) => ruleMatches(r.match, target));
  if (rule === undefined) return undefined;
  const index = Math.min(Math.max(0, attempt), rule.attempts.length - 1);
  return rule.attempts[index];
}
