/** User accounts: the list, a new account (a generated first password shown once), role and
 * agency, disable or enable, unlock, sign out everywhere. */

import { useState } from "preact/hooks";
import { changeUser, createUser, listUsers, signOutEverywhere, type User } from "../../api/admin";
import { AdminTable, ConfirmButton, Done, ErrorLine, RoleFields, useList } from "../../components/adminParts";
import { useAction, When } from "../../components/incidentParts";
import { t } from "../../i18n";

export function UsersTab() {
  const { items, error, reload } = useList(listUsers);
  const [password, setPassword] = useState<{ who: string; password: string } | null>(null);
  const shown = (user: User) => {
    if (user.password) setPassword({ who: user.username, password: user.password });
    void reload();
  };
  return (
    <>
      <NewUserForm onCreated={shown} />
      {password ? (
        <div class="secret-box" role="status">
          <p>{t("admin.users.passwordOnce", { who: password.who })}</p>
          <input readOnly class="new-secret" aria-label={t("admin.users.password")} value={password.password} />
          <button type="button" onClick={() => setPassword(null)}>
            {t("admin.keys.stored")}
          </button>
        </div>
      ) : null}
      <ErrorLine error={error} />
      {items && items.length === 0 ? <p class="hint">{t("admin.users.none")}</p> : null}
      <AdminTable
        label={t("admin.users.list")}
        columns={[t("admin.users.username"), t("admin.role"), t("admin.status"), t("admin.users.lastLogin"), t("admin.actions")]}
      >
        {items?.map((u) => (
          <UserRow key={u.id} user={u} onChanged={shown} />
        ))}
      </AdminTable>
    </>
  );
}

function UserRow({ user, onChanged }: { user: User; onChanged: (u: User) => void }) {
  const [role, setRole] = useState(user.role);
  const [agency, setAgency] = useState(user.agency ?? "");
  const [error, run, busy] = useAction();
  const [note, setNote] = useState<string | null>(null);
  const change = (work: () => Promise<User | void>, done: string) =>
    void run(async () => {
      const after = await work();
      setNote(done);
      if (after) onChanged(after);
    });
  const locked = user.lockedUntil !== null && Date.parse(user.lockedUntil) > Date.now();
  return (
    <tr data-user={user.username}>
      <td>
        <strong>{user.username}</strong>
        {user.displayName ? <div class="hint">{user.displayName}</div> : null}
      </td>
      <td>
        <form
          class="row-form"
          aria-label={t("admin.users.changeRole", { who: user.username })}
          onSubmit={(e) => {
            e.preventDefault();
            change(
              () => changeUser(user.id, { role, agency: role === "agency" ? agency.trim() : null }),
              t("admin.saved"),
            );
          }}
        >
          <RoleFields role={role} agency={agency} onRole={setRole} onAgency={setAgency} inRow />
          <button type="submit" disabled={busy}>
            {t("admin.save")}
          </button>
        </form>
      </td>
      <td>
        {user.disabledAt ? t("admin.users.disabled") : locked ? t("admin.users.locked") : t("admin.users.active")}
      </td>
      <td>
        <When iso={user.lastLoginAt} />
      </td>
      <td>
        <div class="row-actions">
          {user.disabledAt ? (
            <button type="button" disabled={busy} onClick={() => change(() => changeUser(user.id, { disabled: false }), t("admin.saved"))}>
              {t("admin.users.enable")}
            </button>
          ) : (
            <ConfirmButton
              label={t("admin.users.disable")}
              question={t("admin.users.disableQuestion", { who: user.username })}
              disabled={busy}
              onConfirm={() => change(() => changeUser(user.id, { disabled: true }), t("admin.saved"))}
            />
          )}
          {locked || user.failedAttempts > 0 ? (
            <button type="button" disabled={busy} onClick={() => change(() => changeUser(user.id, { unlock: true }), t("admin.saved"))}>
              {t("admin.users.unlock")}
            </button>
          ) : null}
          <ConfirmButton
            label={t("admin.users.signOut")}
            question={t("admin.users.signOutQuestion", { who: user.username })}
            disabled={busy}
            onConfirm={() => change(() => signOutEverywhere(user.id), t("admin.users.signedOut"))}
          />
          <ConfirmButton
            label={t("admin.users.resetPassword")}
            question={t("admin.users.resetQuestion", { who: user.username })}
            disabled={busy}
            onConfirm={() => change(() => changeUser(user.id, { resetPassword: true }), t("admin.saved"))}
          />
          {note ? <Done>{note}</Done> : null}
        </div>
        <ErrorLine error={error} />
      </td>
    </tr>
  );
}

function NewUserForm({ onCreated }: { onCreated: (u: User) => void }) {
  const [username, setUsername] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [role, setRole] = useState("operator");
  const [agency, setAgency] = useState("");
  const [locale, setLocale] = useState("vi");
  const [error, run, busy] = useAction();
  return (
    <form
      class="admin-form inline-fields"
      aria-label={t("admin.users.new")}
      onSubmit={(e) => {
        e.preventDefault();
        void run(async () => {
          const made = await createUser({
            username: username.trim(),
            displayName: displayName.trim() || undefined,
            role,
            agency: role === "agency" ? agency.trim() : undefined,
            locale,
          });
          setUsername("");
          setDisplayName("");
          onCreated(made);
        });
      }}
    >
      <h3>{t("admin.users.new")}</h3>
      <label>
        {t("admin.users.username")}
        <input name="username" required value={username} onInput={(e) => setUsername(e.currentTarget.value)} />
      </label>
      <label>
        {t("admin.users.displayName")}
        <input name="displayName" value={displayName} onInput={(e) => setDisplayName(e.currentTarget.value)} />
      </label>
      <RoleFields role={role} agency={agency} onRole={setRole} onAgency={setAgency} names={["role", "agency"]} />
      <label>
        {t("admin.users.locale")}
        <select name="locale" value={locale} onChange={(e) => setLocale(e.currentTarget.value)}>
          <option value="vi">Tiếng Việt</option>
          <option value="en">English</option>
        </select>
      </label>
      <button type="submit" class="button-primary" disabled={busy}>
        {t("admin.users.create")}
      </button>
      <ErrorLine error={error} />
    </form>
  );
}
