/** The map's layers: which entity types each draws and how a state is classified.
 * The server's `GET /api/v1/ui/config` says which layers exist and which are public; adding a
 * layer is one entry here plus its words in the message files (docs/ui.md). */

import { AQI_CATEGORIES, aqiCategory, POLLUTANTS, vnAqi } from "./aqi";
import { type Entity, num, str } from "./entity";
import {
  look,
  type Look,
  NO_DATA,
  OFFLINE,
  SEVERITIES,
  SEVERITY_LOOKS,
  severityOf,
} from "./looks";

/** A sensor that has said nothing for this long is shown as offline (scenario 3: 15 minutes),
 * until the server has said how long for each type (`staleMsOf`). */
export const STALE_MS = 15 * 60 * 1000;

/** Per type, the server's silence before offline (`GET /api/v1/sensors/status`: the type's
 * reporting interval × a tolerance), so that the map, the tiles and the status panels agree. */
const offlineAfterMs = new Map<string, number>();

export function setOfflineAfter(types: { type: string; offlineAfterSeconds: number }[]): void {
  offlineAfterMs.clear();
  for (const t of types) offlineAfterMs.set(t.type, t.offlineAfterSeconds * 1000);
}

export function staleMsOf(type: string): number {
  return offlineAfterMs.get(type) ?? STALE_MS;
}

export interface LayerDef {
  id: string;
  types: string[];
  cluster: boolean;
  /** Sensors go offline when silent; alerts and incidents do not. */
  sensor: boolean;
  classify(e: Entity): Look;
  /** Everything `classify` can return, for the legend. */
  legend: Look[];
  /** The reading shown in the feed and tooltips: attribute name. */
  primary?: string;
  /** Hidden from the map (a cleared alert, a closed incident). */
  hidden?(e: Entity): boolean;
}

export function stationAqi(e: Entity): number | null {
  const server = num(e, "airQualityIndex");
  if (server !== undefined) return Math.round(server);
  const readings: Record<string, number | undefined> = {};
  for (const p of POLLUTANTS) readings[p] = num(e, p);
  return vnAqi(readings);
}

const AIR: Look[] = AQI_CATEGORIES.map((c) => look(`aqi-${c.key}`, c.level, c.colour, c.text));

const FLOOD = {
  normal: look("flood-normal", 0, "#2B8CBE", "#FFFFFF"),
  rising: look("flood-rising", 1, "#FFD400"),
  alert: look("flood-alert", 2, "#FF7E00"),
  danger: look("flood-danger", 3, "#E00000", "#FFFFFF"),
};

const TRAFFIC = {
  free: look("traffic-free", 0, "#1A9850", "#FFFFFF"),
  slow: look("traffic-slow", 1, "#FDB813"),
  congested: look("traffic-congested", 3, "#D7191C", "#FFFFFF"),
};

const LIGHT = {
  on: look("light-on", 0, "#F2C200"),
  low: look("light-low", 0, "#B8961E"),
  off: look("light-off", 0, "#5B6B7A", "#FFFFFF"),
  fault: look("light-fault", 3, "#C2185B", "#FFFFFF"),
};

const WEATHER = {
  dry: look("weather-dry", 0, "#4C9BE8"),
  rain: look("weather-rain", 1, "#2166AC", "#FFFFFF"),
  heavy: look("weather-heavyRain", 2, "#FF7E00"),
};

const LEVELS3 = (prefix: string, names: [string, string, string]): Look[] => [
  look(`${prefix}-${names[0]}`, 0, "#1A9850", "#FFFFFF"),
  look(`${prefix}-${names[1]}`, 1, "#FDB813"),
  look(`${prefix}-${names[2]}`, 3, "#D7191C", "#FFFFFF"),
];
const PARKING = LEVELS3("parking", ["free", "busy", "full"]);
const NOISE = LEVELS3("noise", ["quiet", "loud", "veryLoud"]);
const WATER = look("water-normal", 0, "#2B8CBE", "#FFFFFF");

const SEVERITY_LEGEND = SEVERITIES.map((s) => SEVERITY_LOOKS[s]);

function byThreshold(value: number | undefined, looks: Look[], lo: number, hi: number): Look {
  if (value === undefined) return NO_DATA;
  return value >= hi ? looks[2] : value >= lo ? looks[1] : looks[0];
}

export const LAYERS: LayerDef[] = [
  {
    id: "air",
    types: ["AirQualityObserved"],
    cluster: false,
    sensor: true,
    primary: "pm25",
    legend: AIR,
    classify(e) {
      const aqi = stationAqi(e);
      if (aqi === null) return NO_DATA;
      const cat = aqiCategory(aqi);
      return { ...AIR[cat.level], badge: aqi > 500 ? ">500" : String(aqi) };
    },
  },
  {
    id: "flood",
    types: ["FloodMonitoring"],
    cluster: false,
    sensor: true,
    primary: "currentLevel",
    legend: Object.values(FLOOD),
    classify(e) {
      const level = num(e, "currentLevel");
      if (level === undefined) return NO_DATA;
      const alert = num(e, "alertLevel");
      const danger = num(e, "dangerLevel");
      const reference = num(e, "referenceLevel") ?? 0;
      if (danger !== undefined && level >= danger) return FLOOD.danger;
      if (alert !== undefined && level >= alert) return FLOOD.alert;
      if (alert !== undefined && alert > reference && (level - reference) / (alert - reference) >= 0.75) {
        return FLOOD.rising;
      }
      return FLOOD.normal;
    },
  },
  {
    id: "traffic",
    types: ["TrafficFlowObserved"],
    cluster: true,
    sensor: true,
    primary: "averageVehicleSpeed",
    legend: Object.values(TRAFFIC),
    classify(e) {
      const speed = num(e, "averageVehicleSpeed");
      if (e.attrs.congested?.value === true) return TRAFFIC.congested;
      if (speed === undefined) return NO_DATA;
      return speed < 20 ? TRAFFIC.congested : speed < 40 ? TRAFFIC.slow : TRAFFIC.free;
    },
  },
  {
    id: "streetlight",
    types: ["Streetlight"],
    cluster: true,
    sensor: true,
    primary: "status",
    legend: Object.values(LIGHT),
    classify(e) {
      const status = str(e, "status");
      if (status === undefined) return NO_DATA;
      if (status !== "ok") return LIGHT.fault;
      const power = str(e, "powerState");
      return power === "on" ? LIGHT.on : power === "low" ? LIGHT.low : LIGHT.off;
    },
  },
  {
    id: "weather",
    types: ["WeatherObserved"],
    cluster: false,
    sensor: true,
    primary: "precipitation",
    legend: Object.values(WEATHER),
    classify(e) {
      const rain = num(e, "precipitation");
      if (rain === undefined) return num(e, "temperature") === undefined ? NO_DATA : WEATHER.dry;
      return rain >= 30 ? WEATHER.heavy : rain >= 0.5 ? WEATHER.rain : WEATHER.dry;
    },
  },
  {
    id: "water",
    types: ["WaterObserved"],
    cluster: false,
    sensor: true,
    primary: "waterLevel",
    legend: [WATER],
    classify: (e) => (num(e, "waterLevel") === undefined ? NO_DATA : WATER),
  },
  {
    id: "parking",
    types: ["OffStreetParking"],
    cluster: true,
    sensor: true,
    primary: "availableSpotNumber",
    legend: PARKING,
    classify(e) {
      const total = num(e, "totalSpotNumber");
      const free = num(e, "availableSpotNumber");
      const occupancy =
        num(e, "occupancy") ?? (total && free !== undefined ? 1 - free / total : undefined);
      return byThreshold(occupancy, PARKING, 0.7, 0.95);
    },
  },
  {
    id: "noise",
    types: ["NoiseLevelObserved"],
    cluster: true,
    sensor: true,
    primary: "LAeq",
    legend: NOISE,
    classify: (e) => byThreshold(num(e, "LAeq"), NOISE, 55, 70),
  },
  {
    id: "alerts",
    types: ["Alert"],
    cluster: false,
    sensor: false,
    primary: "subCategory",
    legend: SEVERITY_LEGEND,
    classify: (e) => SEVERITY_LOOKS[severityOf(e.attrs.capSeverity?.value, e.attrs.severity?.value)],
    hidden: (e) => str(e, "status") !== undefined && str(e, "status") !== "active",
  },
  {
    id: "incidents",
    types: ["Incident"],
    cluster: false,
    sensor: false,
    primary: "status",
    legend: SEVERITY_LEGEND,
    classify: (e) => SEVERITY_LOOKS[severityOf(e.attrs.capSeverity?.value, e.attrs.severity?.value)],
    hidden: (e) => isClosedIncident(e),
  },
];

export const CLOSED_INCIDENT = new Set(["resolved", "closed", "cancelled"]);

export function isClosedIncident(e: Entity): boolean {
  return CLOSED_INCIDENT.has(str(e, "status") ?? "");
}

const BY_TYPE = new Map<string, LayerDef>();
for (const layer of LAYERS) for (const t of layer.types) BY_TYPE.set(t, layer);

export function layerOf(type: string): LayerDef | undefined {
  return BY_TYPE.get(type);
}

export function layerById(id: string): LayerDef | undefined {
  return LAYERS.find((l) => l.id === id);
}

/** The state of an entity now: its layer's classification, or offline when a sensor is silent. */
export function lookOf(e: Entity, now: number): Look {
  const layer = layerOf(e.type);
  if (!layer) return NO_DATA;
  if (layer.sensor && e.observedMs !== null && now - e.observedMs > staleMsOf(e.type)) return OFFLINE;
  return layer.classify(e);
}

export const SENSOR_TYPES = LAYERS.filter((l) => l.sensor).flatMap((l) => l.types);

const BY_STATE = new Map<string, Look>();
for (const layer of LAYERS) for (const l of layer.legend) BY_STATE.set(l.state, l);
BY_STATE.set(OFFLINE.state, OFFLINE);
BY_STATE.set(NO_DATA.state, NO_DATA);

/** The look of a state id (feed lines keep ids, not looks). */
export function lookByState(state: string): Look {
  return BY_STATE.get(state) ?? NO_DATA;
}
