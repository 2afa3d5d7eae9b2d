/** Sensors online, as the server decides it (`GET /api/v1/sensors/status`: the last update within
 * each type's reporting interval × a tolerance). Asked for when a panel showing it appears and
 * every 30 s while one is shown; the figures are shared by the panels. */

import { signal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { setOfflineAfter } from "../model/layers";
import { api } from "./client";

export interface SensorCounts {
  online: number;
  offline: number;
  total: number;
}

export interface SensorTypeStatus extends SensorCounts {
  type: string;
  reportEverySeconds: number;
  offlineAfterSeconds: number;
}

export interface SensorStatus {
  at: string;
  totals: SensorCounts;
  types: SensorTypeStatus[];
}

const REFRESH_MS = 30_000;
export const sensorStatus = signal<SensorStatus | null>(null);
let shown = 0;
let timer: ReturnType<typeof setInterval> | undefined;

async function refresh(): Promise<void> {
  try {
    const status = await api<SensorStatus>("/api/v1/sensors/status?items=false");
    setOfflineAfter(status.types); // the map's offline markers follow the same rule
    sensorStatus.value = status;
  } catch {
    // keep the last figures (or none): the next round may succeed
  }
}

/** The status (null until the first answer), kept fresh while the calling component is shown. */
export function useSensorStatus(): SensorStatus | null {
  useEffect(() => {
    shown++;
    void refresh();
    if (shown === 1) timer = setInterval(() => void refresh(), REFRESH_MS);
    return () => {
      shown--;
      if (shown === 0) clearInterval(timer);
    };
  }, []);
  return sensorStatus.value;
}
