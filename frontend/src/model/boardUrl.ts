/** The incident board's filters live in its address (`/incidents?category=ngap-nuoc&overdue=true`),
 * with the board API's own parameter names, so a filtered board can be bookmarked or sent. */

import type { BoardFilters } from "../api/incidents";

const TEXT_KEYS = ["severity", "category", "area", "agency"] as const;

export function boardFilters(query: Record<string, string | undefined>): BoardFilters {
  const filters: BoardFilters = {};
  for (const key of TEXT_KEYS) {
    const value = query[key]?.trim();
    if (value) filters[key] = value;
  }
  if (query.overdue === "true" || query.overdue === "1") filters.overdue = true;
  return filters;
}
