import { describe, expect, it } from "vitest";
import { parseEntity } from "./entity";
import { lookOf, setOfflineAfter, STALE_MS, staleMsOf } from "./layers";

const now = Date.parse("2026-11-25T10:00:00Z");
const at = new Date(now - 60_000).toISOString();

function entity(type: string, attrs: Record<string, unknown>) {
  const raw: Record<string, unknown> = { id: `urn:ngsi-ld:${type}:x`, type };
  for (const [k, v] of Object.entries(attrs)) {
    raw[k] = { type: "Property", value: v, observedAt: at };
  }
  return parseEntity(raw);
}

describe("states", () => {
  it("colours air stations by VN_AQI category, preferring the server's index", () => {
    expect(lookOf(entity("AirQualityObserved", { pm25: 30 }), now).state).toBe("aqi-moderate");
    expect(lookOf(entity("AirQualityObserved", { pm25: 65 }), now).state).toBe("aqi-poor");
    const withIndex = entity("AirQualityObserved", { pm25: 65, airQualityIndex: 40 });
    expect(lookOf(withIndex, now)).toMatchObject({ state: "aqi-good", badge: "40" });
  });

  it("compares a flood gauge with its station's levels", () => {
    const levels = { referenceLevel: 0, alertLevel: 0.2, dangerLevel: 0.5 };
    expect(lookOf(entity("FloodMonitoring", { ...levels, currentLevel: 0.05 }), now).state).toBe(
      "flood-normal",
    );
    expect(lookOf(entity("FloodMonitoring", { ...levels, currentLevel: 0.16 }), now).state).toBe(
      "flood-rising",
    );
    expect(lookOf(entity("FloodMonitoring", { ...levels, currentLevel: 0.3 }), now).shape).toBe(
      "diamond",
    );
    expect(lookOf(entity("FloodMonitoring", { ...levels, currentLevel: 0.6 }), now).state).toBe(
      "flood-danger",
    );
  });

  it("marks faults, congestion and silence", () => {
    expect(lookOf(entity("Streetlight", { status: "defectiveLamp" }), now).state).toBe(
      "light-fault",
    );
    expect(lookOf(entity("TrafficFlowObserved", { congested: true }), now).state).toBe(
      "traffic-congested",
    );
    const silent = entity("WeatherObserved", { temperature: 30 });
    expect(lookOf(silent, now + STALE_MS).state).toBe("offline");
  });
});

describe("offline", () => {
  it("follows the server's silence per type once known, else 15 minutes", () => {
    const silent = entity("WeatherObserved", { temperature: 30 });
    expect(staleMsOf("WeatherObserved")).toBe(STALE_MS);
    setOfflineAfter([{ type: "WeatherObserved", offlineAfterSeconds: 120 }]);
    expect(lookOf(silent, now + 30_000).state).not.toBe("offline"); // silent 1.5 min
    expect(lookOf(silent, now + 90_000).state).toBe("offline"); // silent 2.5 min > 2 min
    expect(staleMsOf("AirQualityObserved")).toBe(STALE_MS);
    setOfflineAfter([]);
    expect(lookOf(silent, now + 90_000).state).not.toBe("offline");
  });
});
