/** Administration (admins only; the server refuses everyone else): API keys, user accounts, alert
 * rules, agencies and areas, procedures, dead letters — one tab each, at `/admin/<tab>`. */

import { useEffect } from "preact/hooks";
import { useLocation } from "preact-iso";
import { viewer } from "../api/session";
import { TopBar } from "../components/TopBar";
import { t } from "../i18n";
import { AgenciesTab } from "./admin/AgenciesTab";
import { DeadLettersTab } from "./admin/DeadLettersTab";
import { KeysTab } from "./admin/KeysTab";
import { RulesTab } from "./admin/RulesTab";
import { SopsTab } from "./admin/SopsTab";
import { UsersTab } from "./admin/UsersTab";
import "../styles/incidents.css";
import "../styles/admin.css";

const TABS = {
  keys: KeysTab,
  users: UsersTab,
  rules: RulesTab,
  agencies: AgenciesTab,
  sops: SopsTab,
  "dead-letters": DeadLettersTab,
} as const;
type Tab = keyof typeof TABS;

export function AdminPage() {
  const { path, route } = useLocation();
  const role = viewer.value.role;
  const signedIn = viewer.value.via !== "public";
  const asked = path.replace(/^\/admin\/?/, "").split("/")[0] || "keys";
  const tab: Tab = asked in TABS ? (asked as Tab) : "keys";

  useEffect(() => {
    if (!signedIn) route(`/signin?next=${encodeURIComponent(path)}`, true);
  }, [signedIn]);
  if (!signedIn) return null;

  const Body = TABS[tab];
  return (
    <div class="page page-admin">
      <TopBar page="admin" />
      <main class="admin-layout">
        <h1>{t("admin.title")}</h1>
        {role !== "admin" ? (
          <p class="error" role="alert">
            {t("admin.adminsOnly")}
          </p>
        ) : (
          <>
            <nav class="admin-tabs" aria-label={t("admin.sections")}>
              {(Object.keys(TABS) as Tab[]).map((name) => (
                <a key={name} href={`/admin/${name}`} aria-current={name === tab ? "page" : undefined}>
                  {t(`admin.tabs.${name}`)}
                </a>
              ))}
            </nav>
            <section class="admin-body" aria-labelledby="admin-tab-h" data-tab={tab}>
              <h2 id="admin-tab-h">{t(`admin.tabs.${tab}`)}</h2>
              <Body />
            </section>
          </>
        )}
      </main>
    </div>
  );
}
