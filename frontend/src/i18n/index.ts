/** i18next with the Vietnamese and English messages bundled; Vietnamese by default. The choice is
 * kept in localStorage and can be forced with `?lang=en` (a wall's URL). Components read the
 * `lang` signal, so switching re-renders them with the new words and number formats. */

import { signal } from "@preact/signals";
import i18next from "i18next";
import en from "./en.json";
import vi from "./vi.json";

export type Lang = "vi" | "en";
export const LANGS: Lang[] = ["vi", "en"];
const STORAGE_KEY = "cityioc.lang";

function initial(): Lang {
  const asked = new URLSearchParams(location.search).get("lang");
  if (asked === "vi" || asked === "en") return asked;
  try {
    const kept = localStorage.getItem(STORAGE_KEY);
    if (kept === "vi" || kept === "en") return kept;
  } catch {
    // storage may be disabled: Vietnamese
  }
  return "vi";
}

export const lang = signal<Lang>(initial());

void i18next.init({
  lng: lang.value,
  fallbackLng: "en",
  resources: { vi: { translation: vi }, en: { translation: en } },
  interpolation: { escapeValue: false }, // Preact escapes
  initAsync: false,
  returnNull: false,
});
document.documentElement.lang = lang.value;

export function setLang(next: Lang): void {
  void i18next.changeLanguage(next);
  document.documentElement.lang = next;
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    // not kept: fine
  }
  lang.value = next;
}

/** Translate; reading `lang.value` subscribes the calling component to language changes. */
export function t(key: string, options?: Record<string, unknown>): string {
  void lang.value;
  return i18next.t(key, options ?? {}) as string;
}

/** A translation when one exists, else the fallback (entity types and attributes we don't know). */
export function tOr(key: string, fallback: string): string {
  void lang.value;
  return i18next.exists(key) ? (i18next.t(key) as string) : fallback;
}
