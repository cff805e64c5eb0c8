import { JSONPath } from "jsonpath-plus";
import { UsageError } from "../exit-codes.js";

/**
 * kubectl's `-o jsonpath=TEMPLATE`: text with `{expression}` parts, where an
 * expression is JSONPath relative to the document (`{.items[*].id}`,
 * `{.digest}`). Several results of one expression are joined by a space, as
 * kubectl does; an expression that matches nothing prints nothing. Evaluated
 * by jsonpath-plus (expressions that run script, `?()`/`()`, are refused).
 */
export function renderJsonPath(template: string, doc: unknown): string {
  let out = "";
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf("{", i);
    if (open === -1) {
      out += unescape(template.slice(i));
      break;
    }
    out += unescape(template.slice(i, open));
    const close = template.indexOf("}", open);
    if (close === -1) throw new UsageError(`-o jsonpath: unclosed { in ${JSON.stringify(template)}`);
    out += evaluate(template.slice(open + 1, close).trim(), doc);
    i = close + 1;
  }
  return out;
}

function evaluate(expr: string, doc: unknown): string {
  if (expr === "") throw new UsageError("-o jsonpath: empty {} expression");
  // kubectl's literals: {"\n"}, {'\t'}.
  const literal = /^(["'])(.*)\1$/s.exec(expr);
  if (literal) return unescape(literal[2] ?? "");
  if (/^range\b|^end\b/.test(expr)) throw new UsageError("-o jsonpath: {range}…{end} is not supported; use {.items[*].field}");
  const path = expr.startsWith("$") ? expr : expr.startsWith(".") || expr.startsWith("[") ? `$${expr}` : `$.${expr}`;
  let results: unknown[];
  try {
    results = JSONPath<unknown[]>({ path, json: doc as object, wrap: true, eval: false });
  } catch (err) {
    throw new UsageError(`-o jsonpath: ${JSON.stringify(expr)} is not a JSONPath expression: ${err instanceof Error ? err.message : String(err)}`);
  }
  return results.map((r) => (typeof r === "string" ? r : JSON.stringify(r))).join(" ");
}

/** kubectl templates spell newlines and tabs as \n and \t. */
const unescape = (text: string): string => text.replace(/\\n/g, "\n").replace(/\\t/g, "\t");
