/** Pick an open incident for an alert to join: newest first, searchable by title (either
 * language), area, category or id, with or without Vietnamese diacritics ("ngap yersin" finds
 * "Ngập đường Yersin"). */

import { useEffect, useState } from "preact/hooks";
import { categoryName } from "../api/choices";
import { type IncidentSummary, listOpenIncidents } from "../api/incidents";
import { lang, t } from "../i18n";
import { matches } from "../model/fold";
import { localText, shortId } from "../model/incidents";
import { severityOf } from "../model/looks";
import { SeverityBadge, When } from "./incidentParts";

const SHOWN = 30;

/** Everything a search may match on, in both languages. */
export function searchText(i: IncidentSummary): string {
  const title = i.title && typeof i.title === "object" ? Object.values(i.title).join(" ") : (i.title ?? "");
  const category = i.category ? `${categoryName(i.category, "vi")} ${categoryName(i.category, "en")}` : "";
  return `${title} ${i.areaServed ?? ""} ${category} ${shortId(i.id)}`;
}

export function IncidentPicker({ busy, onPick }: { busy: boolean; onPick: (incident: IncidentSummary) => void }) {
  const [items, setItems] = useState<IncidentSummary[] | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  const [query, setQuery] = useState("");
  useEffect(() => {
    listOpenIncidents()
      .then((page) => setItems(page.items))
      .catch((err: unknown) => setFailed(String(err)));
  }, []);
  const l = lang.value;
  const found = (items ?? []).filter((i) => !query.trim() || matches(searchText(i), query));

  return (
    <section class="incident-picker" aria-labelledby="picker-h">
      <h3 id="picker-h">{t("link.title")}</h3>
      <label class="picker-search">
        {t("link.search")}
        <input type="search" name="incidentSearch" value={query} onInput={(e) => setQuery((e.target as HTMLInputElement).value)} />
      </label>
      {failed ? (
        <p class="error" role="alert">
          {failed}
        </p>
      ) : null}
      {!items && !failed ? <p class="hint">{t("app.loading")}</p> : null}
      {items && found.length === 0 ? <p class="hint">{t(items.length ? "link.noMatch" : "link.noOpen")}</p> : null}
      <ul class="picker-list">
        {found.slice(0, SHOWN).map((i) => (
          <li key={i.id} data-incident-id={i.id}>
            <SeverityBadge severity={severityOf(i.capSeverity, null)} />
            <span class="picker-title">{localText(i.title, l) || i.id}</span>
            <span class="row-meta">
              {i.areaServed ? `${i.areaServed} · ` : ""}
              <When iso={i.openedAt} />
            </span>
            <button type="button" disabled={busy} onClick={() => onPick(i)}>
              {t("link.choose")}
            </button>
          </li>
        ))}
      </ul>
      {found.length > SHOWN ? <p class="hint">{t("link.more", { count: found.length - SHOWN })}</p> : null}
    </section>
  );
}
