/** The incident board: one column per status (new → resolved), each card with its severity and
 * its SLA countdown (red once overdue). Filters by name (category, area, agency from the incident
 * choices), kept in the address. Agencies see their own incidents only (the server filters), so
 * they get no agency filter. Live: the board reloads when an incident changes. */

import { useEffect, useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { filterQuery } from "../api/alerts";
import { choices, loadChoices } from "../api/choices";
import { ApiError } from "../api/client";
import { type BoardColumn, type BoardFilters, type IncidentSummary, loadBoard } from "../api/incidents";
import { signedIn, viewer } from "../api/session";
import { AgencyName, SeverityBadge, SlaCountdown, StatusBadge, useLiveRefresh } from "../components/incidentParts";
import { NewIncidentForm } from "../components/NewIncidentForm";
import { TopBar } from "../components/TopBar";
import { lang, t } from "../i18n";
import { formatNumber } from "../i18n/format";
import { boardFilters } from "../model/boardUrl";
import { agencyValue, type Choice, choiceGroups } from "../model/filterChoices";
import { BOARD_STATUSES, localText } from "../model/incidents";
import { SEVERITIES, severityOf } from "../model/looks";
import "../styles/incidents.css";

const INCIDENT_TYPES = ["Incident"];

export function IncidentsPage() {
  const { path, query, route } = useLocation();
  const allowed = signedIn();
  const filters = boardFilters(query);
  const [columns, setColumns] = useState<BoardColumn[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [opening, setOpening] = useState(false);
  const mayOpen = viewer.value.role === "operator" || viewer.value.role === "admin";
  const isAgency = viewer.value.role === "agency";

  useEffect(() => {
    if (!allowed) route(`/signin?next=${encodeURIComponent(path + location.search)}`, true);
  }, [allowed]);
  const load = () =>
    loadBoard(filters)
      .then((b) => {
        setColumns(b.columns);
        setError(null);
      })
      .catch((err: unknown) => setError(err instanceof ApiError ? err.detail : String(err)));
  useEffect(() => {
    if (allowed) void load();
  }, [allowed, JSON.stringify(filters)]);
  useEffect(() => {
    if (allowed) void loadChoices();
  }, [allowed]);
  useLiveRefresh(INCIDENT_TYPES, () => void load());
  if (!allowed) return null;

  const setFilters = (next: BoardFilters) => {
    const qs = filterQuery(next);
    route(qs ? `/incidents?${qs}` : "/incidents", true);
  };
  const set = (key: keyof BoardFilters) => (e: Event) => {
    const el = e.target as HTMLInputElement;
    const value = el.type === "checkbox" ? el.checked || undefined : el.value.trim() || undefined;
    setFilters({ ...filters, [key]: value });
  };
  const byStatus = new Map((columns ?? []).map((c) => [c.status, c]));
  const l = lang.value;
  const c = choices.value;
  const categories: Choice[] = (c?.categories ?? []).map((x) => ({ value: x.code, name: x.name, group: x.group }));
  const areas: Choice[] = (c?.areas ?? []).map((x) => ({ value: x.code, name: x.name }));
  const agencies: Choice[] = (c?.agencies ?? []).map((x) => ({ value: x.id, name: x.name }));

  return (
    <div class="page page-incidents">
      <TopBar page="incidents" />
      <main class="board-layout">
        <div class="board-head">
          <h1>{t("incidents.board")}</h1>
          {mayOpen && !opening ? (
            <button type="button" class="button-primary" onClick={() => setOpening(true)}>
              {t("newIncident.open")}
            </button>
          ) : null}
        </div>
        {opening ? <NewIncidentForm onCancel={() => setOpening(false)} /> : null}
        <form class="filters" aria-label={t("incidents.filters")} onSubmit={(e) => e.preventDefault()}>
          <label>
            {t("incidents.severity")}
            <select name="severity" value={filters.severity ?? ""} onChange={set("severity")}>
              <option value="">{t("incidents.any")}</option>
              {SEVERITIES.map((s) => (
                <option key={s} value={s}>
                  {t(`state.sev-${s}`)}
                </option>
              ))}
            </select>
          </label>
          <ChoiceFilter
            name="category"
            label={t("incidents.category")}
            choices={categories}
            value={filters.category}
            onChange={set("category")}
          />
          <ChoiceFilter name="area" label={t("incidents.area")} choices={areas} value={filters.area} onChange={set("area")} />
          {isAgency ? null : (
            <ChoiceFilter
              name="agency"
              label={t("incidents.agency")}
              choices={agencies}
              value={agencyValue(filters.agency)}
              onChange={set("agency")}
            />
          )}
          <label class="check">
            <input name="overdue" type="checkbox" checked={!!filters.overdue} onChange={set("overdue")} />
            {t("incidents.overdue")}
          </label>
        </form>
        {error ? (
          <p class="error" role="alert">
            {error}
          </p>
        ) : null}
        {!columns ? <p class="hint">{t("app.loading")}</p> : null}
        <div class="board">
          {columns
            ? BOARD_STATUSES.map((status) => {
                const column = byStatus.get(status);
                const items = column?.items ?? [];
                const total = column?.total ?? 0;
                return (
                  <section key={status} class="board-column" data-column={status} aria-labelledby={`col-${status}`}>
                    <h2 id={`col-${status}`}>
                      <StatusBadge status={status} /> <span class="column-total">{formatNumber(total, l, 0)}</span>
                    </h2>
                    {items.length === 0 ? <p class="hint">{t("incidents.empty")}</p> : null}
                    <ul>
                      {items.map((i) => (
                        <li key={i.id}>
                          <IncidentCard incident={i} />
                        </li>
                      ))}
                    </ul>
                    {total > items.length ? (
                      <p class="hint">{t("incidents.more", { count: total - items.length })}</p>
                    ) : null}
                  </section>
                );
              })
            : null}
        </div>
      </main>
    </div>
  );
}

/** A filter by name: "all", then the choices (in their groups); the value sent is the code. */
function ChoiceFilter(props: {
  name: string;
  label: string;
  choices: Choice[];
  value: string | undefined;
  onChange: (e: Event) => void;
}) {
  const groups = choiceGroups(props.choices, lang.value, props.value);
  const options = (g: (typeof groups)[number]) =>
    g.options.map((o) => (
      <option key={o.value} value={o.value}>
        {o.label}
      </option>
    ));
  return (
    <label>
      {props.label}
      <select name={props.name} value={props.value ?? ""} onChange={props.onChange}>
        <option value="">{t("incidents.any")}</option>
        {groups.map((g) =>
          g.label === null ? (
            options(g)
          ) : (
            <optgroup key={g.label} label={g.label}>
              {options(g)}
            </optgroup>
          ),
        )}
      </select>
    </label>
  );
}

function IncidentCard({ incident: i }: { incident: IncidentSummary }) {
  const l = lang.value;
  return (
    <a class="incident-card" href={`/incidents/${encodeURIComponent(i.id)}`} data-incident-id={i.id} data-status={i.status}>
      <span class="card-top">
        <SeverityBadge severity={severityOf(i.capSeverity, null)} />
        <SlaCountdown incident={i} />
      </span>
      <span class="card-title">{localText(i.title, l) || i.id}</span>
      <span class="row-meta">
        {i.areaServed ? `${i.areaServed} · ` : ""}
        <AgencyName id={i.agency} />
        {i.assignee ? ` · ${i.assignee}` : ""}
      </span>
    </a>
  );
}
