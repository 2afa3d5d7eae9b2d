/** How a state is drawn: colour plus shape (never colour alone), the same on markers, legends,
 * badges and charts. Shape follows the level: circle (normal), square, diamond, triangle (worst). */

export type Shape = "circle" | "square" | "diamond" | "triangle" | "ring";

export interface Look {
  state: string; // stable id, exposed as data-state for tests and styling
  level: number; // 0 normal … 5 worst; -1 offline or no data
  colour: string;
  text: string; // readable text colour on `colour`
  shape: Shape;
  badge?: string; // short text inside the marker (the AQI figure)
}

export function shapeFor(level: number): Shape {
  if (level < 0) return "ring";
  return (["circle", "square", "diamond", "triangle"] as Shape[])[Math.min(level, 3)];
}

export function look(state: string, level: number, colour: string, text = "#000000"): Look {
  return { state, level, colour, text, shape: shapeFor(level) };
}

export const OFFLINE = look("offline", -1, "#6B7280", "#FFFFFF");
export const NO_DATA: Look = { ...look("noData", -1, "#9CA3AF", "#000000"), shape: "circle" };

/** CAP severity: one hue ramp from light to dark red, used for alerts, incidents and badges. */
export const SEVERITIES = ["Extreme", "Severe", "Moderate", "Minor", "Unknown"] as const;
export type Severity = (typeof SEVERITIES)[number];

export const SEVERITY_LOOKS: Record<Severity, Look> = {
  Extreme: { ...look("sev-Extreme", 4, "#67000D", "#FFFFFF"), shape: "triangle" },
  Severe: { ...look("sev-Severe", 3, "#B2182B", "#FFFFFF"), shape: "triangle" },
  Moderate: { ...look("sev-Moderate", 2, "#EF6548", "#000000"), shape: "diamond" },
  Minor: { ...look("sev-Minor", 1, "#FDBB84", "#000000"), shape: "square" },
  Unknown: { ...look("sev-Unknown", 0, "#BDBDBD", "#000000"), shape: "circle" },
};

const SDM_SEVERITY: Record<string, Severity> = {
  critical: "Extreme",
  high: "Severe",
  medium: "Moderate",
  low: "Minor",
  informational: "Minor",
};

export function severityOf(cap: unknown, sdm: unknown): Severity {
  if (typeof cap === "string" && (SEVERITIES as readonly string[]).includes(cap)) {
    return cap as Severity;
  }
  if (typeof sdm === "string" && sdm in SDM_SEVERITY) return SDM_SEVERITY[sdm];
  return "Unknown";
}
