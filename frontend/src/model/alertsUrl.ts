/** The alerts page's filters live in its address beside the selected alert
 * (`/alerts?area=Phường+Thủ+Dầu+Một&id=…`), with the alerts API's own parameter names, so a
 * filtered list can be bookmarked or sent. Active alerts unless `status` says otherwise
 * (`status=any`: every alert). */

import type { AlertFilters } from "../api/alerts";
import { filterQuery } from "../api/alerts";

const TEXT_KEYS = ["acknowledged", "severity", "category", "area"] as const;
const DEFAULT_STATUS = "active";

export function alertFilters(query: Record<string, string | undefined>): AlertFilters {
  const status = query.status?.trim() || DEFAULT_STATUS;
  const filters: AlertFilters = status === "any" ? {} : { status };
  for (const key of TEXT_KEYS) {
    const value = query[key]?.trim();
    if (value) filters[key] = value;
  }
  return filters;
}

/** The page's address for `filters`, with the alert `id` selected. */
export function alertsHref(filters: AlertFilters, id?: string | null): string {
  const status = filters.status === DEFAULT_STATUS ? undefined : (filters.status ?? "any");
  const qs = filterQuery({ ...filters, status, id: id ?? undefined });
  return qs ? `/alerts?${qs}` : "/alerts";
}
