import "@fontsource/be-vietnam-pro/400.css";
import "@fontsource/be-vietnam-pro/500.css";
import "@fontsource/be-vietnam-pro/700.css";
import "leaflet/dist/leaflet.css";
import "leaflet.markercluster/dist/MarkerCluster.css";
import "./styles/app.css";
import "./styles/map.css";
import "./styles/wall.css";

import { render } from "preact";
import { App } from "./app";
import { feed, liveStatus, loadState, store } from "./city";
import "./i18n";
import { lang } from "./i18n";
import { testHook } from "./testhook";

// Read-only views for the browser tests (tests/ui): states drawn, sizes, stream status.
window.__cityioc = {
  get ready() {
    return loadState.value === "ready";
  },
  get lang() {
    return lang.value;
  },
  get live() {
    return liveStatus.value;
  },
  entityCount: () => store.entities.size,
  state: (id: string) => store.lookOf(id)?.state ?? null,
  mapStates: () => testHook.map?.states() ?? {},
  feedSize: () => feed.items.value.length,
};

render(<App />, document.getElementById("app")!);
