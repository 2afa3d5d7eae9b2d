/** "New incident" (operators): title in Vietnamese and/or English, the city's category, CAP
 * severity and urgency, the place (a point picked on a map, which pre-selects its area, and/or the
 * area: the wards and communes valid today), the procedure (automatic by default), a description.
 * The server routes it to the responsible agency and starts its procedure; on success the page
 * goes to the new incident. Problems are shown beside their fields. */

import { useEffect, useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { areaAt, choices, loadChoices, sopsFor } from "../api/choices";
import { ApiError } from "../api/client";
import { createIncident, type IncidentDraft } from "../api/incidents";
import { lang, t } from "../i18n";
import { CAP_VALUES } from "../model/cap";
import { formErrors } from "../model/formErrors";
import { SEVERITIES } from "../model/looks";
import { LocationPicker } from "./LocationPicker";

const URGENCIES = CAP_VALUES.urgency;
const FIELDS = ["title", "category", "capSeverity", "capUrgency", "area", "location", "sop", "description"] as const;
type Field = (typeof FIELDS)[number];

interface Values {
  titleVi: string;
  titleEn: string;
  category: string;
  capSeverity: string;
  capUrgency: string;
  area: string;
  point: [number, number] | null; // [lon, lat]
  sop: string; // "": chosen by the server from the category
  description: string;
}

const EMPTY: Values = {
  titleVi: "",
  titleEn: "",
  category: "",
  capSeverity: "Moderate",
  capUrgency: "Expected",
  area: "",
  point: null,
  sop: "",
  description: "",
};

/** The request body, or what the browser can already tell is wrong. */
function draftOf(v: Values): { draft: IncidentDraft } | { errors: Partial<Record<Field, string>> } {
  const title: Record<string, string> = {};
  if (v.titleVi.trim()) title.vi = v.titleVi.trim();
  if (v.titleEn.trim()) title.en = v.titleEn.trim();
  if (!title.vi && !title.en) return { errors: { title: t("newIncident.titleRequired") } };
  const draft: IncidentDraft = { title, capSeverity: v.capSeverity, capUrgency: v.capUrgency };
  if (v.category) draft.category = v.category;
  if (v.area) draft.area = v.area;
  if (v.point) draft.location = { type: "Point", coordinates: v.point };
  if (v.sop) draft.sop = v.sop;
  if (v.description.trim()) draft.description = v.description.trim();
  return { draft };
}

export function NewIncidentForm({ onCancel }: { onCancel: () => void }) {
  const { route } = useLocation();
  const [v, setV] = useState<Values>(EMPTY);
  const [errors, setErrors] = useState<Partial<Record<Field, string>>>({});
  const [other, setOther] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => void loadChoices(), []);
  const l = lang.value;
  const c = choices.value;
  const answered = (field: Field) => {
    if (errors[field]) setErrors((now) => ({ ...now, [field]: undefined })); // answered: it goes
  };
  const set = (key: Exclude<keyof Values, "point">) => (e: Event) => {
    const value = (e.target as HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement).value;
    setV((now) => {
      const next = { ...now, [key]: value }; // from the latest values, not this render's
      // A procedure chosen for another category does not follow the category's change.
      if (key === "category" && c && next.sop && !sopsFor(c.sops, value).some((s) => s.id === next.sop)) next.sop = "";
      return next;
    });
    answered(key === "titleVi" || key === "titleEn" ? "title" : key);
  };
  const place = (point: [number, number] | null) => {
    setV((now) => ({ ...now, point }));
    answered("location");
    if (!point) return;
    // The area under the point, as the server would place it; the operator may still change it.
    areaAt(point[0], point[1])
      .then(({ area }) => {
        if (area) setV((now) => (now.point === point ? { ...now, area: area.code } : now));
      })
      .catch((err: unknown) => {
        if (err instanceof ApiError && err.status === 400) setErrors((now) => ({ ...now, location: err.detail }));
      });
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    const checked = draftOf(v);
    if ("errors" in checked) {
      setErrors(checked.errors);
      setOther(null);
      return;
    }
    setBusy(true);
    setErrors({});
    setOther(null);
    try {
      const made = await createIncident(checked.draft);
      route(`/incidents/${encodeURIComponent(made.id)}`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 400) {
        const found = formErrors(err.detail, FIELDS);
        setErrors(found.fields);
        setOther(found.other);
      } else {
        setOther(err instanceof ApiError ? err.detail : String(err));
      }
    } finally {
      setBusy(false);
    }
  };

  const problem = (field: Field) =>
    errors[field] ? (
      <span class="field-error" id={`new-${field}-error`} role="alert">
        {errors[field]}
      </span>
    ) : null;
  const describedBy = (field: Field) => (errors[field] ? `new-${field}-error` : undefined);

  return (
    <form class="block new-incident" aria-labelledby="new-incident-h" onSubmit={submit} noValidate>
      <h2 id="new-incident-h">{t("newIncident.title")}</h2>
      {other ? (
        <p class="error" role="alert">
          {t("incidents.failed", { detail: other })}
        </p>
      ) : null}
      <div class="form-grid">
        <label class="wide">
          {t("newIncident.titleVi")}
          <input
            name="titleVi"
            maxLength={200}
            value={v.titleVi}
            onInput={set("titleVi")}
            aria-invalid={errors.title ? "true" : undefined}
            aria-describedby={describedBy("title")}
          />
          {problem("title")}
        </label>
        <label class="wide">
          {t("newIncident.titleEn")}
          <input name="titleEn" maxLength={200} value={v.titleEn} onInput={set("titleEn")} />
        </label>
        <label>
          {t("incidents.category")}
          <select name="category" value={v.category} onChange={set("category")} aria-describedby={describedBy("category")}>
            <option value="">{t("newIncident.noCategory")}</option>
            {(c?.categories ?? []).map((cat) => (
              <option key={cat.code} value={cat.code}>
                {cat.name[l]}
              </option>
            ))}
          </select>
          {problem("category")}
        </label>
        <label>
          {t("newIncident.area")}
          <select name="area" value={v.area} onChange={set("area")} aria-describedby={describedBy("area")}>
            <option value="">{t("newIncident.noArea")}</option>
            {(c?.areas ?? []).map((a) => (
              <option key={a.code} value={a.code}>
                {a.name[l]}
              </option>
            ))}
          </select>
          {problem("area")}
        </label>
        <LocationPicker point={v.point} onChange={place} error={errors.location} />
        <label>
          {t("newIncident.sop")}
          <select name="sop" value={v.sop} onChange={set("sop")} aria-describedby={describedBy("sop")}>
            <option value="">{t("newIncident.sopAuto")}</option>
            {sopsFor(c?.sops ?? [], v.category).map((s) => (
              <option key={s.id} value={s.id}>
                {s.name[l]}
              </option>
            ))}
          </select>
          {problem("sop")}
        </label>
        <label>
          {t("incidents.severity")}
          <select name="capSeverity" value={v.capSeverity} onChange={set("capSeverity")} aria-describedby={describedBy("capSeverity")}>
            {SEVERITIES.map((s) => (
              <option key={s} value={s}>
                {t(`state.sev-${s}`)}
              </option>
            ))}
          </select>
          {problem("capSeverity")}
        </label>
        <label>
          {t("newIncident.urgency")}
          <select name="capUrgency" value={v.capUrgency} onChange={set("capUrgency")} aria-describedby={describedBy("capUrgency")}>
            {URGENCIES.map((u) => (
              <option key={u} value={u}>
                {t(`cap.urgency.${u}`)}
              </option>
            ))}
          </select>
          {problem("capUrgency")}
        </label>
        <label class="wide">
          {t("incidents.description")}
          <textarea
            name="description"
            rows={3}
            maxLength={4000}
            value={v.description}
            onInput={set("description")}
            aria-describedby={describedBy("description")}
          />
          {problem("description")}
        </label>
      </div>
      <p class="hint">{t("newIncident.routing")}</p>
      <div class="action-bar">
        <button type="submit" class="button-primary" disabled={busy}>
          {t("newIncident.submit")}
        </button>
        <button type="button" onClick={onCancel} disabled={busy}>
          {t("newIncident.cancel")}
        </button>
      </div>
    </form>
  );
}
