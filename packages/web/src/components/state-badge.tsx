import type { BuildState } from "../api/types";

export function StateBadge(props: { state: BuildState }) {
  return (
    <span class={`state state-${props.state}`} data-state={props.state}>
      {props.state}
    </span>
  );
}
