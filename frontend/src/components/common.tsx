/** Small shared pieces: the language switch, the local clock, the live status, state symbols. */

import { signal } from "@preact/signals";
import { liveStatus } from "../city";
import { lang, LANGS, setLang, t, tOr } from "../i18n";
import { formatDateTime } from "../i18n/format";
import type { Look } from "../model/looks";
import { symbolSvg } from "../map/icons";

const now = signal(Date.now());
setInterval(() => {
  now.value = Date.now();
}, 10_000);

export function Clock({ withLabel = true }: { withLabel?: boolean }) {
  return (
    <span class="clock" title={t("time.local")}>
      {withLabel ? <span class="visually-hidden">{t("time.local")}: </span> : null}
      <time dateTime={new Date(now.value).toISOString()}>{formatDateTime(now.value, lang.value)}</time>
    </span>
  );
}

export function LangSwitch() {
  return (
    <div class="lang-switch" role="group" aria-label={t("app.language")}>
      {LANGS.map((code) => (
        <button
          type="button"
          key={code}
          lang={code}
          aria-pressed={lang.value === code}
          onClick={() => setLang(code)}
        >
          {code.toUpperCase()}
        </button>
      ))}
    </div>
  );
}

export function LiveStatus() {
  const status = liveStatus.value;
  const key = status === "live" ? "feed.connected" : status === "connecting" ? "feed.connecting" : "feed.disconnected";
  return (
    <span class={`live-status live-${status}`} data-live={status}>
      <span class="live-dot" aria-hidden="true" />
      {t(key)}
    </span>
  );
}

export function Symbol({ look, size = 18 }: { look: Look; size?: number }) {
  return <span class="symbol" dangerouslySetInnerHTML={{ __html: symbolSvg(look, size) }} />;
}

/** A state as a badge: symbol, colour and words (never colour alone). */
export function StateBadge({ look, value }: { look: Look; value?: string }) {
  return (
    <span class="state-badge" data-state={look.state} style={{ background: look.colour, color: look.text }}>
      {value ? <strong>{value}</strong> : null} {tOr(`state.${look.state}`, look.state)}
    </span>
  );
}
