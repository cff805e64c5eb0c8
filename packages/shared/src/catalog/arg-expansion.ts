/**
 * Dockerfile variable expansion for the places a base image is named (FROM,
 * COPY --from, RUN --mount from=): `$NAME`, `${NAME}`, `${NAME:-word}`,
 * `${NAME-word}`, `${NAME:+word}`, `${NAME+word}`, `\$` for a literal `$`.
 * A variable without a value is an error, never an empty string: a base
 * reference built from a missing value would be a guess.
 */

/** What a lookup answers for a variable no ARG in scope declares. */
export const UNDECLARED: unique symbol = Symbol("undeclared");

/** A variable's value; undefined when it is declared without one, UNDECLARED when no ARG declares it. */
export type Lookup = (name: string) => string | undefined | typeof UNDECLARED;

export type ExpansionResult = { ok: true; value: string } | { ok: false; variable: string; problem: string };

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

export function expandVariables(text: string, lookup: Lookup, escape = "\\"): ExpansionResult {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === escape && text[i + 1] === "$") {
      out += "$";
      i += 2;
      continue;
    }
    if (c !== "$") {
      out += c;
      i += 1;
      continue;
    }
    const braced = text[i + 1] === "{";
    const start = braced ? i + 2 : i + 1;
    const name = NAME.exec(text.slice(start))?.[0];
    if (name === undefined) {
      // A lone `$` is literal, as in the Dockerfile shell-word rules.
      out += c;
      i += 1;
      continue;
    }
    let end = start + name.length;
    let modifier: string | undefined;
    let word = "";
    if (braced) {
      const close = text.indexOf("}", end);
      if (close === -1) return { ok: false, variable: name, problem: `\${${name} has no closing }` };
      const rest = text.slice(end, close);
      const m = /^(:?[-+])([\s\S]*)$/.exec(rest);
      if (rest !== "" && !m) return { ok: false, variable: name, problem: `\${${name}${rest}} uses a substitution buildfleet does not evaluate` };
      if (m) {
        modifier = m[1];
        word = m[2] ?? "";
      }
      end = close + 1;
    }
    const found = lookup(name);
    const value = found === UNDECLARED ? undefined : found;
    const set = value !== undefined;
    const nonEmpty = set && value !== "";
    const shown = text.slice(i, end);
    switch (modifier) {
      case ":-":
        out += nonEmpty ? value : word;
        break;
      case "-":
        out += set ? value : word;
        break;
      case ":+":
        out += nonEmpty ? word : "";
        break;
      case "+":
        out += set ? word : "";
        break;
      default:
        if (found === UNDECLARED) return { ok: false, variable: name, problem: `${shown} is not declared by any ARG in scope` };
        if (!nonEmpty) return { ok: false, variable: name, problem: `${shown} has no value: its ARG has no default and buildArgs sets none` };
        out += value;
    }
    i = end;
  }
  return { ok: true, value: out };
}

const WHOLE = /^\$(?:([A-Za-z_][A-Za-z0-9_]*)|\{([A-Za-z_][A-Za-z0-9_]*)(?::?-[^}]*)?\})$/;

/**
 * The variable when the text is exactly one variable reference (`$BASE`,
 * `${BASE}`, `${BASE:-debian}`): setting that build arg sets the whole
 * reference, which is how a FROM taken from a build arg is pinned.
 */
export function wholeVariable(text: string): string | undefined {
  const m = WHOLE.exec(text);
  return m ? (m[1] ?? m[2]) : undefined;
}
