/** The app: find out who is asking and what the region is, load the city, then route. */

import { useEffect, useState } from "preact/hooks";
import { LocationProvider, lazy, Route, Router, useLocation } from "preact-iso";
import { bootstrap } from "./api/session";
import { connect } from "./city";
import { t } from "./i18n";
import { setTimeZone } from "./i18n/format";
import { EntityPage } from "./pages/EntityPage";
import { OpsPage } from "./pages/OpsPage";
import { PublicPage } from "./pages/PublicPage";
import { SignInPage } from "./pages/SignInPage";
import { WallPage } from "./pages/WallPage";

// The alerts and incidents pages load when first opened (the map pages stay lean).
const AlertsPage = lazy(() => import("./pages/AlertsPage").then((m) => m.AlertsPage));
const IncidentsPage = lazy(() => import("./pages/IncidentsPage").then((m) => m.IncidentsPage));
const IncidentPage = lazy(() => import("./pages/IncidentPage").then((m) => m.IncidentPage));
const AdminPage = lazy(() => import("./pages/AdminPage").then((m) => m.AdminPage));

export function App() {
  const [state, setState] = useState<"loading" | "ready" | "error">("loading");
  const start = () => {
    setState("loading");
    bootstrap()
      .then((cfg) => {
        setTimeZone(cfg.timezone);
        setState("ready");
        return connect();
      })
      .catch((err: unknown) => {
        console.error("cityioc: start-up failed", err);
        setState("error");
      });
  };
  useEffect(start, []);

  if (state === "loading") return <p class="boot">{t("app.loading")}</p>;
  if (state === "error") {
    return (
      <p class="boot error">
        {t("feed.disconnected")}{" "}
        <button type="button" onClick={start}>
          {t("app.retry")}
        </button>
      </p>
    );
  }
  return (
    <LocationProvider>
      <Router>
        <Route path="/" component={PublicPage} />
        <Route path="/ops" component={OpsPage} />
        <Route path="/entity/*" component={EntityOrWorkPage} />
        <Route path="/alerts" component={AlertsPage} />
        <Route path="/incidents" component={IncidentsPage} />
        <Route path="/incidents/*" component={IncidentPage} />
        <Route path="/admin" component={AdminPage} />
        <Route path="/admin/*" component={AdminPage} />
        <Route path="/wall" component={WallPage} />
        <Route path="/signin" component={SignInPage} />
        <Route default component={PublicPage} />
      </Router>
    </LocationProvider>
  );
}

/** Alerts and incidents have their own pages (with their actions): the map's markers and the
 * feed open `/entity/<id>`, which sends them there. */
function EntityOrWorkPage() {
  const { path, route } = useLocation();
  const id = decodeURIComponent(path.replace(/^\/entity\//, ""));
  const target = id.startsWith("urn:ngsi-ld:Incident:")
    ? `/incidents/${encodeURIComponent(id)}`
    : id.startsWith("urn:ngsi-ld:Alert:")
      ? `/alerts?id=${encodeURIComponent(id)}`
      : null;
  useEffect(() => {
    if (target) route(target, true);
  }, [target]);
  return target ? null : <EntityPage />;
}
