/** What the incident forms offer (`GET /api/v1/incidents/choices`): the city's categories, and
 * the areas and agencies valid today, with names in both languages. Loaded once per page. */

import { signal } from "@preact/signals";
import { api } from "./client";

export interface Named {
  vi: string;
  en: string;
}

export interface CategoryChoice {
  code: string;
  name: Named;
  group: Named | null;
  capCategory: string;
  defaultAgency: string | null;
}

export interface AreaChoice {
  code: string;
  name: Named;
  level: string;
  parent: string | null;
}

export interface AgencyChoice {
  id: string;
  name: Named;
  kind: string;
  categories: string[];
}

export interface Choices {
  categories: CategoryChoice[];
  areas: AreaChoice[];
  agencies: AgencyChoice[];
}

export const choices = signal<Choices | null>(null);
let loading: Promise<Choices | null> | null = null;

/** The choices, asked for once; null when this viewer may not read them or the server failed. */
export function loadChoices(): Promise<Choices | null> {
  loading ??= api<Choices>("/api/v1/incidents/choices")
    .then((c) => (choices.value = c))
    .catch(() => {
      loading = null; // try again next time
      return null;
    });
  return loading;
}

/** A category's name in `lang`, or its code until the choices are in (or when unknown). */
export function categoryName(code: string | null | undefined, lang: "vi" | "en"): string {
  if (!code) return "";
  if (!choices.value) void loadChoices();
  const found = choices.value?.categories.find((c) => c.code === code);
  return found ? found.name[lang] : code;
}
