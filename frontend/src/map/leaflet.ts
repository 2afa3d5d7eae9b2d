// Leaflet.markercluster extends the global `L`; expose Leaflet before it loads (imported first).
import "./flat";
import L from "leaflet";

(window as unknown as { L: typeof L }).L = L;

export default L;
