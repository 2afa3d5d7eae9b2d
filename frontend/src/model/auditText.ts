/** What an audit record changed, as people read it: each attribute by its translated name, with
 * its value before and after formatted (statuses by their labels, times in the city's format,
 * agencies and categories by name, a procedure's steps by what happened to them). Pure: the
 * words and formats come in through `AuditWords`, so the same code serves both languages. */

import { localText, shortId } from "./incidents";

export interface AuditWords {
  lang: "vi" | "en";
  /** The attribute's translated name (its own name when there is none). */
  label(name: string): string;
  status(value: string): string;
  severity(value: string): string;
  time(ms: number): string;
  number(value: number): string;
  agency(id: string): string;
  category(code: string): string;
  area(code: string): string;
  yesNo(value: boolean): string;
  /** An enumerated value (source, urgency …) by its label, or as it is. */
  choice(name: string, value: string): string;
  /** "4 bước" — a procedure started. */
  steps(count: number): string;
  /** "Bước 2 · Đóng hầm chui: Đã bỏ qua". */
  step(n: number, title: string, state: string): string;
}

export interface AuditChange {
  name: string;
  label: string;
  before: string | null;
  after: string | null;
}

/** The order people read an incident in; other attributes follow in the server's order. */
const ORDER = [
  "title", "status", "capSeverity", "category", "areaServed", "refAgency", "assignee", "description",
  "refAlerts", "activities", "comments", "resolutionNote", "cancelReason", "slaAcknowledgeDueAt", "slaDueAt",
];
const rank = (name: string) => (ORDER.includes(name) ? ORDER.indexOf(name) : ORDER.length);

/** Bookkeeping the server keeps for itself (what the SLA tick watches): not worth a line. */
const HIDDEN = new Set(["nextDueAt", "currentStep"]);
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

/** The attribute's own name from a compact name or an expanded URI (…/refIncident, …#status). */
export function plainName(name: string): string {
  if (!name.includes("://") && !name.startsWith("urn:")) return name;
  const cut = Math.max(name.lastIndexOf("/"), name.lastIndexOf("#"), name.lastIndexOf(":"));
  return cut >= 0 ? name.slice(cut + 1) : name;
}

/** The changes an audit record's `{before, after}` detail holds, in a stable order. */
export function auditChanges(detail: unknown, words: AuditWords): AuditChange[] {
  if (!detail || typeof detail !== "object") return [];
  const d = detail as { before?: unknown; after?: unknown };
  const before = asRecord(d.before);
  const after = asRecord(d.after);
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  const out: AuditChange[] = [];
  for (const raw of names) {
    const name = plainName(raw);
    if (HIDDEN.has(name)) continue;
    const [b, a] = name === "activities" ? stepChanges(before[raw], after[raw], words) : [before[raw], after[raw]].map((v) => valueText(name, v, words));
    if (b === a) continue;
    out.push({ name, label: words.label(name), before: b, after: a });
  }
  return out.sort((x, y) => rank(x.name) - rank(y.name));
}

function asRecord(value: unknown): Record<string, unknown> {
  return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** One value as text; null for nothing. */
export function valueText(name: string, value: unknown, words: AuditWords): string | null {
  if (value === null || value === undefined || value === "") return null;
  if (Array.isArray(value)) {
    if (name === "comments") return commentText(value);
    if (name === "slaBreaches") return words.number(value.length);
    const parts = value.map((v) => valueText(singular(name), v, words)).filter((v): v is string => !!v);
    return parts.length ? parts.join(", ") : null;
  }
  if (typeof value === "boolean") return words.yesNo(value);
  if (typeof value === "number") return words.number(value);
  if (typeof value === "object") {
    if (name === "title" || name === "description" || name === "name") return localText(value, words.lang) || null;
    if (name === "location") return placeText(value as Record<string, unknown>, words);
    const text = JSON.stringify(value);
    return text.length > 80 ? `${text.slice(0, 79)}…` : text;
  }
  const text = String(value);
  if (name === "status") return words.status(text);
  if (name === "capSeverity") return words.severity(text);
  if (name === "refAgency") return words.agency(text);
  if (name === "category") return words.category(text);
  if (name === "refArea") return words.area(shortId(text));
  if (name.startsWith("ref")) return shortId(text);
  if (ISO.test(text)) {
    const ms = Date.parse(text);
    if (!Number.isNaN(ms)) return words.time(ms);
  }
  return words.choice(name, text);
}

/** refAgencies → each is a refAgency; refAlerts → each a reference. */
function singular(name: string): string {
  if (name === "refAgencies") return "refAgency";
  return name.endsWith("s") ? name.slice(0, -1) : name;
}

function commentText(comments: unknown[]): string | null {
  const last = comments[comments.length - 1] as { text?: unknown } | undefined;
  return last && typeof last.text === "string" ? `“${last.text}”` : null;
}

function placeText(geometry: Record<string, unknown>, words: AuditWords): string {
  const c = geometry.coordinates;
  if (geometry.type === "Point" && Array.isArray(c) && c.length >= 2) {
    return `${words.number(Number(c[1]))}, ${words.number(Number(c[0]))}`;
  }
  return String(geometry.type ?? "");
}

interface StepValue {
  n?: number;
  title?: unknown;
  status?: string;
}

/** A procedure's steps: "4 bước" when it starts; afterwards only the steps whose state moved. */
function stepChanges(before: unknown, after: unknown, words: AuditWords): [string | null, string | null] {
  const was = Array.isArray(before) ? (before as StepValue[]) : [];
  const now = Array.isArray(after) ? (after as StepValue[]) : [];
  if (was.length === 0) return [null, now.length ? words.steps(now.length) : null];
  const moved = now.filter((s) => was.find((w) => w.n === s.n)?.status !== s.status);
  const describe = (list: StepValue[]) =>
    moved
      .map((m) => list.find((s) => s.n === m.n))
      .filter((s): s is StepValue => !!s && !!s.status)
      .map((s) => words.step(s.n ?? 0, localText(s.title, words.lang), s.status ?? ""))
      .join("; ") || null;
  return [describe(was), describe(now)];
}
