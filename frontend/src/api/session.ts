/** Who is using the page: the public, a signed-in user (cookie session, `/api/v1/session`), or
 * an operator using the API-key fallback. */

import { signal } from "@preact/signals";
import { type Lang, setLang } from "../i18n";
import { ApiError, api, apiKey, setApiKey, setCsrfToken } from "./client";
import { loadConfig, type UiConfig } from "./config";

export interface Viewer {
  via: "public" | "session" | "key";
  actor: string;
  role: string | null;
  name: string | null;
}

interface SessionBody {
  user: { username: string; displayName?: string | null; role: string; locale?: string | null };
  csrfToken: string;
}

export const PUBLIC: Viewer = { via: "public", actor: "public", role: null, name: null };
export const viewer = signal<Viewer>(PUBLIC);
export const config = signal<UiConfig | null>(null);
/** False once the server answered that it has no accounts (the key fallback is then offered). */
export const accountsAvailable = signal(true);

export function signedIn(): boolean {
  return viewer.value.via !== "public";
}

function fromSession(body: SessionBody): Viewer {
  setCsrfToken(body.csrfToken);
  const u = body.user;
  return { via: "session", actor: `user:${u.username}`, role: u.role, name: u.displayName || u.username };
}

async function currentSession(): Promise<Viewer | null> {
  try {
    return fromSession(await api<SessionBody>("/api/v1/session"));
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 405)) {
      accountsAvailable.value = false;
    }
    return null;
  }
}

/** Load the config and find out who we are. A stale key is dropped; a stale cookie cleared. */
export async function bootstrap(): Promise<UiConfig> {
  let cfg: UiConfig;
  try {
    cfg = await loadConfig();
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 401) throw err;
    if (apiKey()) setApiKey(null);
    else await api("/api/v1/session", { method: "DELETE" }).catch(() => undefined);
    cfg = await loadConfig();
  }
  config.value = cfg;
  if (apiKey() && cfg.viewer.role) {
    viewer.value = { via: "key", actor: cfg.viewer.actor, role: cfg.viewer.role, name: null };
  } else {
    viewer.value = (await currentSession()) ?? PUBLIC;
  }
  return cfg;
}

export async function signIn(username: string, password: string): Promise<void> {
  const body = await api<SessionBody>("/api/v1/session", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username, password }),
  });
  setApiKey(null);
  viewer.value = fromSession(body);
  const locale = body.user.locale;
  if (locale === "vi" || locale === "en") setLang(locale as Lang);
}

/** The fallback: check the key against the server, then keep it for this tab. */
export async function signInWithKey(key: string): Promise<boolean> {
  setApiKey(key);
  try {
    const cfg = await loadConfig();
    if (!cfg.viewer.role) throw new ApiError(401, "not a key");
    viewer.value = { via: "key", actor: cfg.viewer.actor, role: cfg.viewer.role, name: null };
    config.value = cfg;
    return true;
  } catch {
    setApiKey(null);
    return false;
  }
}

export async function signOut(): Promise<void> {
  if (viewer.value.via === "session") {
    await api("/api/v1/session", { method: "DELETE" }).catch(() => undefined);
  }
  setApiKey(null);
  setCsrfToken(null);
  viewer.value = PUBLIC;
}

/** The entity types this viewer may read: everything when signed in, else the public ones. */
export function readableTypes(types: string[]): string[] {
  const cfg = config.value;
  if (signedIn() || !cfg) return types;
  return types.filter((t) => cfg.publicTypes.includes(t));
}
