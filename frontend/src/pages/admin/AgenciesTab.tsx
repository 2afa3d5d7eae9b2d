/** Agencies and areas: which agency answers for which areas and categories (incident routing
 * reads this for every new incident), an agency's edit form, and the areas with their parent. */

import { useState } from "preact/hooks";
import { type Agency, type Area, type Category, listAgencies, listAreas, listCategories, saveAgency } from "../../api/admin";
import { AdminTable, Done, ErrorLine, RecordCell, SaveBar, useList, useRevealed } from "../../components/adminParts";
import { useAction } from "../../components/incidentParts";
import { type Lang, lang, t } from "../../i18n";
import { formatDate } from "../../i18n/format";
import { agencyBody } from "../../model/admin";

const KINDS = ["operationsCentre", "department", "police", "utility", "peoplesCommittee", "other"];

export function AgenciesTab() {
  const agencies = useList(listAgencies);
  const areas = useList(listAreas);
  const categories = useList(listCategories);
  const [editing, setEditing] = useState<string | null>(null);
  const l = lang.value;
  const chosen = agencies.items?.find((a) => a.id === editing) ?? null;
  return (
    <>
      <h3 id="agencies-h">{t("admin.agencies.title")}</h3>
      <ErrorLine error={agencies.error} />
      <AdminTable
        labelledBy="agencies-h"
        columns={[t("admin.agencies.name"), t("admin.agencies.kind"), t("admin.agencies.areas"), t("admin.agencies.categories"), t("admin.agencies.email")]}
        actions
      >
        {agencies.items?.map((a) => (
          <tr key={a.id} data-agency={a.id}>
            <RecordCell name={a.name?.[l]} id={a.id} problems={a.problems} />
            <td>{t(`admin.agencies.kinds.${a.kind}`)}</td>
            <td>{a.areas.join(", ")}</td>
            <td>{a.categories.join(", ") || "—"}</td>
            <td>{a.email ?? "—"}</td>
            <td>
              <button type="button" onClick={() => setEditing(a.id)} aria-expanded={editing === a.id}>
                {t("admin.edit")}
              </button>
            </td>
          </tr>
        ))}
      </AdminTable>
      {chosen ? (
        <AgencyForm
          key={chosen.id}
          agency={chosen}
          categories={categories.items ?? []}
          onSaved={() => void agencies.reload().then(() => areas.reload())}
          onClose={() => setEditing(null)}
        />
      ) : null}
      <AreasTable areas={areas.items} error={areas.error} />
    </>
  );
}

function AgencyForm({
  agency,
  categories,
  onSaved,
  onClose,
}: {
  agency: Agency;
  categories: Category[];
  onSaved: () => void;
  onClose: () => void;
}) {
  const form = useRevealed<HTMLFormElement>();
  const [draft, setDraft] = useState(agency);
  const [areas, setAreas] = useState(agency.areas.join(", "));
  const [error, run, busy] = useAction();
  const [saved, setSaved] = useState(false);
  const l = lang.value;
  // Updates from the latest draft, not this render's: two edits between renders both count.
  const set = (change: (d: Agency) => Partial<Agency>) => {
    setSaved(false);
    setDraft((now) => ({ ...now, ...change(now) }));
  };
  const toggle = (code: string, on: boolean) =>
    set((d) => ({ categories: on ? [...d.categories, code] : d.categories.filter((c) => c !== code) }));
  return (
    <form
      ref={form}
      class="admin-form agency-form"
      aria-label={t("admin.agencies.edit", { name: agency.name?.[l] ?? agency.id })}
      onSubmit={(e) => {
        e.preventDefault();
        void run(async () => {
          const after = await saveAgency(agencyBody(draft, areas));
          setDraft(after);
          setSaved(true);
          onSaved();
        });
      }}
    >
      <h3>{t("admin.agencies.edit", { name: agency.name?.[l] ?? agency.id })}</h3>
      <div class="field-grid">
        <label>
          {t("admin.nameVi")}
          <input name="name-vi" required value={draft.name.vi} onInput={(e) => {
            const vi = e.currentTarget.value;
            set((d) => ({ name: { ...d.name, vi } }));
          }} />
        </label>
        <label>
          {t("admin.nameEn")}
          <input name="name-en" required value={draft.name.en} onInput={(e) => {
            const en = e.currentTarget.value;
            set((d) => ({ name: { ...d.name, en } }));
          }} />
        </label>
        <label>
          {t("admin.agencies.kind")}
          <select name="kind" value={draft.kind} onChange={(e) => {
            const kind = e.currentTarget.value;
            set(() => ({ kind }));
          }}>
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {t(`admin.agencies.kinds.${k}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("admin.agencies.email")}
          <input name="email" type="email" value={draft.email ?? ""} onInput={(e) => {
            const email = e.currentTarget.value;
            set(() => ({ email }));
          }} />
        </label>
        <label>
          {t("admin.agencies.phone")}
          <input name="phone" type="tel" value={draft.phone ?? ""} onInput={(e) => {
            const phone = e.currentTarget.value;
            set(() => ({ phone }));
          }} />
        </label>
        <label>
          {t("admin.agencies.areas")}
          <input
            name="areas"
            required
            value={areas}
            aria-describedby="areas-hint"
            onInput={(e) => {
              setSaved(false);
              setAreas(e.currentTarget.value);
            }}
          />
          <span class="hint" id="areas-hint">
            {t("admin.agencies.areasHint")}
          </span>
        </label>
      </div>
      <fieldset class="check-list">
        <legend>{t("admin.agencies.categories")}</legend>
        {categories.map((c) => (
          <label key={c.code} class="check">
            <input
              type="checkbox"
              name="categories"
              value={c.code}
              checked={draft.categories.includes(c.code)}
              onChange={(e) => toggle(c.code, e.currentTarget.checked)}
            />
            {c.name[l]}
          </label>
        ))}
      </fieldset>
      <ErrorLine error={error} />
      {saved ? <Done>{t("admin.agencies.saved")}</Done> : null}
      <SaveBar busy={busy} onClose={onClose} />
    </form>
  );
}

function AreasTable({ areas, error }: { areas: Area[] | null; error: string | null }) {
  const l = lang.value;
  const names = new Map((areas ?? []).map((a) => [a.code, a.name[l]]));
  return (
    <>
      <h3 id="areas-h">{t("admin.areas.title")}</h3>
      <ErrorLine error={error} />
      <AdminTable
        labelledBy="areas-h"
        columns={[t("admin.areas.code"), t("admin.areas.name"), t("admin.areas.level"), t("admin.areas.parent"), t("admin.areas.valid"), t("admin.areas.agencies")]}
      >
        {areas?.map((a) => (
          <tr key={a.code} data-area={a.code}>
            <td>
              <code>{a.code}</code>
            </td>
            <td>{a.name[l]}</td>
            <td>{t(`admin.areas.levels.${a.level}`)}</td>
            <td>{a.parent ? (names.get(a.parent) ?? a.parent) : "—"}</td>
            <td>
              {a.validFrom || a.validTo ? `${day(a.validFrom, l)} – ${day(a.validTo, l)}` : t("admin.areas.always")}
            </td>
            <td>{a.agencies.join(", ") || "—"}</td>
          </tr>
        ))}
      </AdminTable>
    </>
  );
}

function day(iso: string | null, l: Lang): string {
  const ms = iso ? Date.parse(iso) : Number.NaN;
  return Number.isNaN(ms) ? "…" : formatDate(ms, l);
}
