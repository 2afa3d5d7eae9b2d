/** The incident's procedure as a checklist: ordered steps with their responsible role and
 * expected duration; done (with what was recorded), skipped (with the reason), late. The current
 * step shows what the earlier steps recorded and, for those who may, the form to record it or a
 * reason to skip it. The server checks the role and the order. */

import { Fragment } from "preact";
import { useState } from "preact/hooks";
import { sopName } from "../api/choices";
import type { Activity, IncidentDetails } from "../api/incidents";
import { viewer } from "../api/session";
import { lang, t, tOr } from "../i18n";
import { formatMinutes, localText, recordText } from "../model/incidents";
import { When } from "./incidentParts";

interface Props {
  incident: IncidentDetails;
  onDone: (n: number, data: Record<string, unknown>) => Promise<boolean>;
  onSkip: (n: number, reason: string) => Promise<boolean>;
  busy: boolean;
}

/** Operators and admins may do any step; an agency its own (the lead agency's) steps. */
function mayWork(a: Activity): boolean {
  const role = viewer.value.role;
  return role === "admin" || role === "operator" || (role === "agency" && a.role === "agency");
}

export function SopChecklist({ incident, onDone, onSkip, busy }: Props) {
  const steps = incident.activities;
  if (steps.length === 0) {
    return (
      <section class="block" aria-labelledby="sop-h">
        <h2 id="sop-h">{t("incidents.sop")}</h2>
        <p class="hint">{t("incidents.noSop")}</p>
      </section>
    );
  }
  const open = !["resolved", "closed", "cancelled"].includes(incident.status);
  const current = steps.find((a) => a.state === "pending" || a.state === "late");
  return (
    <section class="block" aria-labelledby="sop-h">
      <h2 id="sop-h">
        {t("incidents.sop")}{" "}
        {incident.sop ? (
          <span class="hint" data-sop={incident.sop}>
            ({sopName(incident.sop, lang.value)})
          </span>
        ) : null}
      </h2>
      <ol class="sop">
        {steps.map((a) => (
          <Step
            key={a.n}
            a={a}
            current={open && a.n === current?.n}
            editable={open && a.n === current?.n && mayWork(a)}
            onDone={onDone}
            onSkip={onSkip}
            busy={busy}
          />
        ))}
      </ol>
    </section>
  );
}

interface StepProps {
  a: Activity;
  current: boolean;
  editable: boolean;
  onDone: Props["onDone"];
  onSkip: Props["onSkip"];
  busy: boolean;
}

function Step({ a, current, editable, onDone, onSkip, busy }: StepProps) {
  const l = lang.value;
  const [data, setData] = useState<Record<string, string>>({});
  const [reason, setReason] = useState("");
  const state = a.state === "pending" && a.late ? "late" : a.state;
  const inputs = Object.entries(a.inputs ?? {});
  const labelOf = (key: string) => {
    const field = a.recordFields.find((f) => f.key === key);
    return field ? localText(field.label, l) || key : key;
  };
  return (
    <li class={`sop-step step-${state}${current ? " step-current" : ""}`} data-step={a.n} data-state={state}>
      <div class="step-head">
        <span class="step-n">{t("incidents.step", { n: a.n })}</span>
        <strong class="step-title">{localText(a.title, l) || a.key}</strong>
        <span class={`step-state state-${state}`}>{t(`incidents.stepStates.${state}`)}</span>
        {a.late && state !== "late" ? <span class="step-state state-late">{t("incidents.stepStates.late")}</span> : null}
      </div>
      <div class="step-meta">
        {tOr(`incidents.roles.${a.role}`, a.role)}
        {a.expectedMinutes ? ` · ${t("incidents.expected", { span: formatMinutes(a.expectedMinutes, l) })}` : ""}
        {a.dueAt && (state === "pending" || state === "late") ? (
          <>
            {" · "}
            {t("incidents.due")} <When iso={a.dueAt} />
          </>
        ) : null}
      </div>
      {state === "done" ? (
        <div class="step-result">
          <span class="hint">
            {a.by} · <When iso={a.completedAt} />
          </span>
          {Object.keys(a.record).length > 0 ? (
            <dl class="fields record">
              {Object.entries(a.record).map(([k, v]) => (
                <Fragment key={`k${k}`}>
                  <dt>{labelOf(k)}</dt>
                  <dd>{recordText(v)}</dd>
                </Fragment>
              ))}
            </dl>
          ) : null}
        </div>
      ) : null}
      {state === "skipped" ? (
        <div class="step-result">
          <span class="hint">
            {a.by} · <When iso={a.completedAt} />
          </span>
          <p class="step-reason">
            {t("incidents.reason")}: {a.reason}
          </p>
        </div>
      ) : null}
      {current && inputs.length > 0 ? (
        <div class="step-inputs">
          <h3>{t("incidents.inputs")}</h3>
          <dl class="fields record">
            {inputs.map(([k, v]) => (
              <Fragment key={`ik${k}`}>
                <dt>{k}</dt>
                <dd>{recordText(v)}</dd>
              </Fragment>
            ))}
          </dl>
        </div>
      ) : null}
      {editable ? (
        <div class="step-forms">
          <form
            class="step-form"
            aria-label={t("incidents.markDone")}
            onSubmit={async (e) => {
              e.preventDefault();
              const clean = Object.fromEntries(Object.entries(data).filter(([, v]) => v.trim() !== ""));
              if (await onDone(a.n, clean)) setData({});
            }}
          >
            {a.recordFields.map((f) => (
              <label key={f.key}>
                {localText(f.label, l) || f.key}
                {f.required ? <span class="hint"> ({t("incidents.required")})</span> : null}
                <input
                  name={f.key}
                  required={!!f.required}
                  value={data[f.key] ?? ""}
                  onInput={(e) => {
                    const typed = (e.target as HTMLInputElement).value;
                    setData((now) => ({ ...now, [f.key]: typed })); // the latest, not this render's
                  }}
                />
              </label>
            ))}
            <button type="submit" class="button-primary" disabled={busy}>
              {t("incidents.markDone")}
            </button>
          </form>
          <form
            class="step-form inline-form"
            aria-label={t("incidents.skip")}
            onSubmit={async (e) => {
              e.preventDefault();
              if (reason.trim() && (await onSkip(a.n, reason.trim()))) setReason("");
            }}
          >
            <label class="grow">
              {t("incidents.skipReason")}
              <input name="reason" required value={reason} onInput={(e) => setReason((e.target as HTMLInputElement).value)} />
            </label>
            <button type="submit" disabled={busy || !reason.trim()}>
              {t("incidents.skip")}
            </button>
          </form>
        </div>
      ) : null}
    </li>
  );
}
