import { describe, expect, it } from "vitest";
import type { Entity } from "./entity";
import { byUrgency, wallIncident } from "./wall";

function incident(id: string, severity: string, status: string, ack: string | null, due: string | null): Entity {
  const attrs: Entity["attrs"] = {
    capSeverity: { value: severity, kind: "Property" },
    status: { value: status, kind: "Property" },
  };
  if (ack) attrs.slaAcknowledgeDueAt = { value: ack, kind: "Property" };
  if (due) attrs.slaDueAt = { value: due, kind: "Property" };
  return { id, type: "Incident", name: id, location: null, attrs, observedMs: null };
}

describe("the wall's incidents", () => {
  it("counts to acknowledging while new, then to resolving", () => {
    const fresh = wallIncident(incident("a", "Severe", "new", "2026-11-25T10:15:00Z", "2026-11-25T16:00:00Z"));
    expect(fresh.due).toBe(Date.parse("2026-11-25T10:15:00Z"));
    const working = wallIncident(incident("b", "Severe", "inProgress", "2026-11-25T10:15:00Z", "2026-11-25T16:00:00Z"));
    expect(working.due).toBe(Date.parse("2026-11-25T16:00:00Z"));
    expect(wallIncident(incident("c", "Minor", "inProgress", null, null)).due).toBeNull();
  });

  it("sorts by severity, then the nearest deadline, deadlines before none", () => {
    const list = [
      incident("minor", "Minor", "new", "2026-11-25T09:00:00Z", null),
      incident("severe-late", "Severe", "inProgress", null, "2026-11-25T18:00:00Z"),
      incident("severe-none", "Severe", "inProgress", null, null),
      incident("severe-soon", "Severe", "new", "2026-11-25T10:05:00Z", null),
      incident("extreme", "Extreme", "acknowledged", null, "2026-11-26T00:00:00Z"),
    ].map(wallIncident);
    expect(list.sort(byUrgency).map((i) => i.entity.id)).toEqual([
      "extreme",
      "severe-soon",
      "severe-late",
      "severe-none",
      "minor",
    ]);
  });
});
