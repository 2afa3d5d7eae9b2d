/** The public city page (no sign-in): the map with the public layers, air quality now by station
 * in VN_AQI colours, water levels; Vietnamese by default. */

import { useState } from "preact/hooks";
import { useSensorStatus } from "../api/sensors";
import { store } from "../city";
import { StateBadge, Symbol } from "../components/common";
import { DetailPanel } from "../components/DetailPanel";
import { availableLayers, MapTools } from "../components/MapControls";
import { SearchBox } from "../components/SearchBox";
import { TopBar } from "../components/TopBar";
import { lang, t } from "../i18n";
import { formatNumber, formatValue } from "../i18n/format";
import { CityMap } from "../map/CityMap";
import { num } from "../model/entity";
import { lookOf, stationAqi } from "../model/layers";
import { useStoredList } from "./state";

export function PublicPage() {
  const [visible, setVisible] = useStoredList("cityioc.public.layers", ["air", "flood", "weather", "water"]);
  const [selected, setSelected] = useState<string | null>(null);
  const [focusId, setFocusId] = useState<string | null>(null);
  const layers = availableLayers();
  const shown = visible.filter((v) => layers.includes(v));
  useSensorStatus(); // each type's silence before offline, as the server decides it
  void store.version.value;
  const now = store.now.value;
  const l = lang.value;
  const stations = store
    .ofTypes(["AirQualityObserved"])
    .map((e) => ({ e, aqi: stationAqi(e), look: lookOf(e, now) }))
    .sort((a, b) => (b.aqi ?? -1) - (a.aqi ?? -1));
  const gauges = store
    .ofTypes(["FloodMonitoring"])
    .map((e) => ({ e, look: lookOf(e, now) }))
    .sort((a, b) => b.look.level - a.look.level || a.e.name.localeCompare(b.e.name, "vi"));
  const open = (id: string) => {
    setSelected(id);
    setFocusId(id);
  };

  return (
    <div class="page page-public">
      <a class="skip-link" href="#map-region">
        {t("app.skip")}
      </a>
      <TopBar page="public" />
      <main class="public-layout">
        <h1 class="visually-hidden">{t("nav.public")}</h1>
        <section class="map-region" id="map-region" tabIndex={-1} aria-label={t("map.label")}>
          <CityMap visible={shown} onSelect={setSelected} focusId={focusId} />
          <MapTools visible={shown} onChange={setVisible}>
            <SearchBox onPick={(e) => open(e.id)} />
          </MapTools>
        </section>
        <aside class="public-side">
          {selected ? <DetailPanel id={selected} onClose={() => setSelected(null)} onSelect={open} /> : null}
          <p class="intro">{t("public.intro")}</p>
          <section aria-labelledby="aqi-now">
            <h2 id="aqi-now">
              {t("public.aqiNow")} <span class="count">({t("public.stations", { n: formatNumber(stations.length, l) })})</span>
            </h2>
            <ul class="station-list" data-list="aqi">
              {stations.map(({ e, look }) => (
                <li key={e.id}>
                  <button type="button" onClick={() => open(e.id)} data-entity-id={e.id} data-state={look.state}>
                    <span class="station-name">{e.name}</span>
                    <StateBadge look={look} value={look.badge} />
                  </button>
                </li>
              ))}
            </ul>
            <p class="hint">{t("public.advice")}</p>
          </section>
          <section aria-labelledby="flood-now">
            <h2 id="flood-now">{t("public.floodNow")}</h2>
            <ul class="station-list" data-list="flood">
              {gauges.map(({ e, look }) => {
                const level = num(e, "currentLevel");
                return (
                  <li key={e.id}>
                    <button type="button" onClick={() => open(e.id)} data-entity-id={e.id} data-state={look.state}>
                      <Symbol look={look} size={16} />
                      <span class="station-name">{e.name}</span>
                      <span class="station-value">
                        {level === undefined ? "—" : formatValue("currentLevel", level, e.attrs.currentLevel?.unitCode, l)}
                      </span>
                    </button>
                  </li>
                );
              })}
            </ul>
          </section>
        </aside>
      </main>
    </div>
  );
}
