import { DockerfileParser } from "dockerfile-ast";
import type { Arg, Copy, Flag, From, Instruction, Run } from "dockerfile-ast";
import { UNDECLARED, expandVariables, wholeVariable } from "./arg-expansion.js";
import type { Lookup } from "./arg-expansion.js";
import { tryNormaliseReference } from "./image-ref.js";

/**
 * The images a Dockerfile builds from, read with dockerfile-ast (the parser
 * behind the VS Code Docker language server) rather than with regular
 * expressions: continuation lines, flags, heredocs and the escape directive are
 * its problem. What this module adds is Docker's meaning:
 *
 * - global ARGs (before the first FROM) are the only variables a FROM sees;
 *   buildArgs override their defaults, and only for ARGs the file declares;
 * - a FROM, `COPY --from` or `RUN --mount=…,from=` naming an earlier stage
 *   (by alias or index) is internal; `scratch` is no image;
 * - inside a stage, `COPY --from`/`from=` see the ARGs that stage declares;
 * - a variable without a value makes the whole file unresolved: the answer is
 *   "we do not know", never a guess.
 */

import type { BaseInstruction, DockerfileBaseSource, TextPosition, TextRange } from "@buildfleet/contract";
// Where a base was named: part of the HTTP contract (plans show it).
export type { BaseInstruction, DockerfileBaseSource, TextPosition, TextRange };

export interface DockerfileBase {
  /** Canonical form, e.g. `docker.io/library/busybox:latest`. */
  reference: string;
  /** As written in the file, before variables were substituted. */
  written: string;
  source: DockerfileBaseSource;
}

export type DockerfileBasesResult = { ok: true; bases: DockerfileBase[] } | { ok: false; reason: string };

interface Stage {
  alias: string | undefined;
  args: Map<string, string | undefined>;
}

/** Reads the bases of a Dockerfile, substituting `buildArgs`. Deterministic and IO-free. */
export function dockerfileBases(text: string, buildArgs: Readonly<Record<string, string>> = {}): DockerfileBasesResult {
  const file = DockerfileParser.parse(text);
  const escape = file.getEscapeCharacter();
  const given = (name: string): string | undefined => (Object.hasOwn(buildArgs, name) ? buildArgs[name] : undefined);

  const globals = new Map<string, string | undefined>();
  const globalLookup: Lookup = (name) => (globals.has(name) ? globals.get(name) : UNDECLARED);
  const stages: Stage[] = [];
  const bases: DockerfileBase[] = [];

  for (const instruction of file.getInstructions()) {
    const line = instruction.getRange().start.line + 1;
    const keyword = instruction.getKeyword();
    const stage = stages.at(-1);

    if (keyword === "ARG") {
      const into = stage?.args ?? globals;
      for (const property of (instruction as Arg).getProperties()) {
        const name = property.getName();
        // getValue() is the value with quotes and escapes processed (getUnescapedValue() is the raw text).
        const fallback = property.getValue();
        let value = given(name);
        if (value === undefined && fallback !== null) {
          // A default may use earlier ARGs (`ARG IMAGE=${REGISTRY}/debian`).
          const lookup: Lookup = stage === undefined ? globalLookup : stageLookup(stage);
          const expanded = expandVariables(fallback, lookup, escape);
          value = expanded.ok ? expanded.value : undefined;
        }
        // `ARG NAME` in a stage re-declares a global ARG and takes its value.
        if (value === undefined && stage !== undefined) value = globals.get(name);
        into.set(name, value);
      }
      continue;
    }

    if (keyword === "FROM") {
      const from = instruction as From;
      const written = from.getImage();
      const range = from.getImageRange();
      if (written === null || range === null) return { ok: false, reason: `the FROM on line ${line} names no image` };
      const alias = from.getBuildStage()?.toLowerCase() ?? undefined;
      const found = resolveName(written, globalLookup, escape, stages, { kind: "from", line, range }, "FROM", false);
      stages.push({ alias, args: new Map() });
      if (!found.ok) return found;
      if (found.base) bases.push(found.base);
      continue;
    }

    if (stage === undefined) continue;
    const lookup = stageLookup(stage);
    for (const { flagValue, range, kind, what } of fromFlags(instruction)) {
      const found = resolveName(flagValue, lookup, escape, stages, { kind, line, range }, what, true);
      if (!found.ok) return found;
      if (found.base) bases.push(found.base);
    }
  }
  if (stages.length === 0) return { ok: false, reason: "the Dockerfile has no FROM instruction" };
  return { ok: true, bases };
}

/** Global ARGs are not visible inside a stage unless the stage re-declares them (their value is copied then). */
function stageLookup(stage: Stage): Lookup {
  return (name) => (stage.args.has(name) ? stage.args.get(name) : UNDECLARED);
}

interface FromFlag {
  flagValue: string;
  range: TextRange;
  kind: BaseInstruction;
  what: string;
}

/** `COPY --from=X` and every `RUN --mount=…,from=X`. */
function fromFlags(instruction: Instruction): FromFlag[] {
  const keyword = instruction.getKeyword();
  if (keyword === "COPY") {
    const flag = (instruction as Copy).getFromFlag();
    const value = flag?.getValue();
    const range = flag?.getValueRange();
    return value && range ? [{ flagValue: value, range, kind: "copy-from", what: "COPY --from" }] : [];
  }
  if (keyword === "RUN") {
    return (instruction as Run)
      .getFlags()
      .filter((f: Flag) => f.getName() === "mount")
      .flatMap((f) => f.getOptions())
      .flatMap((o) => {
        const value = o.getValue();
        const range = o.getValueRange();
        return o.getName() === "from" && value && range ? [{ flagValue: value, range, kind: "run-mount" as const, what: "RUN --mount from=" }] : [];
      });
  }
  return [];
}

type Resolved = { ok: true; base: DockerfileBase | undefined } | { ok: false; reason: string };

function resolveName(
  written: string,
  lookup: Lookup,
  escape: string,
  stages: readonly Stage[],
  at: { kind: BaseInstruction; line: number; range: TextRange },
  what: string,
  indexAllowed: boolean,
): Resolved {
  const expanded = expandVariables(written, lookup, escape);
  if (!expanded.ok) return { ok: false, reason: `the ${what} on line ${at.line} cannot be resolved: ${expanded.problem}` };
  const name = expanded.value;
  const lower = name.toLowerCase();
  if (lower === "scratch") return { ok: true, base: undefined };
  if (stages.some((s) => s.alias === lower)) return { ok: true, base: undefined };
  if (indexAllowed && /^[0-9]+$/.test(name)) {
    if (Number(name) < stages.length) return { ok: true, base: undefined };
    return { ok: false, reason: `the ${what} on line ${at.line} names stage ${name}, but only ${stages.length} stage(s) come before it` };
  }
  const normalised = tryNormaliseReference(name);
  if (!normalised.ok) {
    return { ok: false, reason: `the ${what} on line ${at.line} names "${name}", which is not a valid image reference: ${normalised.problem}` };
  }
  const variable = wholeVariable(written);
  // Setting a build arg only changes the reference when an ARG declares it.
  const source: DockerfileBaseSource =
    variable === undefined || lookup(variable) === UNDECLARED
      ? at
      : { kind: "build-arg", name: variable, instruction: at.kind, line: at.line };
  return { ok: true, base: { reference: normalised.value.canonical, written, source } };
}
