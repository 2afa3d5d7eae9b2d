/** "Pick on map" for a new incident: a button opens a small map of the city; a click (or Enter on
 * the focused map, moved with the arrow keys) puts a pin there, shown with its coordinates. */

import { useState } from "preact/hooks";
import { lang, t } from "../i18n";
import { CityMap } from "../map/CityMap";
import { lonLatText } from "../model/lonLat";

const NO_LAYERS: string[] = []; // the areas and roads only: the point is what matters here
const round = (x: number) => Math.round(x * 1e6) / 1e6; // ≈ 0.1 m, plenty for a map click

interface Props {
  point: [number, number] | null;
  onChange: (point: [number, number] | null) => void;
  error?: string;
}

export function LocationPicker({ point, onChange, error }: Props) {
  const [open, setOpen] = useState(false);
  return (
    <fieldset class="wide location-picker" aria-describedby={error ? "new-location-error" : undefined}>
      <legend>{t("pick.location")}</legend>
      <p class="pick-value" data-point={point ? point.join(",") : ""} aria-live="polite">
        {point ? lonLatText(point[0], point[1], lang.value) : t("pick.none")}
      </p>
      <div class="action-bar">
        <button type="button" aria-expanded={open} aria-controls="pick-map" onClick={() => setOpen(!open)}>
          {open ? t("pick.close") : t("pick.open")}
        </button>
        {point ? (
          <button type="button" onClick={() => onChange(null)}>
            {t("pick.clear")}
          </button>
        ) : null}
      </div>
      {open ? (
        <div id="pick-map" class="pick-map">
          <p class="hint">{t("pick.hint")}</p>
          <CityMap
            visible={NO_LAYERS}
            onSelect={() => undefined}
            onPick={(lon, lat) => onChange([round(lon), round(lat)])}
            pin={point}
          />
        </div>
      ) : null}
      {error ? (
        <span class="field-error" id="new-location-error" role="alert">
          {error}
        </span>
      ) : null}
    </fieldset>
  );
}
