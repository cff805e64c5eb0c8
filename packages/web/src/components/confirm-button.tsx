import { useState } from "preact/hooks";

/**
 * A button that asks once more before acting: the first press shows the
 * question and the confirm/keep buttons in place (keyboard reachable, no
 * modal, no window.confirm).
 */
export function ConfirmButton(props: { label: string; question: string; confirmLabel: string; onConfirm: () => Promise<void>; danger?: boolean; disabled?: boolean; /** When the label alone is ambiguous (one button per row). */ ariaLabel?: string }) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  if (!asking) {
    return (
      <span class="confirm">
        <button type="button" class={props.danger ? "danger" : ""} disabled={props.disabled} aria-label={props.ariaLabel} onClick={() => { setError(undefined); setAsking(true); }}>
          {props.label}
        </button>
        {error && <span role="alert" class="error">{error}</span>}
      </span>
    );
  }
  const act = async (): Promise<void> => {
    setBusy(true);
    try {
      await props.onConfirm();
      setAsking(false);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
      setAsking(false);
    } finally {
      setBusy(false);
    }
  };
  return (
    <span class="confirm asking" role="group" aria-label={props.question}>
      <span>{props.question}</span>
      <button type="button" class={props.danger ? "danger" : ""} disabled={busy} onClick={() => void act()} autofocus>
        {props.confirmLabel}
      </button>
      <button type="button" disabled={busy} onClick={() => setAsking(false)}>
        Keep
      </button>
    </span>
  );
}
