/** Pure helpers of the alerts and incidents pages: texts in the viewer's language, the SLA
 * countdown, which deadline a card counts down to, and what a step's record looks like. */

import type { Lang } from "../i18n";
import { type Severity, severityOf } from "./looks";

/** The board's columns, in the order work flows through them. */
export const BOARD_STATUSES = ["new", "acknowledged", "dispatched", "inProgress", "resolved"] as const;
export const OPEN_STATUSES = new Set(["new", "acknowledged", "dispatched", "inProgress"]);

/** A LanguageProperty ({vi, en}), a plain string, or nothing: the text in `lang`, else any. */
export function localText(value: unknown, lang: Lang): string {
  if (typeof value === "string") return value;
  if (value && typeof value === "object") {
    const map = value as Record<string, unknown>;
    const found = map[lang] ?? map[lang === "vi" ? "en" : "vi"] ?? Object.values(map)[0];
    return typeof found === "string" ? found : "";
  }
  return "";
}

/** An alert's title: `title` ({vi, en}), else `titleVi`/`titleEn`, else `name`, else its id. */
export function alertTitle(alert: Record<string, unknown>, lang: Lang): string {
  const fromTitle = localText(alert.title, lang);
  if (fromTitle) return fromTitle;
  const pair = lang === "en" ? [alert.titleEn, alert.titleVi] : [alert.titleVi, alert.titleEn];
  for (const candidate of [...pair, alert.name]) if (typeof candidate === "string" && candidate) return candidate;
  return String(alert.id ?? "");
}

export function alertSeverity(alert: Record<string, unknown>): Severity {
  return severityOf(alert.capSeverity, alert.severity);
}

const UNITS: Record<Lang, { d: string; h: string; m: string; left: string; over: string }> = {
  vi: { d: "ngày", h: "giờ", m: "phút", left: "còn {t}", over: "quá hạn {t}" },
  en: { d: "d", h: "h", m: "min", left: "{t} left", over: "{t} overdue" },
};

/** A span as days, hours and minutes, the two largest parts: "1 ngày 3 giờ", "2 h 05 min". */
export function formatSpan(ms: number, lang: Lang): string {
  const u = UNITS[lang];
  const total = Math.max(0, Math.floor(Math.abs(ms) / 60_000));
  const d = Math.floor(total / 1440);
  const h = Math.floor((total % 1440) / 60);
  const m = total % 60;
  if (d > 0) return h > 0 ? `${d} ${u.d} ${h} ${u.h}` : `${d} ${u.d}`;
  if (h > 0) return m > 0 ? `${h} ${u.h} ${String(m).padStart(2, "0")} ${u.m}` : `${h} ${u.h}`;
  return `${m} ${u.m}`;
}

export interface Countdown {
  overdue: boolean;
  text: string;
}

/** Time left until `dueAt` ("còn 45 phút"), or past it ("quá hạn 12 phút"). */
export function countdown(dueAt: number, now: number, lang: Lang): Countdown {
  const overdue = now > dueAt;
  const template = overdue ? UNITS[lang].over : UNITS[lang].left;
  return { overdue, text: template.replace("{t}", formatSpan(dueAt - now, lang)) };
}

/** Expected duration of a step, from its minutes: "15 phút", "1 h 30 min", "1 ngày". */
export function formatMinutes(minutes: number, lang: Lang): string {
  return formatSpan(minutes * 60_000, lang);
}

interface SlaLike {
  status: string;
  sla: { acknowledgeDueAt: string | null; dueAt: string | null };
}

/** The deadline a card counts down to: acknowledging while new, then resolving; none once
 * resolved, closed or cancelled. */
export function nextDeadline(incident: SlaLike): { kind: "acknowledge" | "resolve"; at: number } | null {
  if (!OPEN_STATUSES.has(incident.status)) return null;
  const ack = incident.sla.acknowledgeDueAt;
  if (incident.status === "new" && ack) return { kind: "acknowledge", at: Date.parse(ack) };
  const due = incident.sla.dueAt;
  return due ? { kind: "resolve", at: Date.parse(due) } : null;
}

/** A recorded value as text: lists joined, objects as JSON, booleans and numbers as they are. */
export function recordText(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (Array.isArray(value)) return value.map(recordText).join(", ");
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** The attributes an audit record changed (the keys of its before/after). */
export function changedKeys(detail: unknown): string[] {
  if (!detail || typeof detail !== "object") return [];
  const d = detail as { before?: unknown; after?: unknown };
  const keys = new Set<string>();
  for (const side of [d.before, d.after]) {
    if (side && typeof side === "object") for (const k of Object.keys(side)) keys.add(k);
  }
  return [...keys];
}

/** The local part of an NGSI-LD id: urn:ngsi-ld:Organization:stnmt → stnmt. */
export function shortId(id: string | null | undefined): string {
  if (!id) return "";
  const parts = id.split(":");
  return parts.length > 3 ? parts.slice(3).join(":") : id;
}
