/** Numbers and dates per locale: vi-VN (1.234,5 · 25/11/2026 17:05) and en-GB (1,234.5 ·
 * 25 Nov 2026 17:05), always in the city's time zone. Formatters are cached per locale. */

import type { Lang } from "./index";

export const LOCALES: Record<Lang, string> = { vi: "vi-VN", en: "en-GB" };
let timeZone = "Asia/Ho_Chi_Minh";

export function setTimeZone(zone: string): void {
  timeZone = zone;
  cache.clear();
}

const cache = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat>();

function numberFormat(lang: Lang, digits: number): Intl.NumberFormat {
  const key = `n:${lang}:${digits}`;
  let f = cache.get(key) as Intl.NumberFormat | undefined;
  if (!f) {
    f = new Intl.NumberFormat(LOCALES[lang], { maximumFractionDigits: digits });
    cache.set(key, f);
  }
  return f;
}

function dateFormat(lang: Lang, kind: "date" | "time" | "short"): Intl.DateTimeFormat {
  const key = `d:${lang}:${kind}`;
  let f = cache.get(key) as Intl.DateTimeFormat | undefined;
  if (!f) {
    const options: Intl.DateTimeFormatOptions =
      kind === "time"
        ? { hour: "2-digit", minute: "2-digit", hourCycle: "h23" }
        : kind === "short"
          ? { day: "2-digit", month: lang === "vi" ? "2-digit" : "short" }
          : lang === "vi"
            ? { day: "2-digit", month: "2-digit", year: "numeric" }
            : { day: "numeric", month: "short", year: "numeric" };
    f = new Intl.DateTimeFormat(LOCALES[lang], { ...options, timeZone });
    cache.set(key, f);
  }
  return f;
}

/** A number with at most `digits` decimals: 1.234.567,8 (vi) or 1,234,567.8 (en). */
export function formatNumber(value: number, lang: Lang, digits = 1): string {
  return numberFormat(lang, digits).format(value);
}

/** A sensible number of decimals for a reading of this size. */
export function formatReading(value: number, lang: Lang): string {
  const abs = Math.abs(value);
  return formatNumber(value, lang, abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3);
}

/** 25/11/2026 17:05 (vi) · 25 Nov 2026 17:05 (en). */
export function formatDateTime(ms: number, lang: Lang): string {
  return `${dateFormat(lang, "date").format(ms)} ${dateFormat(lang, "time").format(ms)}`;
}

export function formatTime(ms: number, lang: Lang): string {
  return dateFormat(lang, "time").format(ms);
}

export function formatDate(ms: number, lang: Lang): string {
  return dateFormat(lang, "date").format(ms);
}

/** A tick label for charts: the time within a day, else the day. */
export function formatTick(ms: number, lang: Lang, spanMs: number): string {
  if (spanMs <= 2 * 86_400_000) return formatTime(ms, lang);
  return dateFormat(lang, "short").format(ms);
}

/** UN/CEFACT unit codes as people write them (µg/m³, cm, xe/giờ). */
const UNITS: Record<string, Record<Lang, string>> = {
  GQ: { vi: "µg/m³", en: "µg/m³" },
  CEL: { vi: "°C", en: "°C" },
  C62: { vi: "", en: "" },
  MMT: { vi: "mm", en: "mm" },
  MTS: { vi: "m/s", en: "m/s" },
  DD: { vi: "°", en: "°" },
  A97: { vi: "hPa", en: "hPa" },
  MTR: { vi: "m", en: "m" },
  CMT: { vi: "cm", en: "cm" },
  MQS: { vi: "m³/s", en: "m³/s" },
  KMH: { vi: "km/h", en: "km/h" },
  WTT: { vi: "W", en: "W" },
  "2N": { vi: "dB(A)", en: "dB(A)" },
  LUX: { vi: "lx", en: "lx" },
};

/** Attributes whose unit the Smart Data Models leave implicit. */
const IMPLIED: Record<string, Record<Lang, string>> = {
  intensity: { vi: "xe/giờ", en: "vehicles/h" },
  availableSpotNumber: { vi: "chỗ", en: "spaces" },
  totalSpotNumber: { vi: "chỗ", en: "spaces" },
};

/** The Smart Data Models' units, for readings that arrive without a unitCode. */
const DEFAULT_UNITS: Record<string, string> = {
  pm25: "GQ",
  pm10: "GQ",
  no2: "GQ",
  o3: "GQ",
  so2: "GQ",
  co: "GQ",
  temperature: "CEL",
  precipitation: "MMT",
  windSpeed: "MTS",
  windDirection: "DD",
  atmosphericPressure: "A97",
  currentLevel: "MTR",
  referenceLevel: "MTR",
  alertLevel: "MTR",
  dangerLevel: "MTR",
  waterLevel: "MTR",
  flow: "MQS",
  averageVehicleSpeed: "KMH",
  powerConsumption: "WTT",
  LAeq: "2N",
  LAmax: "2N",
};

/** Ratios (C62, 0–1) are shown as percentages. */
const RATIOS = new Set(["relativeHumidity", "occupancy", "illuminanceLevel"]);

export function formatValue(attr: string, value: number, unitCode: string | undefined, lang: Lang): string {
  if (RATIOS.has(attr) && (unitCode === "C62" || unitCode === undefined) && value <= 1.0001) {
    return `${formatNumber(value * 100, lang, 0)} %`;
  }
  const unit = unitLabel(attr, unitCode, lang);
  const text = formatReading(value, lang);
  return unit ? `${text} ${unit}` : text;
}

/** The unit as shown beside a value or on a chart axis ("µg/m³", "%", "xe/giờ"). */
export function unitLabel(attr: string, unitCode: string | undefined, lang: Lang): string {
  if (RATIOS.has(attr) && (unitCode === "C62" || unitCode === undefined)) return "%";
  const code = unitCode ?? DEFAULT_UNITS[attr];
  return (code && UNITS[code]?.[lang]) ?? IMPLIED[attr]?.[lang] ?? code ?? "";
}

export function isRatio(attr: string, unitCode: string | undefined): boolean {
  return RATIOS.has(attr) && (unitCode === "C62" || unitCode === undefined);
}
