/** The top bar: region, local time, language, navigation and who is signed in. */

import { config, signOut, viewer } from "../api/session";
import { connect } from "../city";
import { lang, t } from "../i18n";
import { Clock, LangSwitch, LiveStatus } from "./common";

export function regionTitle(): string {
  const title = config.value?.title;
  return title ? title[lang.value] : t("app.short");
}

export function TopBar({ page }: { page: "public" | "ops" | "entity" | "signin" | "alerts" | "incidents" | "admin" }) {
  const v = viewer.value;
  const who =
    v.via === "key" ? t("auth.viaKey", { role: v.role ?? "" }) : v.via === "session" ? (v.name ?? v.actor) : null;
  return (
    <header class="top-bar">
      <a class="brand" href={v.via === "public" ? "/" : "/ops"}>
        <span class="brand-name">{page === "public" ? t("app.publicTitle") : t("app.short")}</span>
        <span class="brand-region">{regionTitle()}</span>
      </a>
      <nav aria-label={t("nav.main")} class="top-nav">
        <a href="/" aria-current={page === "public" ? "page" : undefined}>
          {t("nav.public")}
        </a>
        <a href="/ops" aria-current={page === "ops" ? "page" : undefined}>
          {t("nav.ops")}
        </a>
        {v.via !== "public" ? (
          <>
            <a href="/alerts" aria-current={page === "alerts" ? "page" : undefined}>
              {t("nav.alerts")}
            </a>
            <a href="/incidents" aria-current={page === "incidents" ? "page" : undefined}>
              {t("nav.incidents")}
            </a>
            {v.role === "admin" ? (
              <a href="/admin" aria-current={page === "admin" ? "page" : undefined}>
                {t("nav.admin")}
              </a>
            ) : null}
          </>
        ) : null}
        <a href={`/wall?lang=${lang.value}`}>{t("nav.wall")}</a>
      </nav>
      <div class="top-tools">
        <LiveStatus />
        <Clock />
        <LangSwitch />
        {who ? (
          <span class="user">
            <span class="user-name" title={t("auth.signedInAs", { who })}>
              {who}
            </span>
            <button
              type="button"
              class="link-button"
              onClick={async () => {
                await signOut();
                await connect();
              }}
            >
              {t("nav.signOut")}
            </button>
          </span>
        ) : (
          <a class="sign-in" href={`/signin?next=${encodeURIComponent(location.pathname)}`}>
            {t("nav.signIn")}
          </a>
        )}
      </div>
    </header>
  );
}
