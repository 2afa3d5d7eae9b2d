/** Alert rules: the list (kind, scope, severity, enabled, problems), a rule's document to read and
 * edit as JSON — the server validates it and its words are shown next to the text — and delete. */

import { useState } from "preact/hooks";
import { createRule, deleteRule, listRules, type Rule, type RuleDocument, replaceRule } from "../../api/admin";
import { AdminTable, ConfirmButton, Done, ErrorLine, SaveBar, useList } from "../../components/adminParts";
import { useAction, When } from "../../components/incidentParts";
import { lang, t, tOr } from "../../i18n";
import { ruleScope } from "../../model/admin";

const TEMPLATE: RuleDocument = {
  id: "new-rule",
  kind: "threshold",
  name: { vi: "Quy tắc mới", en: "New rule" },
  enabled: false,
  scope: { types: ["FloodMonitoring"] },
  when: { attribute: "currentLevel", op: ">", value: { attribute: "alertLevel" } },
  for: "10m",
  alert: {
    category: "naturalDisaster",
    sub_category: "flood",
    severity: "high",
    cap: { category: "Met", severity: "Severe", urgency: "Immediate", certainty: "Observed" },
    title: { vi: "Ngập tại {name}", en: "Flooding at {name}" },
  },
};

export function RulesTab() {
  const { items, error, reload } = useList(listRules);
  const [selected, setSelected] = useState<string | null>(null); // a rule id, or "" for a new one
  const rule = items?.find((r) => r.id === selected) ?? null;
  const l = lang.value;
  return (
    <div class="admin-split">
      <div>
        <button type="button" class="button-primary" onClick={() => setSelected("")}>
          {t("admin.rules.new")}
        </button>
        <ErrorLine error={error} />
        <AdminTable
          label={t("admin.rules.list")}
          columns={[t("admin.rules.rule"), t("admin.rules.kind"), t("admin.rules.scope"), t("admin.rules.severity"), t("admin.rules.enabled")]}
        >
          {items?.map((r) => (
            <tr key={r.id} data-rule={r.id} data-valid={r.valid ? "true" : "false"} class={r.id === selected ? "selected" : undefined}>
              <td>
                <button
                  type="button"
                  class="link-button"
                  aria-pressed={r.id === selected}
                  onClick={() => setSelected(r.id)}
                >
                  {r.rule.name?.[l] ?? r.id}
                </button>
                <div class="hint">
                  <code>{r.id}</code>
                  {r.valid ? null : <span class="error"> · {t("admin.rules.invalid")}</span>}
                </div>
              </td>
              <td>{r.rule.kind ?? "—"}</td>
              <td>{ruleScope(r.rule)}</td>
              <td>{tOr(`alerts.sdm.${r.rule.alert?.severity ?? ""}`, r.rule.alert?.severity ?? "—")}</td>
              <td>{r.rule.enabled === false ? t("alerts.no") : t("alerts.yes")}</td>
            </tr>
          ))}
        </AdminTable>
      </div>
      <div>
        {selected === null ? (
          <p class="hint">{t("admin.rules.pick")}</p>
        ) : (
          <RuleEditor
            key={selected || "new"}
            rule={rule}
            onSaved={(id) => {
              setSelected(id);
              void reload();
            }}
            onDeleted={() => {
              setSelected(null);
              void reload();
            }}
          />
        )}
      </div>
    </div>
  );
}

function RuleEditor({
  rule,
  onSaved,
  onDeleted,
}: {
  rule: Rule | null;
  onSaved: (id: string) => void;
  onDeleted: () => void;
}) {
  const [text, setText] = useState(JSON.stringify(rule ? rule.rule : TEMPLATE, null, 2));
  const [error, run, busy] = useAction();
  const [saved, setSaved] = useState(false);
  const [notJson, setNotJson] = useState<string | null>(null);
  const save = () => {
    setSaved(false);
    let doc: unknown;
    try {
      doc = JSON.parse(text);
      setNotJson(null);
    } catch (err) {
      setNotJson(t("admin.rules.notJson", { reason: (err as Error).message }));
      return;
    }
    void run(async () => {
      const done = rule ? await replaceRule(rule.id, doc) : await createRule(doc);
      setSaved(true);
      onSaved(done.id);
    });
  };
  const problem = notJson ?? error;
  return (
    <form
      class="admin-form rule-editor"
      aria-label={rule ? t("admin.rules.edit", { id: rule.id }) : t("admin.rules.new")}
      onSubmit={(e) => {
        e.preventDefault();
        save();
      }}
    >
      <h3>{rule ? t("admin.rules.edit", { id: rule.id }) : t("admin.rules.new")}</h3>
      {rule ? (
        <p class="hint">
          {t("admin.modified")} <When iso={rule.modifiedAt} /> · {rule.modifiedBy}
        </p>
      ) : null}
      {rule && rule.problems.length > 0 ? (
        <ul class="error">
          {rule.problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      ) : null}
      <label class="block-label">
        {t("admin.rules.document")}
        <textarea
          name="rule"
          class="code-area"
          rows={22}
          spellcheck={false}
          value={text}
          aria-invalid={problem ? "true" : undefined}
          aria-describedby={problem ? "rule-error" : "rule-hint"}
          onInput={(e) => setText(e.currentTarget.value)}
        />
      </label>
      <p class="hint" id="rule-hint">
        {t("admin.rules.hint")}
      </p>
      <ErrorLine error={problem} id="rule-error" />
      {saved && !problem ? <Done>{t("admin.saved")}</Done> : null}
      <SaveBar busy={busy}>
        {rule ? (
          <ConfirmButton
            label={t("admin.delete")}
            question={t("admin.rules.deleteQuestion", { id: rule.id })}
            disabled={busy}
            onConfirm={() =>
              void run(async () => {
                await deleteRule(rule.id);
                onDeleted();
              })
            }
          />
        ) : null}
      </SaveBar>
    </form>
  );
}
