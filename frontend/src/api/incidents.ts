/** The incidents API (docs/incidents.md): the board, one incident with its procedure, and the
 * changes — transitions, procedure steps, comments. The server says which actions the caller's
 * role may take (`actions`) and refuses the rest (403 role, 409 state). */

import type { AuditEntry, Comment } from "./alerts";
import { filterQuery } from "./alerts";
import { api } from "./client";

export type Text = string | Record<string, string> | null | undefined;

export interface Sla {
  acknowledgeDueAt: string | null;
  dueAt: string | null;
  breached: boolean;
  overdue: boolean;
  breaches?: { kind: string; dueAt: string; detectedAt: string }[];
}

export interface IncidentSummary {
  id: string;
  title: Text;
  status: string;
  category: string | null;
  capCategory: string | null;
  capSeverity: string | null;
  capUrgency: string | null;
  capCertainty: string | null;
  area: string | null;
  areaServed: string | null;
  agency: string | null;
  assignee: string | null;
  source: string | null;
  openedAt: string;
  sla: Sla;
  currentStep: number | null;
  /** GeoJSON geometry (a Point when an operator picked it). */
  location?: { type: string; coordinates: unknown } | null;
}

export interface RecordField {
  key: string;
  label?: Text;
  required?: boolean;
}

export interface Activity {
  n: number;
  key: string;
  title: Text;
  role: string;
  expectedMinutes: number | null;
  state: "pending" | "done" | "skipped" | "late";
  late: boolean;
  startedAt: string | null;
  dueAt: string | null;
  completedAt: string | null;
  by: string | null;
  reason: string | null;
  record: Record<string, unknown>;
  recordFields: RecordField[];
  inputs: Record<string, unknown>;
}

export interface LinkedAlert {
  id: string;
  [other: string]: unknown;
}

export interface IncidentDetails extends IncidentSummary {
  description: string | null;
  agencies: string[];
  alerts: LinkedAlert[];
  reports: string[];
  openedBy: string | null;
  transitions: Record<string, { at: string; by: string | null }>;
  sop: string | null;
  activities: Activity[];
  comments: Comment[];
  resolution: { note: string | null; photos: string[] };
  cancelReason: string | null;
  actions: string[];
  /** May set the assignee (staff, or the lead agency) / hand it to another agency (staff). */
  canAssign?: boolean;
  canHandOver?: boolean;
  audit?: AuditEntry[];
}

/** What `POST /api/v1/incidents` takes (only `title` is required). */
export interface IncidentDraft {
  title: Record<string, string>;
  description?: string;
  category?: string;
  capSeverity?: string;
  capUrgency?: string;
  area?: string;
  location?: { type: "Point"; coordinates: [number, number] };
  /** A procedure id; absent: chosen by the server from the category. */
  sop?: string;
}

export interface BoardColumn {
  status: string;
  total: number;
  items: IncidentSummary[];
}

export interface BoardFilters {
  severity?: string;
  category?: string;
  area?: string;
  agency?: string;
  overdue?: boolean;
}

const path = (id: string) => `/api/v1/incidents/${encodeURIComponent(id)}`;

function postJson<T>(url: string, body: unknown): Promise<T> {
  return api<T>(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
}

export const loadBoard = (filters: BoardFilters): Promise<{ columns: BoardColumn[] }> =>
  api(`/api/v1/incidents/board?${filterQuery(filters)}`);
export const getIncident = (id: string): Promise<IncidentDetails> => api(path(id));
export const transition = (id: string, action: string, note?: string): Promise<IncidentDetails> =>
  postJson(`${path(id)}/${action}`, note ? { note } : {});
export const commentIncident = (id: string, text: string): Promise<IncidentDetails> =>
  postJson(`${path(id)}/comments`, { text });
export const stepDone = (id: string, n: number, data: Record<string, unknown>): Promise<IncidentDetails> =>
  postJson(`${path(id)}/activities/${n}/done`, { data });
export const stepSkip = (id: string, n: number, reason: string): Promise<IncidentDetails> =>
  postJson(`${path(id)}/activities/${n}/skip`, { reason });

/** Resolve with a note, and a photo when one is chosen (multipart then). */
export function resolveIncident(id: string, note: string, photo: File | null): Promise<IncidentDetails> {
  if (!photo) return postJson(`${path(id)}/resolve`, { note });
  const form = new FormData();
  form.set("note", note);
  form.set("photo", photo);
  return api(`${path(id)}/resolve`, { method: "POST", body: form });
}

/** Open an incident by hand (operators): 201 with the new incident. */
export const createIncident = (draft: IncidentDraft): Promise<IncidentDetails> => postJson("/api/v1/incidents", draft);
/** Set the assignee and/or hand the incident to another agency (operators). */
export const assignIncident = (id: string, change: { assignee?: string; agency?: string }): Promise<IncidentDetails> =>
  postJson(`${path(id)}/assign`, change);

/** Open incidents, newest first (the server's order): what an alert may join. */
export const listOpenIncidents = (limit = 200): Promise<{ items: IncidentSummary[]; total: number }> =>
  api(`/api/v1/incidents?status=new,acknowledged,dispatched,inProgress&limit=${limit}`);
/** Add an alert to an existing open incident (200; 409 when it belongs to another one). */
export const linkAlert = (alertId: string, incidentId: string): Promise<IncidentDetails> =>
  postJson(`/api/v1/alerts/${encodeURIComponent(alertId)}/incident`, { incident: incidentId });
