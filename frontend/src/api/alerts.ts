/** The alerts API (docs/alerts.md): the list with its filters, one alert with its audit trail,
 * the operator's actions, and confirming an alert into an incident. */

import { api } from "./client";
import type { IncidentDetails } from "./incidents";

export interface Comment {
  at: string;
  by: string;
  text: string;
}

export interface AuditEntry {
  at: string;
  actor: string;
  action: string;
  detail?: { before?: Record<string, unknown>; after?: Record<string, unknown> } | Record<string, unknown> | null;
}

/** An alert in keyValues form with plain names; the fields the page reads are typed. */
export interface Alert {
  id: string;
  type: string;
  title?: string | Record<string, string>;
  titleVi?: string;
  titleEn?: string;
  name?: string;
  description?: string | Record<string, string>;
  category?: string;
  subCategory?: string;
  severity?: string;
  status?: string;
  acknowledged?: boolean;
  acknowledgedBy?: string;
  acknowledgedAt?: string;
  clearedAt?: string;
  clearedBy?: string;
  count?: number;
  firstSeen?: string;
  lastSeen?: string;
  dateIssued?: string;
  alertSource?: string;
  areaServed?: string;
  capCategory?: string;
  capSeverity?: string;
  capUrgency?: string;
  capCertainty?: string;
  capInstruction?: string;
  refIncident?: string;
  refRule?: string;
  comments?: Comment[];
  auditTrail?: AuditEntry[];
  [other: string]: unknown;
}

export interface AlertFilters {
  status?: string; // active | cleared
  acknowledged?: string; // true | false
  severity?: string; // SDM: critical, high, medium, low, informational
  category?: string;
  area?: string;
}

export interface AlertPage {
  total: number;
  items: Alert[];
}

function query(filters: object): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filters)) {
    if (value !== undefined && value !== null && value !== "" && value !== false) params.set(key, String(value));
  }
  return params.toString();
}

export { query as filterQuery };

const path = (id: string) => `/api/v1/alerts/${encodeURIComponent(id)}`;
const post = { method: "POST" };

export const listAlerts = (filters: AlertFilters, limit = 200): Promise<AlertPage> =>
  api<AlertPage>(`/api/v1/alerts?${query({ ...filters, limit })}`);
export const getAlert = (id: string): Promise<Alert> => api<Alert>(path(id));
export const acknowledgeAlert = (id: string): Promise<Alert> => api<Alert>(`${path(id)}/acknowledge`, post);
export const clearAlert = (id: string): Promise<Alert> => api<Alert>(`${path(id)}/clear`, post);
export const commentAlert = (id: string, text: string): Promise<Alert> =>
  api<Alert>(`${path(id)}/comments`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ text }),
  });
/** 201 with a new incident, 200 with the one the alert already has: either way, the incident. */
export const alertToIncident = (id: string): Promise<IncidentDetails> =>
  api<IncidentDetails>(`${path(id)}/incident`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: "{}",
  });
