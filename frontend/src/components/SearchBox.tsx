/** Search places and sensors by name or area, with or without Vietnamese diacritics. */

import { useState } from "preact/hooks";
import { store } from "../city";
import { lang, t, tOr } from "../i18n";
import { formatNumber } from "../i18n/format";
import type { Entity } from "../model/entity";
import { matches } from "../model/fold";

interface Props {
  onPick: (entity: Entity) => void;
  types?: string[];
}

const MAX = 8;

export function search(query: string, types?: string[]): Entity[] {
  if (query.trim().length < 2) return [];
  const wanted = types ? new Set(types) : null;
  const out: Entity[] = [];
  for (const e of store.entities.values()) {
    if (wanted && !wanted.has(e.type)) continue;
    const area = typeof e.attrs.areaServed?.value === "string" ? e.attrs.areaServed.value : "";
    if (matches(`${e.name} ${area} ${e.id}`, query)) out.push(e);
  }
  // Places first, then by name.
  return out.sort((a, b) => Number(b.type === "AdministrativeArea") - Number(a.type === "AdministrativeArea") || a.name.localeCompare(b.name, "vi"));
}

export function SearchBox({ onPick, types }: Props) {
  const [query, setQuery] = useState("");
  const results = search(query, types);
  const pick = (e: Entity) => {
    onPick(e);
    setQuery("");
  };
  return (
    <div class="search" role="search">
      <label class="visually-hidden" for="search-input">
        {t("search.label")}
      </label>
      <input
        id="search-input"
        type="search"
        autoComplete="off"
        placeholder={t("search.placeholder")}
        value={query}
        onInput={(e) => setQuery((e.currentTarget as HTMLInputElement).value)}
        onKeyDown={(e) => {
          if (e.key === "Enter" && results[0]) pick(results[0]);
          if (e.key === "Escape") setQuery("");
        }}
        aria-describedby="search-count"
      />
      <span id="search-count" class="visually-hidden" aria-live="polite">
        {query.trim().length >= 2 ? (results.length ? t("search.results", { n: formatNumber(results.length, lang.value) }) : t("search.none")) : ""}
      </span>
      {query.trim().length >= 2 ? (
        <ul class="search-results">
          {results.length === 0 ? <li class="search-none">{t("search.none")}</li> : null}
          {results.slice(0, MAX).map((e) => (
            <li key={e.id}>
              <button type="button" onClick={() => pick(e)} data-entity-id={e.id}>
                <span class="result-name">{e.name}</span>
                <span class="result-type">{tOr(`types.${e.type}`, e.type)}</span>
              </button>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
