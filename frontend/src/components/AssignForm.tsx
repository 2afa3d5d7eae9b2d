/** Who handles an incident: operators hand it to another agency (the agencies valid today) and
 * set the assignee; the lead agency's staff set the assignee or take it themselves ("assign to
 * me"). The server says who may (`canAssign`, `canHandOver`) and enforces it. */

import { useEffect, useState } from "preact/hooks";
import { choices, loadChoices } from "../api/choices";
import type { IncidentDetails } from "../api/incidents";
import { viewer } from "../api/session";
import { lang, t } from "../i18n";
import { AgencyName } from "./incidentParts";

interface Props {
  incident: IncidentDetails;
  busy: boolean;
  onAssign: (change: { assignee?: string; agency?: string }) => Promise<boolean>;
}

export function AssignForm({ incident: i, busy, onAssign }: Props) {
  const [agency, setAgency] = useState(i.agency ?? "");
  const [assignee, setAssignee] = useState(i.assignee ?? "");
  useEffect(() => {
    if (i.canHandOver) void loadChoices();
  }, [i.canHandOver]);
  useEffect(() => setAgency(i.agency ?? ""), [i.agency]);
  useEffect(() => setAssignee(i.assignee ?? ""), [i.assignee]);
  if (!i.canAssign) return null;
  const l = lang.value;
  const me = viewer.value.name ?? viewer.value.actor;
  const agencies = choices.value?.agencies ?? [];

  return (
    <section class="block assign" aria-labelledby="assign-h">
      <h2 id="assign-h">{t("assign.title")}</h2>
      <p class="assign-now">
        <AgencyName id={i.agency} /> · <span data-field="assignee">{i.assignee ?? t("assign.nobody")}</span>
      </p>
      {i.canHandOver ? (
        <form
          class="step-form"
          aria-label={t("assign.handOver")}
          onSubmit={(e) => {
            e.preventDefault();
            if (agency && agency !== i.agency) void onAssign({ agency });
          }}
        >
          <label>
            {t("assign.agency")}
            <select name="agency" value={agency} onChange={(e) => setAgency((e.target as HTMLSelectElement).value)}>
              {i.agency && !agencies.some((a) => a.id === i.agency) ? (
                <option value={i.agency}>{i.agency}</option>
              ) : null}
              {agencies.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.name[l]}
                </option>
              ))}
            </select>
          </label>
          <button type="submit" disabled={busy || !agency || agency === i.agency}>
            {t("assign.handOver")}
          </button>
        </form>
      ) : null}
      <form
        class="step-form"
        aria-label={t("assign.setAssignee")}
        onSubmit={(e) => {
          e.preventDefault();
          if (assignee.trim() !== (i.assignee ?? "")) void onAssign({ assignee: assignee.trim() });
        }}
      >
        <label>
          {t("assign.assignee")}
          <input name="assignee" maxLength={120} value={assignee} onInput={(e) => setAssignee((e.target as HTMLInputElement).value)} />
        </label>
        <div class="action-bar">
          <button type="submit" disabled={busy || assignee.trim() === (i.assignee ?? "")}>
            {t("assign.save")}
          </button>
          {i.assignee !== me ? (
            <button type="button" disabled={busy} onClick={() => void onAssign({ assignee: me })}>
              {t("assign.toMe")}
            </button>
          ) : null}
        </div>
      </form>
    </section>
  );
}
