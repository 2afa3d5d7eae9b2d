/** The app: find out who is asking and what the region is, load the city, then route. */

import { useEffect, useState } from "preact/hooks";
import { LocationProvider, Route, Router } from "preact-iso";
import { bootstrap } from "./api/session";
import { connect } from "./city";
import { t } from "./i18n";
import { setTimeZone } from "./i18n/format";
import { EntityPage } from "./pages/EntityPage";
import { OpsPage } from "./pages/OpsPage";
import { PublicPage } from "./pages/PublicPage";
import { SignInPage } from "./pages/SignInPage";
import { WallPage } from "./pages/WallPage";

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
        <Route path="/entity/*" component={EntityPage} />
        <Route path="/wall" component={WallPage} />
        <Route path="/signin" component={SignInPage} />
        <Route default component={PublicPage} />
      </Router>
    </LocationProvider>
  );
}
