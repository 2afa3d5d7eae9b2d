/** One incident: its fields and deadlines, the responsible agency, the linked alerts, the
 * procedure checklist, the transitions the server allows this viewer (`actions`), comments,
 * the resolution and the audit trail. Live: reloads when the incident changes. */

import { Fragment } from "preact";
import { useEffect, useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { categoryName } from "../api/choices";
import {
  assignIncident,
  commentIncident,
  getIncident,
  type IncidentDetails,
  resolveIncident,
  stepDone,
  stepSkip,
  transition,
} from "../api/incidents";
import { signedIn } from "../api/session";
import {
  AgencyName,
  AuditTrail,
  Comments,
  SeverityBadge,
  SlaCountdown,
  StatusBadge,
  useAction,
  useLiveRefresh,
  When,
} from "../components/incidentParts";
import { AssignForm } from "../components/AssignForm";
import { CapFields } from "../components/CapValue";
import { SopChecklist } from "../components/SopChecklist";
import { TopBar } from "../components/TopBar";
import { lang, t, tOr } from "../i18n";
import { alertSeverity, alertTitle, localText } from "../model/incidents";
import { lonLatText, pointOf } from "../model/lonLat";
import { severityOf } from "../model/looks";
import "../styles/incidents.css";

/** Actions that need words first: a resolution note, a reason to cancel. */
const NEEDS_TEXT = new Set(["resolve", "cancel"]);

export function IncidentPage() {
  const { path, route } = useLocation();
  const id = decodeURIComponent(path.replace(/^\/incidents\//, ""));
  const allowed = signedIn();
  const [incident, setIncident] = useState<IncidentDetails | null>(null);
  const [missing, setMissing] = useState(false);
  const [error, run, busy] = useAction();

  useEffect(() => {
    if (!allowed) route(`/signin?next=${encodeURIComponent(path)}`, true);
  }, [allowed]);
  const load = () =>
    getIncident(id)
      .then((i) => {
        setIncident(i);
        setMissing(false);
      })
      .catch(() => setMissing(true));
  useEffect(() => {
    if (allowed) void load();
  }, [allowed, id]);
  useLiveRefresh(["Incident"], () => void load(), id);
  if (!allowed) return null;

  const change = (work: () => Promise<IncidentDetails>) =>
    run(async () => {
      setIncident(await work());
    });

  return (
    <div class="page page-incident">
      <TopBar page="incidents" />
      <main class="incident-layout">
        <p>
          <a href="/incidents">← {t("incidents.back")}</a>
        </p>
        {missing ? <p class="hint">{t("incidents.notFound")}</p> : null}
        {!missing && !incident ? <p class="hint">{t("app.loading")}</p> : null}
        {incident ? (
          <IncidentView
            incident={incident}
            busy={busy}
            error={error}
            onTransition={(action, note, photo) =>
              change(() =>
                action === "resolve" ? resolveIncident(incident.id, note ?? "", photo ?? null) : transition(incident.id, action, note),
              )
            }
            onComment={async (text) => {
              await change(() => commentIncident(incident.id, text));
            }}
            onDone={(n, data) => change(() => stepDone(incident.id, n, data))}
            onSkip={(n, reason) => change(() => stepSkip(incident.id, n, reason))}
            onAssign={(what) => change(() => assignIncident(incident.id, what))}
          />
        ) : null}
      </main>
    </div>
  );
}

interface ViewProps {
  incident: IncidentDetails;
  busy: boolean;
  error: string | null;
  onTransition: (action: string, note?: string, photo?: File | null) => Promise<boolean>;
  onComment: (text: string) => Promise<void>;
  onDone: (n: number, data: Record<string, unknown>) => Promise<boolean>;
  onSkip: (n: number, reason: string) => Promise<boolean>;
  onAssign: (change: { assignee?: string; agency?: string }) => Promise<boolean>;
}

function IncidentView({ incident: i, busy, error, onTransition, onComment, onDone, onSkip, onAssign }: ViewProps) {
  const l = lang.value;
  const title = localText(i.title, l) || i.id;
  const point = pointOf(i.location);
  return (
    <article class="incident" data-incident={i.id} data-status={i.status}>
      <header class="detail-head">
        <SeverityBadge severity={severityOf(i.capSeverity, null)} />
        <StatusBadge status={i.status} />
        <SlaCountdown incident={i} />
        <h1>{title}</h1>
      </header>
      <Transitions incident={i} busy={busy} onTransition={onTransition} />
      {error ? (
        <p class="error" role="alert">
          {error}
        </p>
      ) : null}
      <div class="incident-grid">
        <div class="incident-main">
          <SopChecklist incident={i} onDone={onDone} onSkip={onSkip} busy={busy} />
          {i.resolution.note || i.resolution.photos.length > 0 ? (
            <section class="block" aria-labelledby="resolution-h">
              <h2 id="resolution-h">{t("incidents.resolution")}</h2>
              <p data-field="resolution">{i.resolution.note}</p>
              {i.resolution.photos.map((url) => (
                <a key={url} href={url} target="_blank" rel="noopener">
                  <img class="resolution-photo" src={url} alt={t("incidents.resolution")} />
                </a>
              ))}
            </section>
          ) : null}
          <Comments comments={i.comments} onSend={onComment} />
          <AuditTrail entries={i.audit ?? []} />
        </div>
        <aside class="incident-side">
          <section class="block" aria-labelledby="fields-h">
            <h2 id="fields-h">{t("incidents.fields")}</h2>
            <dl class="fields">
              <dt>{t("incidents.agency")}</dt>
              <dd data-field="agency" data-agency={i.agency ?? ""}>
                <AgencyName id={i.agency} />
              </dd>
              {i.agencies.length > 1 ? (
                <>
                  <dt>{t("incidents.agencies")}</dt>
                  <dd>
                    {i.agencies.map((a, n) => (
                      <Fragment key={a}>
                        {n > 0 ? ", " : ""}
                        <AgencyName id={a} />
                      </Fragment>
                    ))}
                  </dd>
                </>
              ) : null}
              <dt>{t("incidents.assignee")}</dt>
              <dd>{i.assignee ?? "—"}</dd>
              <dt>{t("incidents.category")}</dt>
              <dd data-field="category" data-category={i.category ?? ""}>
                {i.category ? categoryName(i.category, l) : "—"}
              </dd>
              <dt>{t("alerts.area")}</dt>
              <dd>{i.areaServed ?? i.area ?? "—"}</dd>
              {point ? (
                <>
                  <dt>{t("incidents.location")}</dt>
                  <dd data-field="location" data-point={point.join(",")}>
                    {lonLatText(point[0], point[1], l)}
                  </dd>
                </>
              ) : null}
              <dt>{t("incidents.source")}</dt>
              <dd>{tOr(`incidents.sources.${i.source ?? ""}`, i.source ?? "—")}</dd>
              <dt>{t("incidents.opened")}</dt>
              <dd>
                <When iso={i.openedAt} />
              </dd>
              <dt>{t("incidents.openedBy")}</dt>
              <dd>{i.openedBy ?? "—"}</dd>
              <CapFields of={i} order={["severity", "urgency", "certainty", "category"]} />
              {i.description ? (
                <>
                  <dt>{t("incidents.description")}</dt>
                  <dd>{i.description}</dd>
                </>
              ) : null}
              {i.cancelReason ? (
                <>
                  <dt>{t("incidents.cancelReason")}</dt>
                  <dd>{i.cancelReason}</dd>
                </>
              ) : null}
            </dl>
          </section>
          <AssignForm incident={i} busy={busy} onAssign={onAssign} />
          <section class="block" aria-labelledby="sla-h">
            <h2 id="sla-h">{t("incidents.sla")}</h2>
            <dl class="fields">
              <dt>{t("incidents.ackDeadline")}</dt>
              <dd>
                <When iso={i.sla.acknowledgeDueAt} />
              </dd>
              <dt>{t("incidents.resolveDeadline")}</dt>
              <dd>
                <When iso={i.sla.dueAt} />
              </dd>
              {Object.entries(i.transitions).map(([stamp, s]) => (
                <Fragment key={stamp}>
                  <dt>{tOr(`incidents.stamps.${stamp}`, stamp)}</dt>
                  <dd>
                    <When iso={s.at} /> {s.by ? `· ${s.by}` : ""}
                  </dd>
                </Fragment>
              ))}
            </dl>
            {i.sla.breached ? <p class="sla sla-overdue">{t("incidents.breached")}</p> : null}
          </section>
          <section class="block" aria-labelledby="alerts-h">
            <h2 id="alerts-h">{t("incidents.alerts")}</h2>
            {i.alerts.length === 0 ? <p class="hint">{t("incidents.noAlerts")}</p> : null}
            <ul class="linked-alerts">
              {i.alerts.map((a) => (
                <li key={a.id}>
                  <SeverityBadge severity={alertSeverity(a)} />{" "}
                  <a href={`/alerts?id=${encodeURIComponent(a.id)}`} data-alert-id={a.id}>
                    {alertTitle(a, l)}
                  </a>
                </li>
              ))}
            </ul>
          </section>
        </aside>
      </div>
    </article>
  );
}

function Transitions({
  incident,
  busy,
  onTransition,
}: {
  incident: IncidentDetails;
  busy: boolean;
  onTransition: ViewProps["onTransition"];
}) {
  const [asking, setAsking] = useState<string | null>(null);
  const [note, setNote] = useState("");
  const [photo, setPhoto] = useState<File | null>(null);
  const actions = incident.actions;
  return (
    <section class="block transitions" aria-label={t("incidents.actions")}>
      <div class="action-bar">
        {actions.length === 0 ? <p class="hint">{t("incidents.noActions")}</p> : null}
        {actions.map((action) => (
          <button
            key={action}
            type="button"
            data-action={action}
            class={action === "resolve" || action === "acknowledge" ? "button-primary" : undefined}
            aria-expanded={NEEDS_TEXT.has(action) ? asking === action : undefined}
            disabled={busy}
            onClick={() => (NEEDS_TEXT.has(action) ? setAsking(asking === action ? null : action) : void onTransition(action))}
          >
            {tOr(`incidents.act.${action}`, action)}
          </button>
        ))}
      </div>
      {asking ? (
        <form
          class="step-form"
          aria-label={tOr(`incidents.act.${asking}`, asking)}
          onSubmit={async (e) => {
            e.preventDefault();
            if (!note.trim()) return;
            if (await onTransition(asking, note.trim(), photo)) {
              setAsking(null);
              setNote("");
              setPhoto(null);
            }
          }}
        >
          <label>
            {asking === "resolve" ? t("incidents.resolveNote") : t("incidents.cancelReason")}
            <textarea name="note" rows={3} required value={note} onInput={(e) => setNote((e.target as HTMLTextAreaElement).value)} />
          </label>
          {asking === "resolve" ? (
            <label>
              {t("incidents.photo")}
              <input
                type="file"
                name="photo"
                accept="image/jpeg,image/png,image/webp"
                onChange={(e) => setPhoto((e.target as HTMLInputElement).files?.[0] ?? null)}
              />
            </label>
          ) : null}
          <button type="submit" class="button-primary" disabled={busy || !note.trim()}>
            {tOr(`incidents.act.${asking}`, asking)}
          </button>
        </form>
      ) : null}
    </section>
  );
}
