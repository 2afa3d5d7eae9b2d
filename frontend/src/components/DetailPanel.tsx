/** The side panel that opens over the feed, so the map stays in view. Escape closes it and
 * focus returns to where it was (the marker or the feed line). */

import { useEffect, useRef } from "preact/hooks";
import { t } from "../i18n";
import { EntityDetail } from "./EntityDetail";

interface Props {
  id: string;
  onClose: () => void;
  onSelect: (id: string) => void;
}

export function DetailPanel({ id, onClose, onSelect }: Props) {
  const panel = useRef<HTMLElement>(null);
  const opener = useRef<Element | null>(null);

  useEffect(() => {
    opener.current = document.activeElement;
    panel.current?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") onClose();
    };
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("keydown", onKey);
      const back = opener.current;
      if (back instanceof HTMLElement && back.isConnected) back.focus({ preventScroll: true });
    };
  }, []);

  useEffect(() => {
    panel.current?.scrollTo?.({ top: 0 });
  }, [id]);

  return (
    <aside class="detail-panel" ref={panel} tabIndex={-1} aria-label={t("detail.title")} data-detail={id}>
      <button type="button" class="close-button" onClick={onClose} aria-label={t("app.close")}>
        ×
      </button>
      <EntityDetail id={id} compact onSelect={onSelect} />
    </aside>
  );
}
