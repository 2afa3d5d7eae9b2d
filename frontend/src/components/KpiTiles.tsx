/** KPI tiles of the live operations page; each opens what it counts (incidents and alerts: their
 * pages; the others: the layer or the station). */

import { useSensorStatus } from "../api/sensors";
import { store } from "../city";
import { lang, t } from "../i18n";
import { formatNumber } from "../i18n/format";
import { aqiCategory } from "../model/aqi";
import { computeKpis } from "../model/kpi";
import { look, SEVERITIES, SEVERITY_LOOKS } from "../model/looks";
import { Symbol } from "./common";
import "../styles/kpi-links.css";

interface Props {
  onShowLayer: (layer: string) => void;
  onSelect: (id: string) => void;
}

export function KpiTiles({ onShowLayer, onSelect }: Props) {
  void store.version.value;
  const k = computeKpis(store, store.now.value);
  const sensors = useSensorStatus()?.totals; // online as the server decides it
  const l = lang.value;
  const cat = k.worstAqi ? aqiCategory(k.worstAqi.value) : null;
  return (
    <section class="kpis" aria-label={t("kpi.title")}>
      <h2 class="visually-hidden">{t("kpi.title")}</h2>
      <a class="kpi kpi-link" data-kpi="incidents" href="/incidents">
        <span class="kpi-label">{t("kpi.incidents")}</span>
        <span class="kpi-value">{formatNumber(k.incidentTotal, l)}</span>
        <span class="kpi-severities">
          {SEVERITIES.filter((s) => s !== "Unknown" || k.incidents[s] > 0).map((s) => (
            <span key={s} class="sev-count" title={t(`state.sev-${s}`)}>
              <Symbol look={SEVERITY_LOOKS[s]} size={14} />
              <span class="visually-hidden">{t(`state.sev-${s}`)}: </span>
              {formatNumber(k.incidents[s], l)}
            </span>
          ))}
        </span>
      </a>
      <a class="kpi kpi-link" data-kpi="alerts" href="/alerts">
        <span class="kpi-label">{t("kpi.alerts")}</span>
        <span class="kpi-value">{formatNumber(k.alertTotal, l)}</span>
      </a>
      <div class="kpi kpi-static" data-kpi="reports">
        <span class="kpi-label">{t("kpi.reports")}</span>
        <span class="kpi-value kpi-na">—</span>
        <span class="kpi-note">{t("kpi.reportsLater")}</span>
      </div>
      <button
        type="button"
        class="kpi"
        data-kpi="aqi"
        disabled={!k.worstAqi}
        onClick={() => k.worstAqi && onSelect(k.worstAqi.id)}
      >
        <span class="kpi-label">{t("kpi.aqi")}</span>
        {k.worstAqi && cat ? (
          <>
            <span class="kpi-value">
              <span class="aqi-chip" style={{ background: cat.colour, color: cat.text }}>
                <Symbol look={look(`aqi-${cat.key}`, cat.level, cat.colour)} size={16} />
                {formatNumber(k.worstAqi.value, l, 0)}
              </span>
            </span>
            <span class="kpi-note">
              {t(`state.aqi-${cat.key}`)} · {k.worstAqi.name}
            </span>
          </>
        ) : (
          <span class="kpi-value kpi-na">—</span>
        )}
      </button>
      <button type="button" class="kpi" data-kpi="online" onClick={() => onShowLayer("air")}>
        <span class="kpi-label">{t("kpi.online")}</span>
        <span class="kpi-value">{sensors ? formatNumber(sensors.online, l) : "—"}</span>
        <span class="kpi-note">
          {sensors ? t("kpi.onlineOf", { total: formatNumber(sensors.total, l) }) : ""}
        </span>
      </button>
    </section>
  );
}
