import { describe, expect, it } from "vitest";
import { renderJsonPath } from "./jsonpath.js";

const list = { items: [{ id: "a", state: "failed", failure: { reason: "OOMKilled" } }, { id: "b", state: "succeeded" }] };

describe("renderJsonPath (-o jsonpath)", () => {
  it("evaluates kubectl-style relative expressions and joins several results with a space", () => {
    expect(renderJsonPath("{.items[*].id}", list)).toBe("a b");
    expect(renderJsonPath("{.items[0].failure.reason}{'\\n'}", list)).toBe("OOMKilled\n");
    expect(renderJsonPath("id={.id}\\n", { id: "x" })).toBe("id=x\n");
  });

  it("prints objects as JSON and nothing for no match", () => {
    expect(renderJsonPath("{.items[0].failure}", list)).toBe('{"reason":"OOMKilled"}');
    expect(renderJsonPath("{.nope}", list)).toBe("");
  });

  it("refuses an unclosed brace and range, naming the problem", () => {
    expect(() => renderJsonPath("{.id", {})).toThrow(/unclosed/);
    expect(() => renderJsonPath("{range .items[*]}{.id}{end}", list)).toThrow(/range/);
  });
});
