/** Standard operating procedures: the list, and a procedure's steps to edit (title in both
 * languages, responsible role, expected duration; add, remove, reorder). Incidents started after
 * saving follow the new steps; running ones keep theirs. */

import { useState } from "preact/hooks";
import { listSops, type Sop, type SopStep, saveSop } from "../../api/admin";
import { AdminTable, Done, ErrorLine, RecordCell, SaveBar, useList, useRevealed } from "../../components/adminParts";
import { useAction } from "../../components/incidentParts";
import { lang, t } from "../../i18n";
import { formatNumber } from "../../i18n/format";
import { moveItem } from "../../model/admin";

export function SopsTab() {
  const { items, error, reload } = useList(listSops);
  const [editing, setEditing] = useState<string | null>(null);
  const l = lang.value;
  const chosen = items?.find((s) => s.id === editing) ?? null;
  return (
    <>
      <ErrorLine error={error} />
      <AdminTable label={t("admin.sops.list")} columns={[t("admin.sops.name"), t("admin.sops.categories"), t("admin.sops.steps")]} actions>
        {items?.map((s) => (
          <tr key={s.id} data-sop={s.id}>
            <RecordCell name={s.name?.[l]} id={s.id} problems={s.problems} />
            <td>{[...s.categories, ...s.alert_sub_categories].join(", ") || "—"}</td>
            <td>{formatNumber(s.steps?.length ?? 0, l, 0)}</td>
            <td>
              <button type="button" aria-expanded={editing === s.id} onClick={() => setEditing(s.id)}>
                {t("admin.sops.editSteps")}
              </button>
            </td>
          </tr>
        ))}
      </AdminTable>
      {chosen ? <SopForm key={chosen.id} sop={chosen} onSaved={() => void reload()} onClose={() => setEditing(null)} /> : null}
    </>
  );
}

const blankStep = (n: number): SopStep => ({
  key: `step-${n}`,
  title: { vi: "", en: "" },
  role: "operator",
  expected: 30,
});

function SopForm({ sop, onSaved, onClose }: { sop: Sop; onSaved: () => void; onClose: () => void }) {
  const form = useRevealed<HTMLFormElement>();
  const [steps, setSteps] = useState<SopStep[]>(sop.steps);
  const [error, run, busy] = useAction();
  const [saved, setSaved] = useState(false);
  const l = lang.value;
  // Updates from the latest steps, not this render's: two edits between renders both count.
  const change = (i: number, patch: (s: SopStep) => Partial<SopStep>) => {
    setSaved(false);
    setSteps((now) => now.map((s, j) => (j === i ? { ...s, ...patch(s) } : s)));
  };
  const move = (i: number, by: number) => {
    setSaved(false);
    setSteps((now) => moveItem(now, i, by));
  };
  return (
    <form
      ref={form}
      class="admin-form sop-form"
      aria-label={t("admin.sops.edit", { name: sop.name[l] })}
      onSubmit={(e) => {
        e.preventDefault();
        void run(async () => {
          const { problems: _, ...body } = sop;
          const after = await saveSop({ ...body, steps });
          setSteps(after.steps);
          setSaved(true);
          onSaved();
        });
      }}
    >
      <h3>{t("admin.sops.edit", { name: sop.name[l] })}</h3>
      <ol class="step-editor">
        {steps.map((step, i) => {
          const id = `step-${i}`;
          return (
            <li key={i} data-step={step.key}>
              <fieldset>
                <legend>{t("admin.sops.step", { n: i + 1 })}</legend>
                <div class="field-grid">
                  <label for={`${id}-vi`}>
                    {t("admin.sops.titleVi")}
                    <input id={`${id}-vi`} required value={step.title.vi} onInput={(e) => {
                        const vi = e.currentTarget.value;
                        change(i, (s) => ({ title: { ...s.title, vi } }));
                      }} />
                  </label>
                  <label for={`${id}-en`}>
                    {t("admin.sops.titleEn")}
                    <input id={`${id}-en`} required value={step.title.en} onInput={(e) => {
                        const en = e.currentTarget.value;
                        change(i, (s) => ({ title: { ...s.title, en } }));
                      }} />
                  </label>
                  <label for={`${id}-role`}>
                    {t("admin.sops.role")}
                    <select id={`${id}-role`} value={step.role} onChange={(e) => {
                        const role = e.currentTarget.value as SopStep["role"];
                        change(i, () => ({ role }));
                      }}>
                      <option value="operator">{t("admin.sops.roles.operator")}</option>
                      <option value="agency">{t("admin.sops.roles.agency")}</option>
                    </select>
                  </label>
                  <label for={`${id}-expected`}>
                    {t("admin.sops.expected")}
                    <input
                      id={`${id}-expected`}
                      type="number"
                      min={1}
                      required
                      value={String(step.expected)}
                      onInput={(e) => {
                        const typed = e.currentTarget.value;
                        change(i, () => ({ expected: Number(typed) || typed }));
                      }}
                    />
                  </label>
                  <label for={`${id}-key`}>
                    {t("admin.sops.key")}
                    <input id={`${id}-key`} required value={step.key} onInput={(e) => {
                        const key = e.currentTarget.value;
                        change(i, () => ({ key }));
                      }} />
                  </label>
                </div>
                <div class="action-bar">
                  <button type="button" disabled={i === 0} onClick={() => move(i, -1)}>
                    {t("admin.sops.up")}
                  </button>
                  <button type="button" disabled={i === steps.length - 1} onClick={() => move(i, 1)}>
                    {t("admin.sops.down")}
                  </button>
                  <button type="button" class="button-danger" onClick={() => setSteps((now) => now.filter((_, j) => j !== i))}>
                    {t("admin.sops.remove")}
                  </button>
                </div>
              </fieldset>
            </li>
          );
        })}
      </ol>
      <button type="button" onClick={() => setSteps([...steps, blankStep(steps.length + 1)])}>
        {t("admin.sops.add")}
      </button>
      <ErrorLine error={error} />
      {saved ? <Done>{t("admin.sops.saved")}</Done> : null}
      <SaveBar busy={busy} onClose={onClose} />
    </form>
  );
}
