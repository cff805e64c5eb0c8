import type { ComponentChildren } from "preact";
import type { SessionView } from "../api/types";
import { BuildPage } from "./build";
import { BuildsPage } from "./builds";
import { ImagesPage } from "./images";
import { QueuePage } from "./queue";
import { SchedulesPage } from "./schedules";
import { WavePage } from "./wave";
import { WorkersPage } from "./workers";

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
 * Every page of the dashboard. A new page is one entry here and one file in
 * this folder.
 */
export const PAGES: PageDef[] = [
  { pattern: "/", title: () => "Builds", nav: { label: "Builds" }, render: (p) => <BuildsPage session={p.session} search={p.search} /> },
  { pattern: "/builds/:id", title: (params) => `Build ${params["id"] ?? ""}`, render: (p) => <BuildPage session={p.session} id={p.params["id"] ?? ""} /> },
  { pattern: "/images", title: () => "Images", nav: { label: "Images" }, render: () => <ImagesPage /> },
  { pattern: "/waves/:id", title: (params) => `Wave ${params["id"] ?? ""}`, render: (p) => <WavePage session={p.session} id={p.params["id"] ?? ""} /> },
  { pattern: "/schedules", title: () => "Schedules", nav: { label: "Schedules" }, render: (p) => <SchedulesPage session={p.session} /> },
  { pattern: "/queue", title: () => "Queue", nav: { label: "Queue", adminOnly: true }, render: (p) => <QueuePage session={p.session} /> },
  { pattern: "/workers", title: () => "Workers", nav: { label: "Workers", adminOnly: true }, render: (p) => <WorkersPage session={p.session} /> },
];
