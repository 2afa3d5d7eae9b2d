/** Time series through the aggregated temporal API; the period follows the span shown, so a
 * chart zooms from a year (a point a day) to an hour (a point a minute) with a few hundred points. */

import { api } from "./client";

export interface Series {
  period: string;
  t: number[]; // seconds (uPlot's unit), the start of each period
  avg: (number | null)[];
  min: (number | null)[];
  max: (number | null)[];
  unitCode?: string;
}

const HOUR = 3_600_000;

/** The aggregation period for a span: at most a few hundred points. */
export function periodFor(spanMs: number): string {
  if (spanMs <= 4 * HOUR) return "PT1M";
  if (spanMs <= 36 * HOUR) return "PT5M";
  if (spanMs <= 20 * 24 * HOUR) return "PT1H";
  return "P1D";
}

type Bucket = [number, string, string];

export async function aggregated(
  id: string,
  attr: string,
  startMs: number,
  endMs: number,
  signal?: AbortSignal,
): Promise<Series> {
  const period = periodFor(endMs - startMs);
  const params = new URLSearchParams({
    attrs: attr,
    format: "aggregatedValues",
    aggrMethods: "avg,min,max",
    aggrPeriodDuration: period,
    timerel: "between",
    timeAt: new Date(startMs).toISOString(),
    endTimeAt: new Date(endMs).toISOString(),
  });
  const body = await api<Record<string, unknown>>(
    `/ngsi-ld/v1/temporal/entities/${encodeURIComponent(id)}?${params}`,
    { signal },
  );
  const raw = body[attr] as Record<string, unknown> | Record<string, unknown>[] | undefined;
  const series = Array.isArray(raw) ? raw[0] : raw;
  const byStart = new Map<number, { avg?: number; min?: number; max?: number }>();
  for (const method of ["avg", "min", "max"] as const) {
    const buckets = (series?.[method] as Bucket[] | undefined) ?? [];
    for (const [value, start] of buckets) {
      const at = Date.parse(start);
      const row = byStart.get(at) ?? {};
      row[method] = typeof value === "number" ? value : undefined;
      byStart.set(at, row);
    }
  }
  const times = [...byStart.keys()].sort((a, b) => a - b);
  return {
    period,
    t: times.map((ms) => ms / 1000),
    avg: times.map((ms) => byStart.get(ms)?.avg ?? null),
    min: times.map((ms) => byStart.get(ms)?.min ?? null),
    max: times.map((ms) => byStart.get(ms)?.max ?? null),
    unitCode: typeof series?.unitCode === "string" ? series.unitCode : undefined,
  };
}
