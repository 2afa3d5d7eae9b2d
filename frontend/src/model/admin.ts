/** Pure helpers of the admin pages: lists typed as text, a rule's scope in a line, reordering
 * steps, and an agency as the server wants it back. */

import type { Agency, RuleDocument } from "../api/admin";

/** A comma-separated list as typed in a text field: trimmed, blanks dropped. */
export function splitCodes(text: string): string[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

/** What a rule watches, in one line: its entity types, areas and ids. */
export function ruleScope(doc: RuleDocument): string {
  const s = doc.scope ?? {};
  return [...(s.types ?? []), ...(s.areas ?? []), ...(s.ids ?? [])].join(", ") || "—";
}

/** The list with item `i` moved by `by` places (kept inside the list). */
export function moveItem<T>(items: T[], i: number, by: number): T[] {
  const target = Math.min(Math.max(i + by, 0), items.length - 1);
  const next = [...items];
  const [item] = next.splice(i, 1);
  next.splice(target, 0, item);
  return next;
}

/** The agency to save: without the list's `problems`, and without optional texts left empty
 * (an empty e-mail means none, not an invalid address). */
export function agencyBody(draft: Agency, areasText: string): Omit<Agency, "problems"> {
  const { problems: _, ...body } = draft;
  const out: Omit<Agency, "problems"> = { ...body, areas: splitCodes(areasText) };
  for (const key of ["email", "phone", "website"] as const) {
    const value = out[key]?.trim();
    if (value) out[key] = value;
    else delete out[key];
  }
  return out;
}
