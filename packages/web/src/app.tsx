import { useEffect, useState } from "preact/hooks";
import { ApiError, currentSession, isAdmin, setSession, signOut } from "./api/client";
import type { SessionView } from "./api/types";
import { Link } from "./components/link";
import { PAGES } from "./pages/index";
import { SignIn } from "./pages/sign-in";
import { matchPath, useLocation } from "./router";

export function App() {
  const [session, setSessionState] = useState<SessionView | undefined | null>(undefined);
  const { path, search } = useLocation();
  const adopt = (s: SessionView | null): void => {
    setSession(s ?? undefined);
    setSessionState(s);
  };
  useEffect(() => {
    currentSession().then(adopt, (err: unknown) => {
      if (!(err instanceof ApiError && err.status === 401)) console.error(err);
      adopt(null);
    });
  }, []);

  if (session === undefined) return <p class="loading">Loading…</p>;
  if (session === null) return <SignIn onSignedIn={adopt} />;

  const found = PAGES.map((page) => ({ page, params: matchPath(page.pattern, path) })).find((m) => m.params !== undefined);
  document.title = found ? `${found.page.title(found.params ?? {})} · buildfleet` : "buildfleet";
  const out = async (): Promise<void> => {
    await signOut().catch(() => undefined);
    adopt(null);
  };
  return (
    <>
      <header class="top">
        <a class="skip" href="#main">
          Skip to content
        </a>
        <span class="brand">buildfleet</span>
        <nav aria-label="Main">
          {PAGES.filter((p) => p.nav && (!p.nav.adminOnly || isAdmin(session))).map((p) => (
            <Link to={p.pattern} aria-current={found?.page === p ? "page" : undefined}>
              {p.nav?.label}
            </Link>
          ))}
        </nav>
        <span class="who" data-tenant={session.tenant}>
          {session.tenant}
          <span class="hint"> ({session.scopes.join(", ")})</span>
        </span>
        <button type="button" onClick={() => void out()}>
          Sign out
        </button>
      </header>
      <main id="main">{found ? found.page.render({ session, params: found.params ?? {}, search }) : <p>No such page. <Link to="/">All builds</Link></p>}</main>
    </>
  );
}
