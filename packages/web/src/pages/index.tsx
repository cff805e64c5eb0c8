import type { ComponentChildren } from "preact";
import type { SessionView } from "../api/types";
import { BuildPage } from "./build";
import { BuildsPage } from "./builds";
import { QueuePage } from "./queue";

export interface PageProps {
  session: SessionView;
  params: Record<string, string>;
  search: string;
}

export interface PageDef {
  /** Path below /ui, e.g. "/builds/:id". */
  pattern: string;
  title: (params: Record<string, string>) => string;
  /** Shown in the navigation when set; adminOnly hides it from other tokens. */
  nav?: { label: string; adminOnly?: boolean };
  render: (props: PageProps) => ComponentChildren;
}

/**
 * Every page of the dashboard. A new page (rebuild waves, schedules, workers)
 * is one entry here and one file in this folder.
 */
export const PAGES: PageDef[] = [
  { pattern: "/", title: () => "Builds", nav: { label: "Builds" }, render: (p) => <BuildsPage session={p.session} search={p.search} /> },
  { pattern: "/builds/:id", title: (params) => `Build ${params["id"] ?? ""}`, render: (p) => <BuildPage session={p.session} id={p.params["id"] ?? ""} /> },
  { pattern: "/queue", title: () => "Queue", nav: { label: "Queue", adminOnly: true }, render: (p) => <QueuePage session={p.session} /> },
];
