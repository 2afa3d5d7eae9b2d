/** Video-wall mode: dark, large type, panels that rotate without anyone touching anything —
 * live map → active incidents by severity with their SLA countdowns (and active alerts) → air
 * quality by station, ranked → sensors online. The map stays
 * mounted while hidden (re-creating it every rotation would leak and flicker); the other panels
 * are drawn from the store when shown. `?rotate=SECONDS` sets the pace, `?lang=en` the language;
 * arrow keys step through the panels. */

import { useEffect, useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { useSensorStatus } from "../api/sensors";
import { signedIn } from "../api/session";
import { store } from "../city";
import { Clock, LiveStatus, Symbol } from "../components/common";
import { SlaCountdown } from "../components/incidentParts";
import { regionTitle } from "../components/TopBar";
import { lang, t, tOr } from "../i18n";
import { formatDateTime, formatNumber } from "../i18n/format";
import { CityMap } from "../map/CityMap";
import { str } from "../model/entity";
import { computeKpis } from "../model/kpi";
import { isClosedIncident, lookOf, stationAqi } from "../model/layers";
import { SEVERITIES, SEVERITY_LOOKS, severityOf } from "../model/looks";
import { byUrgency, wallIncident } from "../model/wall";

const PANELS = ["map", "incidents", "aqi", "online"] as const;
const LISTED = 10; // rows the incidents panel has room for at wall size
type Panel = (typeof PANELS)[number];

export function WallPage() {
  const { query } = useLocation();
  const seconds = Math.min(Math.max(Number(query.rotate) || 20, 2), 600);
  const [index, setIndex] = useState(0);
  const panel: Panel = PANELS[index];
  useSensorStatus(); // the map's offline markers follow the server's per-type rule

  useEffect(() => {
    const timer = setInterval(() => setIndex((i) => (i + 1) % PANELS.length), seconds * 1000);
    return () => clearInterval(timer);
  }, [seconds, index]);

  useEffect(() => {
    document.body.classList.add("wall-mode");
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "ArrowRight") setIndex((i) => (i + 1) % PANELS.length);
      if (e.key === "ArrowLeft") setIndex((i) => (i + PANELS.length - 1) % PANELS.length);
    };
    document.addEventListener("keydown", onKey);
    return () => {
      document.body.classList.remove("wall-mode");
      document.removeEventListener("keydown", onKey);
    };
  }, []);

  const layers = ["air", "flood", "traffic", "alerts", "incidents", ...(signedIn() ? ["streetlight"] : [])];
  return (
    <div class="page page-wall" data-panel={panel} data-panel-index={index}>
      <header class="wall-bar">
        <div>
          <p class="wall-centre">{t("app.name")}</p>
          <h1 class="wall-region">{regionTitle()}</h1>
        </div>
        <h2 class="wall-panel-title">{t(`wall.${panel}`)}</h2>
        <div class="wall-tools">
          <LiveStatus />
          <Clock withLabel={false} />
        </div>
      </header>
      <main class="wall-main">
        <div class="wall-panel wall-map" hidden={panel !== "map"}>
          <CityMap visible={layers} onSelect={() => undefined} markerSize={wallMarkerSize()} className="dark" interactive={false} />
        </div>
        {panel === "aqi" ? <AqiPanel /> : null}
        {panel === "incidents" ? <IncidentsPanel /> : null}
        {panel === "online" ? <OnlinePanel /> : null}
      </main>
      <footer class="wall-foot">
        <ol class="wall-dots" aria-label={t("wall.panel", { n: index + 1, total: PANELS.length })}>
          {PANELS.map((p, i) => (
            <li key={p} aria-current={i === index ? "step" : undefined}>
              {t(`wall.${p}`)}
            </li>
          ))}
        </ol>
        <div class="wall-progress" key={`${index}`} style={{ animationDuration: `${seconds}s` }} />
      </footer>
    </div>
  );
}

/** Markers readable from across the room: 40 px on a 1080p wall, 80 px on 4K. */
function wallMarkerSize(): number {
  return Math.round(Math.min(Math.max(window.innerWidth / 48, 32), 80));
}

function AqiPanel() {
  void store.version.value;
  const now = store.now.value;
  const l = lang.value;
  const stations = store
    .ofTypes(["AirQualityObserved"])
    .map((e) => ({ e, aqi: stationAqi(e), look: lookOf(e, now) }))
    .sort((a, b) => (b.aqi ?? -1) - (a.aqi ?? -1) || a.e.name.localeCompare(b.e.name, l))
    .slice(0, 24);
  return (
    <section class="wall-panel wall-aqi">
      <ol class="aqi-grid">
        {stations.map(({ e, aqi, look }, n) => (
          <li key={e.id} class="aqi-tile" data-state={look.state} data-rank={n + 1} style={{ background: look.colour, color: look.text }}>
            <span class="aqi-rank">{formatNumber(n + 1, l, 0)}</span>
            <span class="aqi-figure">{aqi === null ? "—" : formatNumber(aqi, l, 0)}</span>
            <span class="aqi-word">{tOr(`state.${look.state}`, look.state)}</span>
            <span class="aqi-station">{e.name}</span>
          </li>
        ))}
      </ol>
    </section>
  );
}

function IncidentsPanel() {
  void store.version.value;
  const l = lang.value;
  if (!signedIn()) {
    return (
      <section class="wall-panel wall-incidents">
        <p class="wall-empty">{t("wall.signInForMore")}</p>
      </section>
    );
  }
  const k = computeKpis(store, store.now.value);
  const incidents = store
    .ofTypes(["Incident"])
    .filter((e) => !isClosedIncident(e))
    .map(wallIncident)
    .sort(byUrgency)
    .slice(0, LISTED);
  const alerts = store
    .ofTypes(["Alert"])
    .filter((e) => (str(e, "status") ?? "active") === "active")
    .map((e) => ({ e, severity: severityOf(e.attrs.capSeverity?.value, e.attrs.severity?.value) }))
    .sort((a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity))
    .slice(0, LISTED - incidents.length);
  return (
    <section class="wall-panel wall-incidents">
      <div class="severity-columns">
        {(["incidents", "alerts"] as const).map((kind) => (
          <div key={kind} class="severity-block">
            <h3>{t(kind === "incidents" ? "wall.incidentsHeading" : "wall.alertsHeading")}</h3>
            <ul>
              {SEVERITIES.map((s) => (
                <li key={s} data-severity={s}>
                  <Symbol look={SEVERITY_LOOKS[s]} size={36} />
                  <span class="sev-name">{t(`state.sev-${s}`)}</span>
                  <span class="sev-figure">{formatNumber(k[kind][s], l)}</span>
                </li>
              ))}
            </ul>
          </div>
        ))}
      </div>
      {incidents.length + alerts.length === 0 ? (
        <p class="wall-empty">{t("wall.noIncidents")}</p>
      ) : (
        <ol class="wall-list">
          {incidents.map((i) => (
            <li key={i.entity.id} data-incident-id={i.entity.id} data-severity={i.severity}>
              <Symbol look={SEVERITY_LOOKS[i.severity]} size={32} />
              <span class="wall-item-name">{titleOf(i.entity.attrs, l) ?? i.entity.name}</span>
              <span class="wall-item-area">{str(i.entity, "areaServed") ?? ""}</span>
              <span class="wall-item-time">
                <SlaCountdown incident={i} />
              </span>
            </li>
          ))}
          {alerts.map(({ e, severity }) => {
            const since = str(e, "dateIssued") ?? str(e, "firstSeen");
            return (
              <li key={e.id} data-alert-id={e.id} data-severity={severity}>
                <Symbol look={SEVERITY_LOOKS[severity]} size={32} />
                <span class="wall-item-name">
                  <span class="wall-kind">{t("wall.alertTag")}</span> {titleOf(e.attrs, l) ?? e.name}
                </span>
                <span class="wall-item-area">{str(e, "areaServed") ?? ""}</span>
                <span class="wall-item-time">{since ? formatDateTime(Date.parse(since), l) : ""}</span>
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}

function titleOf(attrs: Record<string, { value: unknown }>, l: "vi" | "en"): string | null {
  const title = attrs.title?.value;
  if (title && typeof title === "object" && typeof (title as Record<string, unknown>)[l] === "string") {
    return (title as Record<string, string>)[l];
  }
  const flat = attrs[l === "vi" ? "titleVi" : "titleEn"]?.value ?? title;
  return typeof flat === "string" ? flat : null;
}

/** The server decides who is online (`api/sensors.ts`); the panel only draws its figures. */
function OnlinePanel() {
  const l = lang.value;
  const status = useSensorStatus();
  const figure = (n: number | undefined) => (n === undefined ? "—" : formatNumber(n, l));
  return (
    <section class="wall-panel wall-online">
      <p class="online-total">
        <span class="online-figure">{figure(status?.totals.online)}</span>
        <span class="online-of"> / {figure(status?.totals.total)}</span>
      </p>
      <ul class="online-types">
        {(status?.types ?? []).map((row) => (
          <li key={row.type}>
            <span class="online-type">{tOr(`types.${row.type}`, row.type)}</span>
            <span class="online-bar" aria-hidden="true">
              <span style={{ width: `${row.total ? (100 * row.online) / row.total : 0}%` }} />
            </span>
            <span class="online-count">
              {formatNumber(row.online, l)} / {formatNumber(row.total, l)}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}
