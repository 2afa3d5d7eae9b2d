/** Alerts (operators act; agencies and viewers read): the list with its filters (in the address),
 * kept current by the live stream, and the selected alert beside it with its actions, comments and
 * audit. */

import { Fragment } from "preact";
import { useEffect, useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import {
  type Alert,
  type AlertFilters,
  acknowledgeAlert,
  alertToIncident,
  clearAlert,
  commentAlert,
  getAlert,
  listAlerts,
} from "../api/alerts";
import { type AreaChoice, choices, loadChoices } from "../api/choices";
import { ApiError } from "../api/client";
import { linkAlert } from "../api/incidents";
import { signedIn, viewer } from "../api/session";
import {
  AuditTrail,
  Comments,
  SeverityBadge,
  useAction,
  useLiveRefresh,
  When,
} from "../components/incidentParts";
import { CapFields } from "../components/CapValue";
import { IncidentPicker } from "../components/IncidentPicker";
import { TopBar } from "../components/TopBar";
import { lang, t, tOr } from "../i18n";
import { formatNumber } from "../i18n/format";
import { alertFilters, alertsHref } from "../model/alertsUrl";
import { alertSeverity, alertTitle, localText, shortId } from "../model/incidents";
import "../styles/incidents.css";

const SDM_SEVERITIES = ["critical", "high", "medium", "low", "informational"];
const CATEGORIES = ["naturalDisaster", "environment", "traffic", "weather", "health", "security", "agriculture"];
const ALERT_TYPES = ["Alert"];
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;
/** Attributes shown under "values": everything not shown elsewhere on the page. */
const SHOWN = new Set([
  "id", "type", "title", "titleVi", "titleEn", "name", "description", "category", "subCategory", "severity",
  "status", "acknowledged", "acknowledgedBy", "acknowledgedAt", "clearedAt", "clearedBy", "count", "firstSeen",
  "lastSeen", "alertSource", "areaServed", "capCategory", "capSeverity", "capUrgency", "capCertainty",
  "capInstruction", "refIncident", "refRule", "comments", "auditTrail", "location", "createdAt", "modifiedAt",
  "incidentPolicy", "@context",
]);

/** The areas to filter by: an alert names its area (`areaServed`) in Vietnamese, so that is the
 * value the server matches; a name already in the filter stays offered. */
function areaOptions(areas: AreaChoice[], current: string | undefined): AreaChoice[] {
  if (!current || areas.some((a) => a.name.vi === current)) return areas;
  return [...areas, { code: current, name: { vi: current, en: current }, level: "", parent: null }];
}

export function canActOnAlerts(): boolean {
  const role = viewer.value.role;
  return role === "operator" || role === "admin";
}

export function AlertsPage() {
  const { route, query } = useLocation();
  const allowed = signedIn();
  const filters = alertFilters(query);
  const [page, setPage] = useState<{ total: number; items: Alert[] } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const selected = query.id ?? null;

  useEffect(() => {
    if (!allowed) route(`/signin?next=${encodeURIComponent("/alerts" + location.search)}`, true);
  }, [allowed]);

  const load = () =>
    listAlerts(filters)
      .then((p) => {
        setPage(p);
        setError(null);
      })
      .catch((err: unknown) => setError(err instanceof ApiError ? err.detail : String(err)));
  useEffect(() => {
    if (allowed) void load();
  }, [allowed, JSON.stringify(filters)]);
  useLiveRefresh(ALERT_TYPES, () => void load());
  useEffect(() => void loadChoices(), []);

  if (!allowed) return null;
  const set = (key: keyof AlertFilters) => (e: Event) => {
    const value = (e.target as HTMLSelectElement).value || (key === "status" ? "any" : undefined);
    route(alertsHref({ ...filters, [key]: value }, selected), true);
  };
  const l = lang.value;

  return (
    <div class="page page-alerts">
      <TopBar page="alerts" />
      <main class="work-layout">
        <h1 class="visually-hidden">{t("alerts.title")}</h1>
        <section class="work-list" aria-label={t("alerts.list")}>
          <form class="filters" aria-label={t("alerts.filters")} onSubmit={(e) => e.preventDefault()}>
            <label>
              {t("alerts.status")}
              <select value={filters.status ?? ""} onChange={set("status")} name="status">
                <option value="">{t("alerts.any")}</option>
                <option value="active">{t("alerts.statusValues.active")}</option>
                <option value="cleared">{t("alerts.statusValues.cleared")}</option>
              </select>
            </label>
            <label>
              {t("alerts.acknowledged")}
              <select value={filters.acknowledged ?? ""} onChange={set("acknowledged")} name="acknowledged">
                <option value="">{t("alerts.any")}</option>
                <option value="true">{t("alerts.yes")}</option>
                <option value="false">{t("alerts.no")}</option>
              </select>
            </label>
            <label>
              {t("alerts.severity")}
              <select value={filters.severity ?? ""} onChange={set("severity")} name="severity">
                <option value="">{t("alerts.any")}</option>
                {SDM_SEVERITIES.map((s) => (
                  <option key={s} value={s}>
                    {t(`alerts.sdm.${s}`)}
                  </option>
                ))}
              </select>
            </label>
            <label>
              {t("alerts.category")}
              <select value={filters.category ?? ""} onChange={set("category")} name="category">
                <option value="">{t("alerts.any")}</option>
                {CATEGORIES.map((c) => (
                  <option key={c} value={c}>
                    {t(`alerts.categories.${c}`)}
                  </option>
                ))}
              </select>
            </label>
            <label>
              {t("alerts.area")}
              <select value={filters.area ?? ""} onChange={set("area")} name="area">
                <option value="">{t("alerts.any")}</option>
                {areaOptions(choices.value?.areas ?? [], filters.area).map((a) => (
                  <option key={a.code} value={a.name.vi}>
                    {a.name[l]}
                  </option>
                ))}
              </select>
            </label>
          </form>
          {error ? (
            <p class="error" role="alert">
              {error}
            </p>
          ) : null}
          <p class="list-count" aria-live="polite">
            {page ? t("alerts.count", { count: page.total, formatted: formatNumber(page.total, l) }) : t("app.loading")}
          </p>
          {page && page.items.length === 0 ? <p class="hint">{t("alerts.empty")}</p> : null}
          <ul class="alert-list">
            {page?.items.map((a) => (
              <li key={a.id}>
                <a
                  href={alertsHref(filters, a.id)}
                  class={a.id === selected ? "alert-row selected" : "alert-row"}
                  aria-current={a.id === selected ? "true" : undefined}
                  data-alert-id={a.id}
                  data-status={a.status}
                >
                  <SeverityBadge severity={alertSeverity(a)} />
                  <span class="row-title">{alertTitle(a, l)}</span>
                  <span class="row-meta">
                    {a.areaServed ? `${a.areaServed} · ` : ""}
                    {tOr(`alerts.statusValues.${a.status ?? ""}`, a.status ?? "")}
                    {a.acknowledged ? ` · ${t("alerts.acknowledged")}` : ""} · <When iso={a.lastSeen} />
                  </span>
                </a>
              </li>
            ))}
          </ul>
        </section>
        <section class="work-detail" aria-label={t("alerts.detail")}>
          {selected ? (
            <AlertDetail key={selected} id={selected} onChanged={() => void load()} />
          ) : (
            <p class="hint">{t("alerts.pick")}</p>
          )}
        </section>
      </main>
    </div>
  );
}

function AlertDetail({ id, onChanged }: { id: string; onChanged: () => void }) {
  const { route } = useLocation();
  const [alert, setAlert] = useState<Alert | null>(null);
  const [missing, setMissing] = useState(false);
  const [error, run, busy] = useAction();
  const [picking, setPicking] = useState(false);
  const load = () =>
    getAlert(id)
      .then(setAlert)
      .catch(() => setMissing(true));
  useEffect(() => void load(), [id]);
  useLiveRefresh(ALERT_TYPES, () => void load(), id);

  if (missing) return <p class="hint">{t("alerts.notFound")}</p>;
  if (!alert) return <p class="hint">{t("app.loading")}</p>;
  const l = lang.value;
  const act = canActOnAlerts();
  const active = alert.status === "active";
  const change = (work: () => Promise<Alert>) =>
    run(async () => {
      await work();
      await load();
      onChanged();
    });
  const values = Object.entries(alert).filter(([k, v]) => !SHOWN.has(k) && v !== null && typeof v !== "object");

  return (
    <article class="detail-card" data-alert={alert.id} data-status={alert.status}>
      <header class="detail-head">
        <SeverityBadge severity={alertSeverity(alert)} />
        <span class="status-badge" data-status={alert.status}>
          {tOr(`alerts.statusValues.${alert.status ?? ""}`, alert.status ?? "")}
        </span>
        <h2>{alertTitle(alert, l)}</h2>
      </header>
      {alert.description ? <p>{localText(alert.description, l)}</p> : null}
      <div class="action-bar" role="group" aria-label={t("incidents.actions")}>
        {act && active && !alert.acknowledged ? (
          <button type="button" disabled={busy} onClick={() => change(() => acknowledgeAlert(alert.id))}>
            {t("alerts.acknowledge")}
          </button>
        ) : null}
        {act && active ? (
          <button type="button" disabled={busy} onClick={() => change(() => clearAlert(alert.id))}>
            {t("alerts.clear")}
          </button>
        ) : null}
        {alert.refIncident ? (
          <a class="button-link" href={`/incidents/${encodeURIComponent(alert.refIncident)}`}>
            {t("alerts.openIncident")}
          </a>
        ) : act ? (
          <button
            type="button"
            class="button-primary"
            disabled={busy}
            onClick={() =>
              run(async () => {
                const incident = await alertToIncident(alert.id);
                route(`/incidents/${encodeURIComponent(incident.id)}`);
              })
            }
          >
            {t("alerts.createIncident")}
          </button>
        ) : null}
        {!alert.refIncident && act ? (
          <button type="button" aria-expanded={picking} disabled={busy} onClick={() => setPicking(!picking)}>
            {t("link.open")}
          </button>
        ) : null}
        {!act ? <p class="hint">{t("alerts.readOnly")}</p> : null}
      </div>
      {error ? (
        <p class="error" role="alert">
          {error}
        </p>
      ) : null}
      {picking && !alert.refIncident && act ? (
        <IncidentPicker
          busy={busy}
          onPick={(incident) =>
            void run(async () => {
              await linkAlert(alert.id, incident.id);
              route(`/incidents/${encodeURIComponent(incident.id)}`);
            })
          }
        />
      ) : null}
      <dl class="fields">
        <dt>{t("alerts.source")}</dt>
        <dd>{alert.alertSource ?? "—"}</dd>
        <dt>{t("alerts.category")}</dt>
        <dd>
          {tOr(`alerts.categories.${alert.category ?? ""}`, alert.category ?? "—")}
          {alert.subCategory ? ` · ${alert.subCategory}` : ""}
        </dd>
        <dt>{t("alerts.severity")}</dt>
        <dd>{tOr(`alerts.sdm.${alert.severity ?? ""}`, alert.severity ?? "—")}</dd>
        <dt>{t("alerts.area")}</dt>
        <dd>{alert.areaServed ?? "—"}</dd>
        <dt>{t("alerts.repeats")}</dt>
        <dd>{alert.count !== undefined ? formatNumber(alert.count, l, 0) : "—"}</dd>
        <dt>{t("alerts.firstSeen")}</dt>
        <dd>
          <When iso={alert.firstSeen} />
        </dd>
        <dt>{t("alerts.lastSeen")}</dt>
        <dd>
          <When iso={alert.lastSeen} />
        </dd>
        <dt>{t("alerts.acknowledged")}</dt>
        <dd data-field="acknowledged">
          {alert.acknowledged ? (
            <>
              {alert.acknowledgedBy ?? "—"} · <When iso={alert.acknowledgedAt} />
            </>
          ) : (
            t("alerts.notAcknowledged")
          )}
        </dd>
        {alert.clearedAt ? (
          <>
            <dt>{t("alerts.statusValues.cleared")}</dt>
            <dd>
              {alert.clearedBy} · <When iso={alert.clearedAt} />
            </dd>
          </>
        ) : null}
        {alert.refRule ? (
          <>
            <dt>{t("alerts.rule")}</dt>
            <dd>{shortId(alert.refRule)}</dd>
          </>
        ) : null}
      </dl>
      <h3>{t("alerts.cap")}</h3>
      <dl class="fields">
        <CapFields of={alert} order={["category", "severity", "urgency", "certainty"]} />
        {alert.capInstruction ? (
          <>
            <dt>{t("alerts.instruction")}</dt>
            <dd>{localText(alert.capInstruction, l)}</dd>
          </>
        ) : null}
      </dl>
      {values.length > 0 ? (
        <>
          <h3>{t("alerts.values")}</h3>
          <dl class="fields">
            {values.map(([k, v]) => (
              <Fragment key={k}>
                <dt>{tOr(`attrs.${k}`, k)}</dt>
                <dd>{typeof v === "number" ? formatNumber(v, l, 2) : ISO_TIME.test(String(v)) ? <When iso={String(v)} /> : String(v)}</dd>
              </Fragment>
            ))}
          </dl>
        </>
      ) : null}
      <Comments
        comments={alert.comments ?? []}
        onSend={
          act
            ? async (text) => {
                await change(() => commentAlert(alert.id, text));
              }
            : undefined
        }
      />
      <AuditTrail entries={alert.auditTrail ?? []} />
    </article>
  );
}
