/** Pieces of the admin pages: a two-step confirm button, error and status lines, loading a list
 * once with a reload, revealing a form. */

import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { t } from "../i18n";
import { problemText } from "./incidentParts";

/** A button that asks "sure?" in place (no modal): the second click does it, Escape cancels. */
export function ConfirmButton({
  label,
  question,
  onConfirm,
  disabled,
}: {
  label: string;
  question: string;
  onConfirm: () => void;
  disabled?: boolean;
}) {
  const [asking, setAsking] = useState(false);
  const yes = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (asking) yes.current?.focus();
  }, [asking]);
  if (!asking) {
    return (
      <button type="button" class="button-danger" disabled={disabled} onClick={() => setAsking(true)}>
        {label}
      </button>
    );
  }
  return (
    <span
      class="confirm"
      role="group"
      aria-label={question}
      onKeyDown={(e) => {
        if (e.key === "Escape") setAsking(false);
      }}
    >
      <span class="confirm-question">{question}</span>
      <button
        type="button"
        ref={yes}
        class="button-danger"
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
      >
        {t("admin.confirmYes")}
      </button>
      <button type="button" onClick={() => setAsking(false)}>
        {t("admin.cancel")}
      </button>
    </span>
  );
}

export function ErrorLine({ error, id }: { error: string | null; id?: string }) {
  if (!error) return null;
  return (
    <p class="error" role="alert" id={id}>
      {error}
    </p>
  );
}

export function Done({ children }: { children: ComponentChildren }) {
  return (
    <p class="done" role="status">
      {children}
    </p>
  );
}

/** Load a list on mount; `reload` fetches it again. The error is ready for display. */
export function useList<T>(load: () => Promise<T[]>, deps: unknown[] = []) {
  const [items, setItems] = useState<T[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const reload = () =>
    load()
      .then((found) => {
        setItems(found);
        setError(null);
      })
      .catch((err: unknown) => setError(problemText(err)));
  useEffect(() => void reload(), deps);
  return { items, error, reload };
}

/** A form opened below a long table: scrolled into view with its first field focused. */
export function useRevealed<T extends HTMLElement>() {
  const ref = useRef<T>(null);
  useEffect(() => {
    ref.current?.scrollIntoView({ block: "start" });
    ref.current?.querySelector<HTMLElement>("input, select, textarea")?.focus({ preventScroll: true });
  }, []);
  return ref;
}
