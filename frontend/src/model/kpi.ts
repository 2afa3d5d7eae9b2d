/** The figures of the KPI tiles and the wall, from the store. */

import { str } from "./entity";
import { isClosedIncident, layerOf, SENSOR_TYPES, STALE_MS, stationAqi } from "./layers";
import { type Severity, SEVERITIES, severityOf } from "./looks";
import type { EntityStore } from "./store";

export interface Kpis {
  incidents: Record<Severity, number>;
  incidentTotal: number;
  alerts: Record<Severity, number>;
  alertTotal: number;
  worstAqi: { value: number; id: string; name: string } | null;
  online: number;
  sensors: number;
  byType: { type: string; online: number; total: number }[];
}

function zero(): Record<Severity, number> {
  return Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
}

export function computeKpis(store: EntityStore, now: number): Kpis {
  const incidents = zero();
  const alerts = zero();
  let worstAqi: Kpis["worstAqi"] = null;
  let online = 0;
  let sensors = 0;
  const byType = new Map<string, { online: number; total: number }>();
  for (const e of store.entities.values()) {
    if (e.type === "Incident") {
      if (!isClosedIncident(e)) incidents[severityOf(e.attrs.capSeverity?.value, e.attrs.severity?.value)]++;
      continue;
    }
    if (e.type === "Alert") {
      const status = str(e, "status");
      if (status === undefined || status === "active") {
        alerts[severityOf(e.attrs.capSeverity?.value, e.attrs.severity?.value)]++;
      }
      continue;
    }
    if (!layerOf(e.type)?.sensor) continue;
    const isOnline = e.observedMs !== null && now - e.observedMs <= STALE_MS;
    sensors++;
    if (isOnline) online++;
    const row = byType.get(e.type) ?? { online: 0, total: 0 };
    row.total++;
    if (isOnline) row.online++;
    byType.set(e.type, row);
    if (e.type === "AirQualityObserved" && isOnline) {
      const aqi = stationAqi(e);
      if (aqi !== null && (worstAqi === null || aqi > worstAqi.value)) {
        worstAqi = { value: aqi, id: e.id, name: e.name };
      }
    }
  }
  const sum = (r: Record<Severity, number>) => Object.values(r).reduce((a, b) => a + b, 0);
  return {
    incidents,
    incidentTotal: sum(incidents),
    alerts,
    alertTotal: sum(alerts),
    worstAqi,
    online,
    sensors,
    byType: SENSOR_TYPES.filter((t) => byType.has(t)).map((type) => ({ type, ...byType.get(type)! })),
  };
}
