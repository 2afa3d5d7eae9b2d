/** The map as a component: the controller lives as long as the component; visible layers and
 * the selection come in as props. Exposes the drawn states to tests (`window.__cityioc`). */

import { useEffect, useRef, useState } from "preact/hooks";
import { config } from "../api/session";
import { store } from "../city";
import { lang, t, tOr } from "../i18n";
import type { Entity } from "../model/entity";
import type { Look } from "../model/looks";
import { testHook } from "../testhook";
import { MapController } from "./controller";

interface Props {
  visible: string[];
  onSelect: (id: string) => void;
  markerSize?: number;
  focusId?: string | null;
  className?: string;
  interactive?: boolean;
  /** Picking a point (a new incident's place): a click, or Enter for the map's centre. */
  onPick?: (lon: number, lat: number) => void;
  /** The picked point, `[lon, lat]`, shown as a pin. */
  pin?: [number, number] | null;
}

function labelOf(e: Entity, look: Look): string {
  const state = tOr(`state.${look.state}`, look.state);
  const badge = look.badge ? ` ${look.badge}` : "";
  return `${e.name} — ${tOr(`types.${e.type}`, e.type)}: ${state}${badge}`;
}

/** Clicks pick their point; Enter on the focused map (moved with the arrow keys) picks its centre. */
function listenForPicks(c: MapController, picked: (lon: number, lat: number) => void): void {
  const container = c.map.getContainer();
  container.classList.add("picking");
  c.map.on("click", (e) => picked(e.latlng.lng, e.latlng.lat));
  container.addEventListener("keydown", (e) => {
    if (e.key !== "Enter" || e.target !== container) return;
    e.preventDefault();
    const centre = c.map.getCenter();
    picked(centre.lng, centre.lat);
  });
}

export function CityMap({ visible, onSelect, markerSize = 20, focusId, className, interactive = true, onPick, pin }: Props) {
  const element = useRef<HTMLDivElement>(null);
  const controller = useRef<MapController | null>(null);
  const select = useRef(onSelect);
  select.current = onSelect;
  const pick = useRef(onPick);
  pick.current = onPick;
  const [tiles, setTiles] = useState<boolean | null>(null);

  useEffect(() => {
    const cfg = config.value;
    if (!element.current || !cfg) return;
    const c = new MapController(element.current, {
      config: cfg,
      store,
      onSelect: (id) => select.current(id),
      markerSize,
      label: t("map.label"),
      labelOf,
      onTiles: setTiles,
      interactive,
    });
    controller.current = c;
    testHook.map = c;
    if (pick.current) listenForPicks(c, (lon, lat) => pick.current?.(lon, lat));
    const resize = new ResizeObserver(() => c.invalidate());
    resize.observe(element.current);
    return () => {
      resize.disconnect();
      if (testHook.map === c) testHook.map = null;
      c.destroy();
      controller.current = null;
    };
  }, [markerSize]);

  useEffect(() => {
    controller.current?.setVisible(visible);
  }, [visible.join(",")]);

  useEffect(() => {
    if (focusId) controller.current?.focus(focusId);
  }, [focusId]);

  useEffect(() => {
    controller.current?.relabel();
  }, [lang.value]);

  useEffect(() => {
    controller.current?.setPin(pin ?? null, t("pick.pin"));
  }, [pin?.[0], pin?.[1], lang.value]);

  return (
    <div class={`city-map-wrap ${className ?? ""}`}>
      <div ref={element} class="city-map" data-tiles={tiles === true ? "on" : "off"} />
      {tiles === false && config.value?.map.tilesUrl ? (
        <p class="map-notice" role="status">
          {t("map.noTiles")}
        </p>
      ) : null}
    </div>
  );
}
