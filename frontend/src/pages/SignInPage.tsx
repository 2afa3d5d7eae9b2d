/** Sign in with an account (`POST /api/v1/session`); until accounts exist on a server, the
 * clearly marked fallback: an API key kept in this tab only. */

import { useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { ApiError } from "../api/client";
import { accountsAvailable, signIn, signInWithKey } from "../api/session";
import { TopBar } from "../components/TopBar";
import { connect } from "../city";
import { t } from "../i18n";

export function SignInPage() {
  const { route, query } = useLocation();
  // Back where the user came from (a local path only), or to the operations page.
  const asked = query.next ?? "";
  const next = asked.startsWith("/") && !asked.startsWith("//") && asked !== "/" ? asked : "/ops";
  const [error, setError] = useState<string | null>(null);
  const [keyError, setKeyError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const done = async () => {
    await connect();
    route(next);
  };

  return (
    <div class="page page-signin">
      <TopBar page="signin" />
      <main class="signin-layout">
        <h1>{t("auth.title")}</h1>
        {accountsAvailable.value ? (
          <form
            class="card"
            onSubmit={async (e) => {
              e.preventDefault();
              const form = new FormData(e.currentTarget as HTMLFormElement);
              setBusy(true);
              setError(null);
              try {
                await signIn(String(form.get("username")), String(form.get("password")));
                await done();
              } catch (err) {
                setError(t("auth.failed", { detail: err instanceof ApiError ? err.detail : String(err) }));
              } finally {
                setBusy(false);
              }
            }}
          >
            <label>
              {t("auth.username")}
              <input name="username" autoComplete="username" required />
            </label>
            <label>
              {t("auth.password")}
              <input name="password" type="password" autoComplete="current-password" required />
            </label>
            {error ? (
              <p class="error" role="alert">
                {error}
              </p>
            ) : null}
            <button type="submit" class="button-primary" disabled={busy}>
              {t("auth.submit")}
            </button>
          </form>
        ) : (
          <p class="notice">{t("auth.unavailable")}</p>
        )}
        <details class="card key-fallback" open={!accountsAvailable.value}>
          <summary>{t("auth.keyTitle")}</summary>
          <p class="hint">{t("auth.keyHint")}</p>
          <form
            onSubmit={async (e) => {
              e.preventDefault();
              const form = new FormData(e.currentTarget as HTMLFormElement);
              setKeyError(null);
              if (await signInWithKey(String(form.get("key")).trim())) await done();
              else setKeyError(t("auth.keyInvalid"));
            }}
          >
            <label>
              {t("auth.key")}
              <input name="key" type="password" autoComplete="off" required spellcheck={false} />
            </label>
            {keyError ? (
              <p class="error" role="alert">
                {keyError}
              </p>
            ) : null}
            <button type="submit">{t("auth.keySubmit")}</button>
          </form>
        </details>
      </main>
    </div>
  );
}
