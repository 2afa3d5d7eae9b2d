/** API keys: the list (never the keys), a new key shown once with a copy button, revoking. */

import { useState } from "preact/hooks";
import { type ApiKey, createKey, listKeys, revokeKey } from "../../api/admin";
import { AdminTable, ConfirmButton, ErrorLine, RoleFields, useList } from "../../components/adminParts";
import { useAction, When } from "../../components/incidentParts";
import { t } from "../../i18n";

export function KeysTab() {
  const { items, error, reload } = useList(listKeys);
  const [failed, run, busy] = useAction();
  const [created, setCreated] = useState<ApiKey | null>(null);
  return (
    <>
      <NewKeyForm
        onCreated={(key) => {
          setCreated(key);
          void reload();
        }}
      />
      {created?.key ? <NewSecret record={created} onDone={() => setCreated(null)} /> : null}
      <ErrorLine error={error ?? failed} />
      <AdminTable
        label={t("admin.keys.list")}
        columns={[t("admin.keys.name"), t("admin.role"), t("admin.agency"), t("admin.created"), t("admin.status")]}
        actions
      >
        {items?.map((k) => (
          <tr key={k.id} data-key-id={k.id} data-revoked={k.revokedAt ? "true" : "false"}>
            <td>
              {k.name} <code class="muted-code">{k.id}</code>
            </td>
            <td>{t(`admin.roles.${k.role}`)}</td>
            <td>{k.agency ?? "—"}</td>
            <td>
              <When iso={k.createdAt} /> · {k.createdBy}
            </td>
            <td>
              {k.revokedAt ? (
                <>
                  {t("admin.keys.revoked")} <When iso={k.revokedAt} />
                </>
              ) : (
                t("admin.keys.active")
              )}
            </td>
            <td>
              {k.revokedAt ? null : (
                <ConfirmButton
                  label={t("admin.keys.revoke")}
                  question={t("admin.keys.revokeQuestion", { name: k.name })}
                  disabled={busy}
                  onConfirm={() =>
                    void run(async () => {
                      await revokeKey(k.id);
                      await reload();
                    })
                  }
                />
              )}
            </td>
          </tr>
        ))}
      </AdminTable>
    </>
  );
}

function NewKeyForm({ onCreated }: { onCreated: (key: ApiKey) => void }) {
  const [name, setName] = useState("");
  const [role, setRole] = useState("operator");
  const [agency, setAgency] = useState("");
  const [error, run, busy] = useAction();
  return (
    <form
      class="admin-form inline-fields"
      aria-label={t("admin.keys.new")}
      onSubmit={(e) => {
        e.preventDefault();
        void run(async () => {
          const made = await createKey({ name: name.trim(), role, agency: role === "agency" ? agency.trim() : undefined });
          setName("");
          onCreated(made);
        });
      }}
    >
      <h3>{t("admin.keys.new")}</h3>
      <label>
        {t("admin.keys.name")}
        <input name="key-name" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
      </label>
      <RoleFields role={role} agency={agency} onRole={setRole} onAgency={setAgency} names={["key-role", "key-agency"]} />
      <button type="submit" class="button-primary" disabled={busy}>
        {t("admin.keys.create")}
      </button>
      <ErrorLine error={error} />
    </form>
  );
}

/** The new key, shown once: the server keeps only its hash. */
function NewSecret({ record, onDone }: { record: ApiKey; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  const secret = record.key ?? "";
  return (
    <div class="secret-box" role="status">
      <p>
        <strong>{t("admin.keys.createdFor", { name: record.name })}</strong> {t("admin.keys.onlyOnce")}
      </p>
      <label class="secret-field">
        <span class="visually-hidden">{t("admin.keys.theKey")}</span>
        <input readOnly value={secret} class="new-secret" onFocus={(e) => e.currentTarget.select()} />
      </label>
      <button
        type="button"
        onClick={() =>
          void navigator.clipboard
            ?.writeText(secret)
            .then(() => setCopied(true))
            .catch(() => setCopied(false))
        }
      >
        {copied ? t("admin.copied") : t("admin.copy")}
      </button>
      <button type="button" onClick={onDone}>
        {t("admin.keys.stored")}
      </button>
    </div>
  );
}
