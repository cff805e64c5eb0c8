import type { ComponentChildren } from "preact";
import { BASE, linkClick } from "../router";

export function Link(props: { to: string; children: ComponentChildren; class?: string; "aria-current"?: "page" }) {
  return (
    <a href={`${BASE}${props.to}`} onClick={linkClick(props.to)} class={props.class} aria-current={props["aria-current"]}>
      {props.children}
    </a>
  );
}
