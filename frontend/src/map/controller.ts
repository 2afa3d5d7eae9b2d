/** The map, imperatively: Leaflet with one layer group per map layer (clustered where points are
 * many), markers created once and updated in place when their state changes, the administrative
 * areas and roads as the context that remains when no base-map tiles are reachable. */

import L from "./leaflet";
import "leaflet.markercluster";
import type { UiConfig } from "../api/config";
import { anchor, type Entity, str } from "../model/entity";
import { type LayerDef, layerOf, LAYERS } from "../model/layers";
import type { Look } from "../model/looks";
import type { Change, EntityStore } from "../model/store";
import { clusterHtml, markerHtml } from "./icons";

const DENSE = 400; // markers beyond which a station layer is clustered (clusterDense)

interface Placed {
  marker: L.Marker;
  layer: LayerDef;
  look: Look;
}

export interface MapOptions {
  config: UiConfig;
  store: EntityStore;
  onSelect: (id: string) => void;
  markerSize: number;
  label: string;
  labelOf: (e: Entity, look: Look) => string;
  onTiles: (ok: boolean) => void;
  /** False on the wall: nothing to click, no zoom buttons. */
  interactive: boolean;
}

const LEVEL_ORDER = ["country", "province", "district", "commune"];

function validToday(e: Entity, today: string): boolean {
  const from = str(e, "validFrom");
  const to = str(e, "validTo");
  return (!from || from <= today) && (!to || today < to);
}

export class MapController {
  readonly map: L.Map;
  private groups = new Map<string, L.LayerGroup>();
  private placed = new Map<string, Placed>();
  private context = L.layerGroup();
  private areaLabels: L.Marker[] = [];
  private visible = new Set<string>();
  private unsubscribe: () => void;
  private fitted = false;
  private pin: L.Marker | null = null;

  constructor(
    element: HTMLElement,
    private readonly options: MapOptions,
  ) {
    const { config } = options;
    const center = config.map.center;
    this.map = L.map(element, {
      zoomSnap: 0.5,
      minZoom: 3,
      maxZoom: 19, // clustering needs it, tiles or not
      keyboard: options.interactive,
      zoomControl: options.interactive,
      worldCopyJump: false,
      attributionControl: true,
      center: center ? [center[1], center[0]] : [11.05, 106.67],
      zoom: config.map.zoom ?? 10,
    });
    // The pack's view until the data is in; then the view that holds every sensor.
    this.map.getContainer().setAttribute("aria-label", options.label);
    this.map.attributionControl.setPrefix(false);
    this.addTiles();
    this.map.createPane("areaLabels").style.zIndex = "450"; // above roads, below markers
    this.context.addTo(this.map);
    this.map.on("zoomend resize", () => this.declutterLabels());
    for (const layer of LAYERS) {
      this.groups.set(layer.id, layer.cluster ? this.clusterGroup() : L.layerGroup());
    }
    this.unsubscribe = options.store.subscribe((changes, deleted) => this.update(changes, deleted));
    this.rebuild();
  }

  destroy(): void {
    this.unsubscribe();
    this.map.stop(); // an animation still running after remove() would touch removed panes
    this.map.remove();
    this.placed.clear();
  }

  setVisible(ids: string[]): void {
    this.visible = new Set(ids);
    for (const [id, group] of this.groups) {
      const on = this.visible.has(id);
      if (on && !this.map.hasLayer(group)) group.addTo(this.map);
      if (!on && this.map.hasLayer(group)) group.remove();
    }
  }

  /** Centre on an entity (search, list click) without changing the zoom more than needed. */
  focus(id: string): void {
    const placed = this.placed.get(id);
    if (!placed) {
      const at = anchor(this.options.store.entities.get(id)?.location ?? null);
      if (at) this.map.setView(at, Math.max(this.map.getZoom(), 13));
      return;
    }
    const group = this.groups.get(placed.layer.id);
    if (group instanceof L.MarkerClusterGroup) {
      group.zoomToShowLayer(placed.marker, () => placed.marker.getElement()?.focus());
    } else {
      this.map.setView(placed.marker.getLatLng(), Math.max(this.map.getZoom(), 13));
      placed.marker.getElement()?.focus({ preventScroll: true });
    }
  }

  /** The point an operator picked (a new incident's place), `[lon, lat]`: one pin, moved on
   * each pick; null removes it. */
  setPin(at: [number, number] | null, label: string): void {
    this.pin?.remove();
    this.pin = null;
    if (!at) return;
    this.pin = L.marker([at[1], at[0]], {
      icon: L.divIcon({ className: "pick-pin", html: "<span></span>", iconSize: [22, 22], iconAnchor: [11, 22] }),
      interactive: false,
      keyboard: false,
      title: label,
      zIndexOffset: 2000,
    }).addTo(this.map);
  }

  /** Marker titles in the current language (after a switch). */
  relabel(): void {
    for (const [id, p] of this.placed) {
      const entity = this.options.store.entities.get(id);
      const el = p.marker.getElement();
      if (entity && el) el.title = this.options.labelOf(entity, p.look);
    }
  }

  invalidate(): void {
    this.map.invalidateSize();
  }

  /** For tests: the state drawn for each entity. */
  states(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [id, p] of this.placed) out[id] = p.look.state;
    return out;
  }

  private addTiles(): void {
    const url = this.options.config.map.tilesUrl;
    if (!url) {
      this.options.onTiles(false);
      return;
    }
    let loaded = 0;
    let failed = 0;
    const tiles = L.tileLayer(url, {
      attribution: this.options.config.map.tilesAttribution ?? "",
      maxZoom: 19,
      crossOrigin: true,
    });
    tiles.on("tileload", () => {
      loaded++;
      this.options.onTiles(true);
    });
    tiles.on("tileerror", () => {
      failed++;
      if (loaded === 0 && failed >= 2) this.options.onTiles(false);
    });
    tiles.addTo(this.map);
  }

  private clusterIcon(cluster: L.MarkerCluster): L.DivIcon {
    let worst: Look | null = null;
    for (const m of cluster.getAllChildMarkers()) {
      const look = (m.options as { look?: Look }).look;
      if (look && (worst === null || look.level > worst.level)) worst = look;
    }
    const count = cluster.getChildCount();
    return L.divIcon({
      html: clusterHtml(count, worst ?? { state: "noData", level: -1, colour: "#9CA3AF", text: "#000", shape: "circle" }),
      className: "cluster-icon",
      iconSize: [38, 38],
    });
  }

  private icon(id: string, look: Look, layer: LayerDef): L.DivIcon {
    // Alerts and incidents stand out from the sensors; AQI markers make room for their figure.
    const base = this.options.markerSize;
    const size = layer.sensor ? (look.badge ? base + 4 : base) : base + 10;
    return L.divIcon({
      html: markerHtml(id, look, size),
      className: "marker-icon",
      iconSize: [size, size],
      iconAnchor: [size / 2, size / 2],
    });
  }

  private rebuild(): void {
    const changes: Change[] = [];
    for (const entity of this.options.store.entities.values()) {
      const look = this.options.store.lookOf(entity.id);
      if (look) changes.push({ entity, before: null, after: look });
    }
    this.update(changes, []);
  }

  private clusterGroup(): L.MarkerClusterGroup {
    return L.markerClusterGroup({
      maxClusterRadius: 45,
      disableClusteringAtZoom: 16,
      showCoverageOnHover: false,
      chunkedLoading: true,
      // No cluster animations: cheaper on a wall, and none can outlive the map.
      animate: false,
      iconCreateFunction: (cluster) => this.clusterIcon(cluster),
    });
  }

  /** A layer drawn point by point (stations) is clustered once it would hold more than DENSE
   * markers: thousands of markers take seconds to draw and cannot be told apart anyway, while a
   * city's real stations (tens) stay unclustered. */
  private clusterDense(changes: Change[]): void {
    const adding = new Map<string, number>();
    for (const { entity } of changes) {
      const layer = layerOf(entity.type);
      if (layer && !layer.cluster && !this.placed.has(entity.id)) {
        adding.set(layer.id, (adding.get(layer.id) ?? 0) + 1);
      }
    }
    for (const [id, count] of adding) {
      const group = this.groups.get(id);
      if (!group || group instanceof L.MarkerClusterGroup) continue;
      if (group.getLayers().length + count <= DENSE) continue;
      const markers = group.getLayers() as L.Marker[];
      const shown = this.map.hasLayer(group);
      group.remove();
      group.clearLayers();
      const clustered = this.clusterGroup();
      clustered.addLayers(markers);
      this.groups.set(id, clustered);
      if (shown) clustered.addTo(this.map);
    }
  }

  private update(changes: Change[], deleted: string[]): void {
    let contextChanged = false;
    const refresh = new Map<string, L.Marker[]>();
    const added = new Map<L.LayerGroup, L.Marker[]>();
    for (const id of deleted) this.drop(id);
    this.clusterDense(changes);
    for (const { entity, after } of changes) {
      if (entity.type === "AdministrativeArea" || entity.type === "Road") {
        contextChanged = true;
        continue;
      }
      const layer = layerOf(entity.type);
      const at = anchor(entity.location);
      if (!layer || !at || layer.hidden?.(entity)) {
        this.drop(entity.id);
        continue;
      }
      const group = this.groups.get(layer.id);
      if (!group) continue;
      const existing = this.placed.get(entity.id);
      if (!existing) {
        const marker = L.marker(at, {
          icon: this.icon(entity.id, after, layer),
          zIndexOffset: layer.sensor ? 0 : 1000,
          keyboard: true,
          title: this.options.labelOf(entity, after),
          alt: entity.name,
          riseOnHover: true,
        });
        (marker.options as { look?: Look }).look = after;
        marker.on("click", () => this.options.onSelect(entity.id));
        // Leaflet focuses markers but only opens popups with Enter: open the detail with it too.
        marker.on("keydown", (e) => {
          const key = (e as L.LeafletKeyboardEvent).originalEvent.key;
          if (key === "Enter" || key === " ") {
            (e as L.LeafletKeyboardEvent).originalEvent.preventDefault();
            this.options.onSelect(entity.id);
          }
        });
        this.placed.set(entity.id, { marker, layer, look: after });
        const batch = added.get(group);
        if (batch) batch.push(marker);
        else added.set(group, [marker]);
        continue;
      }
      const moved = !existing.marker.getLatLng().equals(at);
      if (moved) existing.marker.setLatLng(at);
      if (existing.look.state !== after.state || existing.look.badge !== after.badge) {
        existing.look = after;
        (existing.marker.options as { look?: Look }).look = after;
        existing.marker.setIcon(this.icon(entity.id, after, layer));
        const el = existing.marker.getElement();
        if (el) el.title = this.options.labelOf(entity, after);
        if (group instanceof L.MarkerClusterGroup) {
          const list = refresh.get(layer.id) ?? [];
          list.push(existing.marker);
          refresh.set(layer.id, list);
        }
      }
    }
    for (const [layerId, markers] of refresh) {
      (this.groups.get(layerId) as L.MarkerClusterGroup).refreshClusters(markers);
    }
    // Fit before the new markers are in the page (no layout forced over thousands of them), then
    // add each group's at once: clustered groups cluster them in one pass, not one per marker.
    if (!this.fitted && this.placed.size > 0) this.fitToMarkers();
    for (const [group, markers] of added) {
      if (group instanceof L.MarkerClusterGroup) group.addLayers(markers);
      else for (const marker of markers) group.addLayer(marker);
    }
    if (contextChanged) this.drawContext();
  }

  private drop(id: string): void {
    const placed = this.placed.get(id);
    if (!placed) return;
    this.groups.get(placed.layer.id)?.removeLayer(placed.marker);
    placed.marker.off();
    this.placed.delete(id);
  }

  private fitToMarkers(): void {
    const bounds = L.latLngBounds([...this.placed.values()].map((p) => p.marker.getLatLng()));
    // Keep the points clear of the tools panel floating over the map's right side.
    const tools = this.map.getContainer().closest(".map-region")?.querySelector<HTMLElement>(".map-tools");
    const right = tools && tools.offsetWidth < this.map.getSize().x / 2 ? tools.offsetWidth + 16 : 24;
    if (bounds.isValid()) {
      this.map.fitBounds(bounds, {
        paddingTopLeft: [24, 24],
        paddingBottomRight: [right, 24],
        maxZoom: 13,
        animate: false,
      });
    }
    this.fitted = true;
  }

  /** Areas (boundaries where present, else labels at their centroids) and roads. */
  private drawContext(): void {
    this.context.clearLayers();
    this.areaLabels = [];
    const today = new Date().toISOString().slice(0, 10);
    const store = this.options.store;
    for (const road of store.ofTypes(["Road"])) {
      if (road.location?.type !== "LineString") continue;
      const line = (road.location.coordinates as [number, number][]).map(
        ([lon, lat]) => [lat, lon] as [number, number],
      );
      L.polyline(line, { className: "road-line", interactive: false, weight: 4 }).addTo(this.context);
    }
    const areas = store.ofTypes(["AdministrativeArea"]).filter((a) => validToday(a, today));
    // The finest level present is what people look for; coarser ones only where nothing finer is.
    const finest = Math.max(...areas.map((a) => LEVEL_ORDER.indexOf(str(a, "level") ?? "")), 0);
    for (const area of areas) {
      const geometry = area.location;
      if (geometry && (geometry.type === "Polygon" || geometry.type === "MultiPolygon")) {
        L.geoJSON(geometry as GeoJSON.Geometry, {
          interactive: false,
          style: { className: "area-shape", weight: 1.5, fillOpacity: 0.04 },
        }).addTo(this.context);
      }
      if (LEVEL_ORDER.indexOf(str(area, "level") ?? "") !== finest) continue;
      const at = anchor(geometry);
      if (!at) continue;
      const label = L.marker(at, {
        interactive: false,
        keyboard: false,
        pane: "areaLabels",
        icon: L.divIcon({
          className: "area-label",
          html: `<span>${escapeHtml(area.name)}</span>`,
          iconSize: undefined,
        }),
      }).addTo(this.context);
      this.areaLabels.push(label);
    }
    this.declutterLabels();
  }

  /** Show only the area labels that do not overlap one shown before them: where wards crowd
   * together (the south of the province at its full extent) overlapping names read as neither;
   * zooming in brings the hidden ones back. */
  private declutterLabels(): void {
    const shown: DOMRect[] = [];
    for (const label of this.areaLabels) {
      const text = label.getElement()?.querySelector("span");
      if (!text) continue;
      text.style.visibility = "";
      const box = text.getBoundingClientRect();
      const clash = shown.some(
        (b) => box.left < b.right && b.left < box.right && box.top < b.bottom && b.top < box.bottom,
      );
      if (clash) text.style.visibility = "hidden";
      else shown.push(box);
    }
  }
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
