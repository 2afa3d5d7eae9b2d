/** Live operations (signed in): KPI tiles on the left, the map in the centre with its layers and
 * legend, the live feed on the right; the detail opens over the feed. */

import { useEffect, useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { signedIn } from "../api/session";
import { DetailPanel } from "../components/DetailPanel";
import { KpiTiles } from "../components/KpiTiles";
import { LiveFeed } from "../components/LiveFeed";
import { availableLayers, MapTools } from "../components/MapControls";
import { SearchBox } from "../components/SearchBox";
import { TopBar } from "../components/TopBar";
import { t } from "../i18n";
import { CityMap } from "../map/CityMap";
import { useStoredList } from "./state";

const DEFAULT_LAYERS = ["air", "flood", "traffic", "streetlight", "alerts", "incidents"];

export function OpsPage() {
  const { route } = useLocation();
  const [visible, setVisible] = useStoredList("cityioc.ops.layers", DEFAULT_LAYERS);
  const [selected, setSelected] = useState<string | null>(null);
  const [focusId, setFocusId] = useState<string | null>(null);
  const allowed = signedIn();
  useEffect(() => {
    if (!allowed) route(`/signin?next=${encodeURIComponent("/ops")}`, true);
  }, [allowed]);
  if (!allowed) return null;

  const layers = availableLayers();
  const shown = visible.filter((v) => layers.includes(v));
  const open = (id: string) => {
    setSelected(id);
    setFocusId(id);
  };
  const showLayer = (layer: string) => {
    if (!shown.includes(layer)) setVisible([...shown, layer]);
  };

  return (
    <div class="page page-ops">
      <a class="skip-link" href="#map-region">
        {t("app.skip")}
      </a>
      <TopBar page="ops" />
      <main class="ops-layout">
        <h1 class="visually-hidden">{t("nav.ops")}</h1>
        <div class="ops-left">
          <KpiTiles onShowLayer={showLayer} onSelect={open} />
        </div>
        <section class="map-region" id="map-region" tabIndex={-1} aria-label={t("map.label")}>
          <CityMap visible={shown} onSelect={setSelected} focusId={focusId} />
          <MapTools visible={shown} onChange={setVisible}>
            <SearchBox onPick={(e) => open(e.id)} />
          </MapTools>
        </section>
        <div class="ops-right">
          <LiveFeed onSelect={open} layers={layers} />
          {selected ? <DetailPanel id={selected} onClose={() => setSelected(null)} onSelect={open} /> : null}
        </div>
      </main>
    </div>
  );
}
