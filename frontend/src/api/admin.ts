/** The administration APIs (admin role; the server refuses everyone else): API keys, user
 * accounts, alert rules, the incident catalogue (areas, categories, agencies, procedures) and
 * dead letters. docs/ui.md lists the endpoints. */

import { api } from "./client";

const JSON_BODY = { "Content-Type": "application/json" };
const send = (method: string, body?: unknown): RequestInit => ({
  method,
  headers: body === undefined ? {} : JSON_BODY,
  body: body === undefined ? undefined : JSON.stringify(body),
});

export const ROLES = ["admin", "operator", "agency", "viewer", "ingest"] as const;
export type Bilingual = { vi: string; en: string };

// --- API keys ------------------------------------------------------------------------------

export interface ApiKey {
  id: string;
  role: string;
  name: string;
  createdAt: string;
  agency: string | null;
  createdBy: string;
  revokedAt: string | null;
  key?: string; // only in the answer to creating it
}

export const listKeys = () => api<ApiKey[]>("/api/v1/admin/keys");
export const createKey = (body: { role: string; name: string; agency?: string }) =>
  api<ApiKey>("/api/v1/admin/keys", send("POST", body));
export const revokeKey = (id: string) => api<void>(`/api/v1/admin/keys/${encodeURIComponent(id)}`, send("DELETE"));

// --- users ---------------------------------------------------------------------------------

export interface User {
  id: string;
  username: string;
  displayName: string | null;
  role: string;
  agency: string | null;
  locale: string;
  createdAt: string;
  disabledAt: string | null;
  failedAttempts: number;
  lockedUntil: string | null;
  lastLoginAt: string | null;
  password?: string; // only when the server generated one
}

export interface UserChange {
  role?: string;
  agency?: string | null;
  displayName?: string;
  disabled?: boolean;
  unlock?: boolean;
  resetPassword?: boolean;
}

export const listUsers = () => api<User[]>("/api/v1/admin/users");
export const createUser = (body: { username: string; role: string; agency?: string; displayName?: string; locale: string }) =>
  api<User>("/api/v1/admin/users", send("POST", body));
export const changeUser = (id: string, change: UserChange) =>
  api<User>(`/api/v1/admin/users/${encodeURIComponent(id)}`, send("PATCH", change));
export const signOutEverywhere = (id: string) =>
  api<void>(`/api/v1/admin/users/${encodeURIComponent(id)}/sessions`, send("DELETE"));

// --- alert rules ---------------------------------------------------------------------------

export interface RuleDocument {
  id?: string;
  kind?: string;
  name?: Bilingual;
  enabled?: boolean;
  scope?: { types?: string[]; areas?: string[]; ids?: string[] };
  alert?: { severity?: string; category?: string; sub_category?: string; [other: string]: unknown };
  [other: string]: unknown;
}

export interface Rule {
  id: string;
  rule: RuleDocument;
  valid: boolean;
  problems: string[];
  modifiedAt: string;
  modifiedBy: string;
}

const ruleUrl = (id: string) => `/api/v1/alert-rules/${encodeURIComponent(id)}`;
export const listRules = () => api<{ items: Rule[] }>("/api/v1/alert-rules").then((r) => r.items);
export const createRule = (doc: unknown) => api<Rule>("/api/v1/alert-rules", send("POST", doc));
export const replaceRule = (id: string, doc: unknown) => api<Rule>(ruleUrl(id), send("PUT", doc));
export const deleteRule = (id: string) => api<void>(ruleUrl(id), send("DELETE"));

// --- the incident catalogue ----------------------------------------------------------------

export interface Area {
  code: string;
  level: string;
  unitType: string;
  name: Bilingual;
  parent: string | null;
  validFrom: string | null;
  validTo: string | null;
  agencies: string[];
}

export interface Category {
  code: string;
  name: Bilingual;
  capCategory: string;
  defaultAgency: string | null;
}

/** An agency in the pack's words (agencies.yaml). */
export interface Agency {
  id: string;
  kind: string;
  name: Bilingual;
  short_name?: Bilingual;
  areas: string[];
  categories: string[];
  valid_from?: string;
  valid_to?: string;
  illustrative?: boolean;
  phone?: string;
  email?: string;
  website?: string;
  note?: Bilingual;
  problems: string[];
}

export interface SopStep {
  key: string;
  title: Bilingual;
  description?: Bilingual;
  role: "operator" | "agency";
  expected: number | string; // minutes; the server also reads 15m, 2h, 1d
  record?: { key: string; label: Bilingual; required?: boolean }[];
}

export interface Sop {
  id: string;
  name: Bilingual;
  description?: Bilingual;
  categories: string[];
  alert_sub_categories: string[];
  category?: string;
  steps: SopStep[];
  problems: string[];
}

const admin = (path: string) => `/api/v1/admin/${path}`;
export const listAreas = () => api<{ items: Area[] }>(admin("areas")).then((r) => r.items);
export const listCategories = () => api<{ items: Category[] }>(admin("categories")).then((r) => r.items);
export const listAgencies = () => api<{ items: Agency[] }>(admin("agencies")).then((r) => r.items);
export const saveAgency = (agency: Omit<Agency, "problems">) =>
  api<Agency>(admin(`agencies/${encodeURIComponent(agency.id)}`), send("PUT", agency));
export const listSops = () => api<{ items: Sop[] }>(admin("sops")).then((r) => r.items);
export const saveSop = (sop: Omit<Sop, "problems">) =>
  api<Sop>(admin(`sops/${encodeURIComponent(sop.id)}`), send("PUT", sop));

// --- dead letters --------------------------------------------------------------------------

export interface DeadLetter {
  id: number;
  tenant: string;
  receivedAt: string;
  sourceKind: string;
  source: string;
  position: number | null;
  clientId: string | null;
  reason: string;
  detail: string;
  status: string;
  replayedAt: string | null;
  payloadBytes: number;
  payload?: string;
  payloadBase64?: string;
}

export interface DeadLetterFilter {
  status?: string;
  reason?: string;
  sourceKind?: string;
  source?: string;
}

export interface ReplayOutcome {
  id: number;
  replayed: boolean;
  stored: number;
  problems: string[];
}

const letters = "/api/v1/dead-letters";
export function listDeadLetters(filter: DeadLetterFilter, limit = 100) {
  const query = new URLSearchParams({ limit: String(limit) });
  for (const [k, v] of Object.entries(filter)) if (v) query.set(k, v);
  return api<{ total: number; items: DeadLetter[] }>(`${letters}?${query}`);
}
export const getDeadLetter = (id: number) => api<DeadLetter>(`${letters}/${id}`);
export const replayDeadLetter = (id: number) => api<ReplayOutcome>(`${letters}/${id}/replay`, send("POST"));
export const purgeDeadLetter = (id: number) => api<void>(`${letters}/${id}`, send("DELETE"));
export const purgeDeadLetters = (filter: DeadLetterFilter) =>
  api<{ purged: number }>(`${letters}/purge`, send("POST", filter));
