// PATCH bodies: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and an
// approximation of strategic merge patch (lists of named objects merge by
// `name`, as for containers, volumes, env). RFC 6902 is small enough that a
// dependency would not pay for itself.
import { StatusError, badRequest } from "../store/errors.js";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const isObject = (v: unknown): v is Record<string, Json> => v !== null && typeof v === "object" && !Array.isArray(v);

export function mergePatch(target: unknown, patch: unknown): Json {
  if (!isObject(patch)) return patch as Json;
  const out: Record<string, Json> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

const namedList = (v: unknown): v is Array<Record<string, Json>> =>
  Array.isArray(v) && v.length > 0 && v.every((e) => isObject(e) && typeof e.name === "string");

export function strategicMergePatch(target: unknown, patch: unknown): Json {
  if (!isObject(patch)) return patch as Json;
  const out: Record<string, Json> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith("$")) continue; // directives ($patch, $setElementOrder) are not modelled
    const current = out[key];
    if (value === null) delete out[key];
    else if (namedList(value) && namedList(current)) {
      const merged = current.map((e) => {
        const p = value.find((v) => v.name === e.name);
        return p ? (strategicMergePatch(e, p) as Record<string, Json>) : e;
      });
      for (const v of value) if (!current.some((e) => e.name === v.name)) merged.push(v);
      out[key] = merged;
    } else out[key] = strategicMergePatch(current, value);
  }
  return out;
}

function unescape(token: string): string {
  return token.replace(/~1/g, "/").replace(/~0/g, "~");
}

function parsePointer(pointer: string): string[] {
  if (pointer === "") return [];
  if (!pointer.startsWith("/")) throw badRequest(`invalid JSON pointer: ${pointer}`);
  return pointer.slice(1).split("/").map(unescape);
}

function containerOf(doc: Json, tokens: string[], op: string): { parent: Json; key: string } {
  let cur = doc;
  for (const t of tokens.slice(0, -1)) {
    const next: Json | undefined = Array.isArray(cur) ? cur[Number(t)] : isObject(cur) ? cur[t] : undefined;
    if (next === undefined) throw new StatusError(422, "Invalid", `the server rejected our request due to an error in our request: ${op}: missing path`);
    cur = next;
  }
  return { parent: cur, key: tokens[tokens.length - 1] ?? "" };
}

function read(doc: Json, pointer: string): Json {
  let cur: Json | undefined = doc;
  for (const t of parsePointer(pointer)) {
    cur = Array.isArray(cur) ? cur[Number(t)] : isObject(cur) ? cur[t] : undefined;
    if (cur === undefined) throw new StatusError(422, "Invalid", `the server rejected our request due to an error in our request: path ${pointer} not found`);
  }
  return cur;
}

function add(doc: Json, pointer: string, value: Json): Json {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return value;
  const { parent, key } = containerOf(doc, tokens, "add");
  if (Array.isArray(parent)) {
    const index = key === "-" ? parent.length : Number(key);
    if (!Number.isInteger(index) || index < 0 || index > parent.length) throw new StatusError(422, "Invalid", `add operation: index ${key} out of bounds`);
    parent.splice(index, 0, value);
  } else if (isObject(parent)) parent[key] = value;
  else throw new StatusError(422, "Invalid", `add operation does not apply: doc is missing path: "${pointer}"`);
  return doc;
}

function remove(doc: Json, pointer: string): Json {
  const tokens = parsePointer(pointer);
  const { parent, key } = containerOf(doc, tokens, "remove");
  if (Array.isArray(parent) && Number(key) < parent.length) parent.splice(Number(key), 1);
  else if (isObject(parent) && key in parent) delete parent[key];
  else throw new StatusError(422, "Invalid", `remove operation does not apply: doc is missing path: "${pointer}"`);
  return doc;
}

interface Operation {
  op: string;
  path: string;
  from?: string;
  value?: Json;
}

export function jsonPatch(target: unknown, ops: unknown): Json {
  if (!Array.isArray(ops)) throw badRequest("json patch must be an array of operations");
  let doc = JSON.parse(JSON.stringify(target)) as Json;
  for (const raw of ops as Operation[]) {
    if (!isObject(raw) || typeof raw.path !== "string") throw badRequest("invalid json patch operation");
    const clone = (v: Json | undefined): Json => JSON.parse(JSON.stringify(v ?? null)) as Json;
    switch (raw.op) {
      case "add":
        doc = add(doc, raw.path, clone(raw.value));
        break;
      case "remove":
        doc = remove(doc, raw.path);
        break;
      case "replace":
        doc = add(remove(doc, raw.path), raw.path, clone(raw.value));
        break;
      case "move": {
        const value = read(doc, raw.from ?? "");
        doc = add(remove(doc, raw.from ?? ""), raw.path, value);
        break;
      }
      case "copy":
        doc = add(doc, raw.path, clone(read(doc, raw.from ?? "")));
        break;
      case "test":
        if (JSON.stringify(read(doc, raw.path)) !== JSON.stringify(raw.value)) {
          throw new StatusError(422, "Invalid", `the server rejected our request due to an error in our request: testing value ${raw.path} failed`);
        }
        break;
      default:
        throw badRequest(`unexpected json patch operation: ${JSON.stringify(raw.op)}`);
    }
  }
  return doc;
}

export type PatchType = "merge" | "json" | "strategic" | "apply";

export function patchTypeOf(contentType: string | undefined): PatchType | undefined {
  const ct = (contentType ?? "").split(";")[0]?.trim();
  switch (ct) {
    case "application/merge-patch+json":
      return "merge";
    case "application/json-patch+json":
      return "json";
    case "application/strategic-merge-patch+json":
      return "strategic";
    case "application/apply-patch+yaml":
    case "application/apply-patch+cbor":
      return "apply";
    default:
      return undefined;
  }
}

export function applyPatch(type: PatchType, target: unknown, patch: unknown): Json {
  switch (type) {
    case "merge":
      return mergePatch(target, patch);
    case "json":
      return jsonPatch(target, patch);
    case "strategic":
    case "apply":
      return strategicMergePatch(target, patch);
  }
}
