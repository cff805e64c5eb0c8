import { useEffect, useState } from "preact/hooks";

/**
 * A small path router under /ui (history API, no hash): the API answers every
 * /ui page path with index.html, so a reload or a shared link lands right.
 */
export const BASE = "/ui";

export interface Route {
  /** Path below /ui, with :params, e.g. "/builds/:id". */
  pattern: string;
  params: Record<string, string>;
}

/** Matches `path` (below /ui) against `pattern`; the params, or undefined. */
export function matchPath(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split("/").filter(Boolean);
  const got = path.split("/").filter(Boolean);
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, w] of want.entries()) {
    const g = got[i] ?? "";
    if (w.startsWith(":")) params[w.slice(1)] = decodeURIComponent(g);
    else if (w !== g) return undefined;
  }
  return params;
}

export const currentPath = (): string => location.pathname.replace(/^\/ui/, "") || "/";

export function navigate(to: string): void {
  history.pushState(null, "", `${BASE}${to}`);
  dispatchEvent(new PopStateEvent("popstate"));
}

/** The path below /ui and the query, re-rendering on navigation. */
export function useLocation(): { path: string; search: string } {
  const [loc, setLoc] = useState({ path: currentPath(), search: location.search });
  useEffect(() => {
    const on = (): void => setLoc({ path: currentPath(), search: location.search });
    addEventListener("popstate", on);
    return () => removeEventListener("popstate", on);
  }, []);
  return loc;
}

/** onClick of an in-app link: navigate without a page load (a modified click opens as usual). */
export function linkClick(to: string) {
  return (e: MouseEvent): void => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to);
  };
}
