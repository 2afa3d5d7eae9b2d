/** Layer switcher and legend. The legend lists exactly what the visible layers can draw. */

import type * as preact from "preact";
import { config, signedIn } from "../api/session";
import { t } from "../i18n";
import { LAYERS } from "../model/layers";
import { NO_DATA, OFFLINE } from "../model/looks";
import { Symbol } from "./common";

/** The map layers this viewer may see. */
export function availableLayers(): string[] {
  const cfg = config.value;
  const known = new Set(LAYERS.map((l) => l.id));
  if (!cfg) return [];
  return cfg.layers.filter((l) => known.has(l.id) && (l.public || signedIn())).map((l) => l.id);
}

interface SwitchProps {
  visible: string[];
  onChange: (visible: string[]) => void;
}

export function LayerSwitcher({ visible, onChange }: SwitchProps) {
  const layers = availableLayers();
  return (
    <fieldset class="layer-switcher">
      <legend>{t("layers.title")}</legend>
      {layers.map((id) => (
        <label key={id} class="check">
          <input
            type="checkbox"
            name="layer"
            value={id}
            checked={visible.includes(id)}
            onChange={(e) => {
              const on = (e.currentTarget as HTMLInputElement).checked;
              onChange(on ? [...visible, id] : visible.filter((v) => v !== id));
            }}
          />
          {t(`layers.${id}`)}
        </label>
      ))}
    </fieldset>
  );
}

export function Legend({ visible }: { visible: string[] }) {
  const shown = LAYERS.filter((l) => visible.includes(l.id));
  return (
    <section class="legend" aria-label={t("legend.title")}>
      {shown.map((layer) => (
        <div key={layer.id} class="legend-layer">
          <h2>{t(`layers.${layer.id}`)}</h2>
          <ul>
            {dedupe(layer.legend).map((look) => (
              <li key={look.state} data-state={look.state}>
                <Symbol look={look} size={16} />
                {t(`state.${look.state}`)}
              </li>
            ))}
          </ul>
        </div>
      ))}
      {shown.some((l) => l.sensor) ? (
        <ul class="legend-common">
          <li data-state="offline">
            <Symbol look={OFFLINE} size={16} />
            {t("legend.offline")}
          </li>
          <li data-state="noData">
            <Symbol look={NO_DATA} size={16} />
            {t("legend.noData")}
          </li>
        </ul>
      ) : null}
    </section>
  );
}

function dedupe<T extends { state: string }>(looks: T[]): T[] {
  const seen = new Set<string>();
  return looks.filter((l) => (seen.has(l.state) ? false : (seen.add(l.state), true)));
}

const WIDE = typeof window !== "undefined" && window.innerWidth > 760;

interface ToolsProps extends SwitchProps {
  children?: preact.ComponentChildren;
}

/** What floats over the map: search and layers (top right), the legend (bottom left); folded
 * away on narrow screens. */
export function MapTools({ visible, onChange, children }: ToolsProps) {
  return (
    <>
      <div class="map-tools">
        {children}
        <details class="map-box map-layers" open={WIDE}>
          <summary>{t("layers.title")}</summary>
          <LayerSwitcher visible={visible} onChange={onChange} />
        </details>
      </div>
      <details class="map-box map-legend" open={WIDE}>
        <summary>{t("legend.title")}</summary>
        <Legend visible={visible} />
      </details>
    </>
  );
}
