/** The board's filters as choices by name: the options of a `<select>` (grouped when the
 * choices have groups), in the choices' own order, keeping a value the list does not hold (a
 * link from before a code was retired) so the filter still shows what it filters by. */

import type { Lang } from "../i18n";

interface Named {
  vi: string;
  en: string;
}

export interface Choice {
  value: string;
  name: Named;
  group?: Named | null;
}

export interface ChoiceOption {
  value: string;
  label: string;
}

export interface ChoiceGroup {
  /** null: options outside any group (listed first). */
  label: string | null;
  options: ChoiceOption[];
}

export function choiceGroups(choices: Choice[], lang: Lang, current?: string): ChoiceGroup[] {
  const groups = new Map<string | null, ChoiceOption[]>();
  for (const c of choices) {
    const label = c.group ? c.group[lang] : null;
    if (!groups.has(label)) groups.set(label, []);
    groups.get(label)!.push({ value: c.value, label: c.name[lang] || c.value });
  }
  if (current && !choices.some((c) => c.value === current)) {
    if (!groups.has(null)) groups.set(null, []);
    groups.get(null)!.push({ value: current, label: current });
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a === null ? -1 : b === null ? 1 : 0))
    .map(([label, options]) => ({ label, options }));
}

/** An agency filter as the choices spell it: the Organization URN (a link may hold the local
 * id, which the server also takes). */
export function agencyValue(value: string | undefined): string | undefined {
  if (!value) return undefined;
  return value.startsWith("urn:") ? value : `urn:ngsi-ld:Organization:${value}`;
}
