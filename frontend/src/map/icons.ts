/** Marker and legend symbols: the state's shape filled with its colour, a dark outline that
 * holds on light and dark backgrounds, and the AQI figure inside air-quality markers. */

import type { Look, Shape } from "../model/looks";

const OUTLINE = "#111827";

function shapeSvg(shape: Shape, colour: string): string {
  switch (shape) {
    case "square":
      return `<rect x="3.5" y="3.5" width="17" height="17" rx="2" fill="${colour}" stroke="${OUTLINE}" stroke-width="1.5"/>`;
    case "diamond":
      return `<polygon points="12,1.5 22.5,12 12,22.5 1.5,12" fill="${colour}" stroke="${OUTLINE}" stroke-width="1.5"/>`;
    case "triangle":
      return `<polygon points="12,1.5 23,21.5 1,21.5" fill="${colour}" stroke="${OUTLINE}" stroke-width="1.5" stroke-linejoin="round"/>`;
    case "ring":
      return `<circle cx="12" cy="12" r="8.5" fill="#FFFFFF" stroke="${colour}" stroke-width="3" stroke-dasharray="4 2.5"/><line x1="6" y1="18" x2="18" y2="6" stroke="${colour}" stroke-width="2.5"/>`;
    default:
      return `<circle cx="12" cy="12" r="9.5" fill="${colour}" stroke="${OUTLINE}" stroke-width="1.5"/>`;
  }
}

/** The symbol alone (legends, lists). */
export function symbolSvg(look: Look, size = 18): string {
  return `<svg viewBox="0 0 24 24" width="${size}" height="${size}" aria-hidden="true" focusable="false">${shapeSvg(look.shape, look.colour)}</svg>`;
}

function escapeAttr(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
}

/** A marker's inner HTML; `data-entity-id` and `data-state` are what tests and styles read. */
export function markerHtml(id: string, look: Look, size: number): string {
  const font = Math.max(10, Math.round(size * 0.42));
  const badge = look.badge
    ? `<span class="marker-badge" style="background:${look.colour};color:${look.text};font-size:${font}px">${look.badge}</span>`
    : "";
  return `<span class="marker marker-${look.shape}" data-entity-id="${escapeAttr(id)}" data-state="${look.state}">${symbolSvg(look, size)}${badge}</span>`;
}

export function clusterHtml(count: number, worst: Look): string {
  const label = count > 999 ? "999+" : String(count);
  return `<span class="cluster" data-state="${worst.state}"><svg viewBox="0 0 24 24" width="34" height="34" aria-hidden="true">${shapeSvg(worst.shape === "ring" ? "circle" : worst.shape, worst.colour)}</svg><span class="cluster-count">${label}</span></span>`;
}
