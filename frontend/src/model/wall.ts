/** The video wall's list of active incidents: the worst first, and among equally severe ones the
 * nearest deadline first (an overdue one before one still counting down; none last). */

import type { Entity } from "./entity";
import { nextDeadline } from "./incidents";
import { SEVERITIES, type Severity, severityOf } from "./looks";

export interface WallIncident {
  entity: Entity;
  severity: Severity;
  status: string;
  sla: { acknowledgeDueAt: string | null; dueAt: string | null; breached: boolean };
  /** When the countdown shown ends (ms), or null without a deadline. */
  due: number | null;
}

function text(e: Entity, name: string): string | null {
  const v = e.attrs[name]?.value;
  return typeof v === "string" ? v : null;
}

/** What the wall needs of an Incident entity from the live store. */
export function wallIncident(e: Entity): WallIncident {
  const status = text(e, "status") ?? "new";
  const sla = {
    acknowledgeDueAt: text(e, "slaAcknowledgeDueAt"),
    dueAt: text(e, "slaDueAt"),
    breached: e.attrs.slaBreached?.value === true,
  };
  const next = nextDeadline({ status, sla });
  return {
    entity: e,
    severity: severityOf(e.attrs.capSeverity?.value, e.attrs.severity?.value),
    status,
    sla,
    due: next && !Number.isNaN(next.at) ? next.at : null,
  };
}

export function byUrgency(a: WallIncident, b: WallIncident): number {
  const bySeverity = SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity);
  if (bySeverity !== 0) return bySeverity;
  if (a.due !== b.due) return a.due === null ? 1 : b.due === null ? -1 : a.due - b.due;
  return a.entity.id < b.entity.id ? -1 : a.entity.id > b.entity.id ? 1 : 0;
}
