/** What the incident forms offer (`GET /api/v1/incidents/choices`): the city's categories, the
 * areas and agencies valid today and the procedures, with names in both languages. Loaded once
 * per page. */

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

/** A procedure (SOP) and the incident categories it serves (none: any, chosen by hand only). */
export interface SopChoice {
  id: string;
  name: Named;
  categories: string[];
}

export interface Choices {
  categories: CategoryChoice[];
  areas: AreaChoice[];
  agencies: AgencyChoice[];
  sops: SopChoice[];
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

/** The procedures a new incident of `category` may run: those for it and those for any. */
export function sopsFor(all: SopChoice[], category: string): SopChoice[] {
  return all.filter((s) => s.categories.length === 0 || (category !== "" && s.categories.includes(category)));
}

/** The area valid today that holds a point (null when none does), as the server places it. */
export const areaAt = (lon: number, lat: number): Promise<{ area: AreaChoice | null }> =>
  api(`/api/v1/incidents/area-at?lon=${lon}&lat=${lat}`);

/** A category's name in `lang`, or its code until the choices are in (or when unknown). */
export function categoryName(code: string | null | undefined, lang: "vi" | "en"): string {
  if (!code) return "";
  if (!choices.value) void loadChoices();
  const found = choices.value?.categories.find((c) => c.code === code);
  return found ? found.name[lang] : code;
}

/** A procedure's name in `lang`, or its id until the choices are in (or when unknown). */
export function sopName(id: string, lang: "vi" | "en"): string {
  if (!choices.value) void loadChoices();
  return choices.value?.sops.find((s) => s.id === id)?.name[lang] ?? id;
}
