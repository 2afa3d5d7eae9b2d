/** Pieces shared by the alerts and incidents pages: severity and status badges, comments, the
 * audit trail, the ticking clock and the live-refresh hook. */

import { signal } from "@preact/signals";
import { useEffect, useRef, useState } from "preact/hooks";
import type { AuditEntry, Comment } from "../api/alerts";
import { ApiError } from "../api/client";
import { categoryName, choices } from "../api/choices";
import { loadEntity } from "../api/entities";
import { store } from "../city";
import { type Lang, lang, t, tOr } from "../i18n";
import { formatDateTime, formatNumber } from "../i18n/format";
import { type AuditWords, auditChanges } from "../model/auditText";
import { countdown, nextDeadline, shortId } from "../model/incidents";
import { type Severity, SEVERITY_LOOKS } from "../model/looks";
import { Symbol } from "./common";
import { capText } from "./CapValue";

const CAP_FIELDS = { capUrgency: "urgency", capCertainty: "certainty", capCategory: "category" } as const;

/** A clock for countdowns: one timer for the whole page. */
export const nowTick = signal(Date.now());
setInterval(() => {
  nowTick.value = Date.now();
}, 15_000);

/** Call `refresh` (at most once a second) when entities of these types change on the live
 * stream; with `id`, only when that entity changes. */
export function useLiveRefresh(types: string[], refresh: () => void, id?: string): void {
  const latest = useRef(refresh);
  latest.current = refresh;
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    const wanted = new Set(types);
    const off = store.subscribe((changes, deleted) => {
      const hit = changes.some((c) => wanted.has(c.entity.type) && (!id || c.entity.id === id)) ||
        (id ? deleted.includes(id) : deleted.length > 0);
      if (!hit || timer) return;
      timer = setTimeout(() => {
        timer = null;
        latest.current();
      }, 1000);
    });
    return () => {
      off();
      if (timer) clearTimeout(timer);
    };
  }, [types.join(), id]);
}

export function SeverityBadge({ severity }: { severity: Severity }) {
  const look = SEVERITY_LOOKS[severity];
  return (
    <span class="state-badge sev-badge" data-severity={severity} style={{ background: look.colour, color: look.text }}>
      <Symbol look={look} size={13} />
      {t(`state.sev-${severity}`)}
    </span>
  );
}

export function StatusBadge({ status }: { status: string }) {
  return (
    <span class={`status-badge status-${status}`} data-status={status}>
      {tOr(`incidents.statusValues.${status}`, status)}
    </span>
  );
}

export function When({ iso }: { iso: string | null | undefined }) {
  if (!iso) return <span>—</span>;
  const ms = Date.parse(iso);
  return <time dateTime={iso}>{Number.isNaN(ms) ? iso : formatDateTime(ms, lang.value)}</time>;
}

/** The SLA countdown of an incident: to acknowledging while new, then to resolving. */
export function SlaCountdown({ incident }: { incident: Parameters<typeof nextDeadline>[0] & { sla: { breached: boolean } } }) {
  const next = nextDeadline(incident);
  if (!next) return null;
  const c = countdown(next.at, nowTick.value, lang.value);
  const late = c.overdue || incident.sla.breached;
  const key = next.kind === "acknowledge" ? "incidents.ackDue" : "incidents.resolveDue";
  return (
    <span class={late ? "sla sla-overdue" : "sla"} data-overdue={late ? "true" : "false"}>
      {late ? <span aria-hidden="true">⚠ </span> : null}
      {t(key, { left: c.text })}
    </span>
  );
}

export function Comments({ comments, onSend }: { comments: Comment[]; onSend?: (text: string) => Promise<void> }) {
  const [text, setText] = useState("");
  const [busy, setBusy] = useState(false);
  return (
    <section class="block comments" aria-labelledby="comments-h">
      <h2 id="comments-h">{t("incidents.comments")}</h2>
      {comments.length === 0 ? <p class="hint">{t("incidents.noComments")}</p> : null}
      <ul class="comment-list">
        {comments.map((c, i) => (
          <li key={i}>
            <span class="comment-meta">
              {c.by} · <When iso={c.at} />
            </span>
            <p>{c.text}</p>
          </li>
        ))}
      </ul>
      {onSend ? (
        <form
          class="inline-form"
          onSubmit={async (e) => {
            e.preventDefault();
            if (!text.trim()) return;
            setBusy(true);
            try {
              await onSend(text.trim());
              setText("");
            } finally {
              setBusy(false);
            }
          }}
        >
          <label class="grow">
            <span class="visually-hidden">{t("incidents.comment")}</span>
            <textarea
              rows={2}
              value={text}
              placeholder={t("incidents.comment")}
              onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
            />
          </label>
          <button type="submit" disabled={busy || !text.trim()}>
            {t("incidents.send")}
          </button>
        </form>
      ) : null}
    </section>
  );
}

export function AuditTrail({ entries }: { entries: AuditEntry[] }) {
  return (
    <section class="block audit" aria-labelledby="audit-h">
      <h2 id="audit-h">{t("incidents.audit")}</h2>
      <div class="table-scroll">
        <table class="audit-table">
          <thead>
            <tr>
              <th scope="col">{t("incidents.auditAt")}</th>
              <th scope="col">{t("incidents.auditActor")}</th>
              <th scope="col">{t("incidents.auditAction")}</th>
              <th scope="col">{t("incidents.auditChanged")}</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((e, i) => (
              <tr key={i} data-action={e.action}>
                <td>
                  <When iso={e.at} />
                </td>
                <td>{e.actor}</td>
                <td>{tOr(`audit.${e.action}`, e.action)}</td>
                <td class="audit-keys">
                  <AuditChanges detail={e.detail} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/** The words and formats of the audit trail in the viewer's language (model/auditText). */
function auditWords(l: Lang): AuditWords {
  return {
    lang: l,
    label: (name) => tOr(`auditFields.${name}`, tOr(`attrs.${name}`, name)),
    status: (v) => tOr(`incidents.statusValues.${v}`, tOr(`alerts.statusValues.${v}`, v)),
    severity: (v) => tOr(`state.sev-${v}`, v),
    time: (ms) => formatDateTime(ms, l),
    number: (v) => formatNumber(v, l, 4),
    agency: agencyLabel,
    category: (code) => categoryName(code, l),
    area: (code) => areaName(code, l),
    yesNo: (v) => t(v ? "incidents.auditYes" : "incidents.auditNo"),
    choice: (name, v) =>
      name === "source"
        ? tOr(`incidents.sources.${v}`, v)
        : name === "capUrgency" || name === "capCertainty" || name === "capCategory"
          ? capText(CAP_FIELDS[name], v)
          : tOr(`values.${v}`, v),
    steps: (count) => t("incidents.auditSteps", { count }),
    step: (n, title, state) => t("incidents.auditStep", { n, title, state: tOr(`incidents.stepStates.${state}`, state) }),
  };
}

/** Each attribute an audit record changed: its name, and its value before → after. */
function AuditChanges({ detail }: { detail: unknown }) {
  const changes = auditChanges(detail, auditWords(lang.value));
  if (changes.length === 0) return null;
  return (
    <ul class="audit-changes">
      {changes.map((c) => (
        <li key={c.name} data-attr={c.name}>
          <span class="audit-field">{c.label}</span>
          {": "}
          {c.before !== null ? (
            <>
              <del>{c.before}</del> →{" "}
            </>
          ) : null}
          {c.after ?? "—"}
        </li>
      ))}
    </ul>
  );
}

/** An action's error as the user reads it. */
export function problemText(err: unknown): string {
  const detail = err instanceof ApiError ? err.detail : String(err);
  return t("incidents.failed", { detail });
}

/** Run an action, keeping its error for display; returns whether it worked. */
export function useAction(): [string | null, (work: () => Promise<void>) => Promise<boolean>, boolean] {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async (work: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await work();
      return true;
    } catch (err) {
      setError(problemText(err));
      return false;
    } finally {
      setBusy(false);
    }
  };
  return [error, run, busy];
}

const agencyNames = signal<Record<string, string>>({});
const asked = new Set<string>();

/** An agency (Organization) by its name, looked up once per page; its local id until then, or
 * when this viewer may not read it. */
export function agencyLabel(id: string): string {
  const full = id.startsWith("urn:") ? id : `urn:ngsi-ld:Organization:${id}`;
  if (!asked.has(full)) {
    asked.add(full);
    loadEntity(full)
      .then((e) => {
        if (e.name) agencyNames.value = { ...agencyNames.value, [full]: e.name };
      })
      .catch(() => undefined);
  }
  return agencyNames.value[full] ?? shortId(full);
}

export function AgencyName({ id }: { id: string | null | undefined }) {
  if (!id) return <span>—</span>;
  const full = id.startsWith("urn:") ? id : `urn:ngsi-ld:Organization:${id}`;
  return <span title={full}>{agencyLabel(full)}</span>;
}

/** An area code by its name (from the forms' choices), else the code. */
export function areaName(code: string, l: Lang): string {
  const found = choices.value?.areas.find((a) => a.code === code);
  return found ? found.name[l] : code;
}
