/** The figures of the KPI tiles and the wall, from the store (sensors online: api/sensors.ts). */

import { str } from "./entity";
import { isClosedIncident, staleMsOf, stationAqi } from "./layers";
import { type Severity, SEVERITIES, severityOf } from "./looks";
import type { EntityStore } from "./store";

export interface Kpis {
  incidents: Record<Severity, number>;
  incidentTotal: number;
  alerts: Record<Severity, number>;
  alertTotal: number;
  worstAqi: { value: number; id: string; name: string } | null;
}

function zero(): Record<Severity, number> {
  return Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
}

export function computeKpis(store: EntityStore, now: number): Kpis {
  const incidents = zero();
  const alerts = zero();
  let worstAqi: Kpis["worstAqi"] = null;
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
    // Sensors online are the server's (api/sensors.ts); the worst AQI is of the stations
    // reporting now.
    if (e.type !== "AirQualityObserved") continue;
    const isOnline = e.observedMs !== null && now - e.observedMs <= staleMsOf(e.type);
    if (isOnline) {
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
  };
}
