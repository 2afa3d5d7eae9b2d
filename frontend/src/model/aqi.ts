/** VN_AQI (Decision 1459/QĐ-TCMT) for display: the category of a station from its readings.
 *
 * The server's `airQualityIndex` (hourly NowCast, computed by the alerts module) wins when the
 * entity has it; until then the current concentrations stand in for the hourly averages, so the
 * figure is indicative. All concentrations in µg/m³, CO included. */

const INDEX = [0, 50, 100, 150, 200, 300, 400, 500];

// Breakpoints per pollutant (µg/m³) for the index values above; null: not defined.
const BREAKPOINTS: Record<string, (number | null)[]> = {
  o3: [0, 160, 200, 300, 400, 800, 1000, 1200],
  co: [0, 10000, 30000, 45000, 60000, 90000, 120000, 150000],
  so2: [0, 125, 350, 550, 800, 1600, 2100, 2630],
  no2: [0, 100, 200, 700, 1200, 2350, 3100, 3850],
  pm10: [0, 50, 150, 250, 350, 420, 500, 600],
  pm25: [0, 25, 50, 80, 150, 250, 350, 500],
};

export const POLLUTANTS = Object.keys(BREAKPOINTS);

export interface AqiCategory {
  level: number; // 0 Tốt … 5 Nguy hại
  key: string; // i18n key suffix
  colour: string;
  text: string; // readable text colour on that background
}

export const AQI_CATEGORIES: AqiCategory[] = [
  { level: 0, key: "good", colour: "#00E400", text: "#000000" },
  { level: 1, key: "moderate", colour: "#FFFF00", text: "#000000" },
  { level: 2, key: "poor", colour: "#FF7E00", text: "#000000" },
  { level: 3, key: "bad", colour: "#FF0000", text: "#000000" },
  { level: 4, key: "veryBad", colour: "#8F3F97", text: "#FFFFFF" },
  { level: 5, key: "hazardous", colour: "#7E0023", text: "#FFFFFF" },
];

/** The sub-index of one pollutant, or null when it has no breakpoints or no value. */
export function subIndex(pollutant: string, concentration: number): number | null {
  const bp = BREAKPOINTS[pollutant];
  if (!bp || !Number.isFinite(concentration) || concentration < 0) return null;
  for (let i = 0; i < bp.length - 1; i++) {
    const lo = bp[i];
    const hi = bp[i + 1];
    if (lo === null || hi === null) continue;
    if (concentration <= hi) {
      return ((INDEX[i + 1] - INDEX[i]) / (hi - lo)) * (concentration - lo) + INDEX[i];
    }
  }
  return 501; // beyond the index ("> 500")
}

/** VN_AQI: the maximum of the sub-indices, rounded; null without PM2.5 or PM10. */
export function vnAqi(readings: Record<string, number | undefined>): number | null {
  if (readings.pm25 === undefined && readings.pm10 === undefined) return null;
  let worst: number | null = null;
  for (const p of POLLUTANTS) {
    const c = readings[p];
    if (c === undefined) continue;
    const s = subIndex(p, c);
    if (s !== null && (worst === null || s > worst)) worst = s;
  }
  return worst === null ? null : Math.round(worst);
}

export function aqiCategory(aqi: number): AqiCategory {
  const bounds = [50, 100, 150, 200, 300];
  const level = bounds.findIndex((b) => aqi <= b);
  return AQI_CATEGORIES[level === -1 ? 5 : level];
}
