/** The dashboard's view of an NGSI-LD entity: normalized JSON flattened into attributes that keep
 * their `observedAt` and `unitCode` (the units shown beside values, the freshness of a sensor). */

export type Geometry =
  | { type: "Point"; coordinates: [number, number] }
  | { type: "LineString"; coordinates: [number, number][] }
  | { type: "Polygon"; coordinates: [number, number][][] }
  | { type: "MultiPolygon"; coordinates: [number, number][][][] }
  | { type: string; coordinates: unknown };

export interface Attr {
  value: unknown;
  kind: "Property" | "Relationship" | "GeoProperty" | "LanguageProperty";
  observedAt?: string;
  unitCode?: string;
}

export interface Entity {
  id: string;
  type: string;
  name: string;
  location: Geometry | null;
  attrs: Record<string, Attr>;
  /** The newest observedAt of any attribute (ms), or null when none was ever observed. */
  observedMs: number | null;
}

const SKIP = new Set(["id", "type", "@context", "name", "location"]);

function attrOf(raw: unknown): Attr | null {
  const item = Array.isArray(raw) ? raw[0] : raw; // multi-attributes: the first instance
  if (item === null || typeof item !== "object") return { value: item, kind: "Property" };
  const a = item as Record<string, unknown>;
  const kind = typeof a.type === "string" ? a.type : "Property";
  if (kind === "Relationship") {
    return { value: a.object, kind: "Relationship", observedAt: a.observedAt as string };
  }
  if (kind === "LanguageProperty") {
    return { value: a.languageMap, kind: "LanguageProperty" };
  }
  if (!("value" in a)) return null;
  return {
    value: a.value,
    kind: kind === "GeoProperty" ? "GeoProperty" : "Property",
    observedAt: typeof a.observedAt === "string" ? a.observedAt : undefined,
    unitCode: typeof a.unitCode === "string" ? a.unitCode : undefined,
  };
}

function plain(raw: unknown): unknown {
  if (raw !== null && typeof raw === "object" && !Array.isArray(raw)) {
    const a = raw as Record<string, unknown>;
    if ("value" in a) return a.value;
    if ("object" in a) return a.object;
    if ("languageMap" in a) return a.languageMap;
  }
  return raw;
}

function localName(term: string): string {
  // The live stream and queries give core-context terms; expanded IRIs keep their last segment.
  const cut = Math.max(term.lastIndexOf("/"), term.lastIndexOf("#"));
  return cut >= 0 ? term.slice(cut + 1) : term;
}

/** Parse a normalized (or keyValues) NGSI-LD entity. */
export function parseEntity(raw: Record<string, unknown>): Entity {
  const attrs: Record<string, Attr> = {};
  let observedMs: number | null = null;
  for (const [key, value] of Object.entries(raw)) {
    if (SKIP.has(key)) continue;
    const attr = attrOf(value);
    if (attr === null) continue;
    attrs[localName(key)] = attr;
    if (attr.observedAt) {
      const t = Date.parse(attr.observedAt);
      if (!Number.isNaN(t) && (observedMs === null || t > observedMs)) observedMs = t;
    }
  }
  const name = plain(raw.name);
  const location = plain(raw.location);
  const type = localName(String(raw.type ?? ""));
  return {
    id: String(raw.id),
    type,
    name: typeof name === "string" && name ? name : localId(String(raw.id)),
    location: isGeometry(location) ? location : null,
    attrs,
    observedMs,
  };
}

function isGeometry(value: unknown): value is Geometry {
  return (
    value !== null &&
    typeof value === "object" &&
    typeof (value as { type?: unknown }).type === "string" &&
    Array.isArray((value as { coordinates?: unknown }).coordinates)
  );
}

export function localId(id: string): string {
  const parts = id.split(":");
  return parts.length > 3 ? parts.slice(3).join(":") : id;
}

export function num(entity: Entity, attr: string): number | undefined {
  const v = entity.attrs[attr]?.value;
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

export function str(entity: Entity, attr: string): string | undefined {
  const v = entity.attrs[attr]?.value;
  return typeof v === "string" ? v : undefined;
}

/** A representative [lat, lng] for a map marker: the point, or the first vertex / ring centre. */
export function anchor(geometry: Geometry | null): [number, number] | null {
  if (!geometry) return null;
  const c = geometry.coordinates as unknown;
  const flat: [number, number][] = [];
  const walk = (x: unknown): void => {
    if (Array.isArray(x) && typeof x[0] === "number" && typeof x[1] === "number") {
      flat.push([x[0], x[1]]);
    } else if (Array.isArray(x)) {
      for (const y of x) walk(y);
    }
  };
  walk(c);
  if (flat.length === 0) return null;
  if (geometry.type === "Point" || geometry.type === "LineString") {
    const mid = flat[Math.floor(flat.length / 2)];
    return [mid[1], mid[0]];
  }
  const lon = flat.reduce((s, p) => s + p[0], 0) / flat.length;
  const lat = flat.reduce((s, p) => s + p[1], 0) / flat.length;
  return [lat, lon];
}
