/** The entity page: everything about one entity, and its history from a year to an hour. */

import { useLocation } from "preact-iso";
import { EntityDetail } from "../components/EntityDetail";
import { TopBar } from "../components/TopBar";
import { t } from "../i18n";

export function EntityPage() {
  const { path } = useLocation();
  const id = decodeURIComponent(path.replace(/^\/entity\//, ""));
  return (
    <div class="page page-entity">
      <TopBar page="entity" />
      <main class="entity-layout">
        <p>
          <a href="#" onClick={(e) => (e.preventDefault(), history.back())}>
            ← {t("app.back")}
          </a>
        </p>
        <EntityDetail id={id} />
      </main>
    </div>
  );
}
