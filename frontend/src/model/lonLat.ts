/** A picked point in words: latitude then longitude, five decimals (≈ 1 m), in the reader's
 * number format, with N/S and E/W (`10,98500° B, 106,65500° Đ` in Vietnamese). */

import type { Lang } from "../i18n";

const HEMISPHERES: Record<Lang, { n: string; s: string; e: string; w: string }> = {
  vi: { n: "B", s: "N", e: "Đ", w: "T" },
  en: { n: "N", s: "S", e: "E", w: "W" },
};

export function lonLatText(lon: number, lat: number, lang: Lang): string {
  const h = HEMISPHERES[lang];
  const f = new Intl.NumberFormat(lang === "vi" ? "vi-VN" : "en-GB", {
    minimumFractionDigits: 5,
    maximumFractionDigits: 5,
  });
  return `${f.format(Math.abs(lat))}° ${lat >= 0 ? h.n : h.s}, ${f.format(Math.abs(lon))}° ${lon >= 0 ? h.e : h.w}`;
}

/** The `[lon, lat]` of a GeoJSON Point, else null. */
export function pointOf(geometry: { type: string; coordinates: unknown } | null | undefined): [number, number] | null {
  if (geometry?.type !== "Point" || !Array.isArray(geometry.coordinates)) return null;
  const [lon, lat] = geometry.coordinates as unknown[];
  return typeof lon === "number" && typeof lat === "number" ? [lon, lat] : null;
}
