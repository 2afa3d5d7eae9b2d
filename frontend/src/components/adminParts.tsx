/** Pieces of the admin pages: a two-step confirm button, error and status lines, a list's table,
 * the role and agency fields, a form's save bar, loading a list once with a reload, revealing a
 * form. */

import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { ROLES } from "../api/admin";
import { t } from "../i18n";
import { problemText } from "./incidentParts";

/** A button that asks "sure?" in place (no modal): the second click does it, Escape cancels. */
export function ConfirmButton({
  label,
  question,
  onConfirm,
  disabled,
}: {
  label: string;
  question: string;
  onConfirm: () => void;
  disabled?: boolean;
}) {
  const [asking, setAsking] = useState(false);
  const yes = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (asking) yes.current?.focus();
  }, [asking]);
  if (!asking) {
    return (
      <button type="button" class="button-danger" disabled={disabled} onClick={() => setAsking(true)}>
        {label}
      </button>
    );
  }
  return (
    <span
      class="confirm"
      role="group"
      aria-label={question}
      onKeyDown={(e) => {
        if (e.key === "Escape") setAsking(false);
      }}
    >
      <span class="confirm-question">{question}</span>
      <button
        type="button"
        ref={yes}
        class="button-danger"
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
      >
        {t("admin.confirmYes")}
      </button>
      <button type="button" onClick={() => setAsking(false)}>
        {t("admin.cancel")}
      </button>
    </span>
  );
}

export function ErrorLine({ error, id }: { error: string | null; id?: string }) {
  if (!error) return null;
  return (
    <p class="error" role="alert" id={id}>
      {error}
    </p>
  );
}

export function Done({ children }: { children: ComponentChildren }) {
  return (
    <p class="done" role="status">
      {children}
    </p>
  );
}

/** Load something on mount and again when `deps` change; `reload` fetches it again. The error
 * is ready for display. */
export function useLoaded<T>(load: () => Promise<T>, deps: unknown[] = []) {
  const [value, setValue] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const reload = () =>
    load()
      .then((found) => {
        setValue(found);
        setError(null);
      })
      .catch((err: unknown) => setError(problemText(err)));
  useEffect(() => void reload(), deps);
  return { value, error, reload };
}

/** Load a list on mount; `reload` fetches it again. */
export function useList<T>(load: () => Promise<T[]>, deps: unknown[] = []) {
  const { value, error, reload } = useLoaded(load, deps);
  return { items: value, error, reload };
}

/** A list's table, scrolling sideways on a narrow screen. Named by `label` or by the heading
 * `labelledBy`; `actions` adds a last column for the row's buttons, titled for screen readers. */
export function AdminTable({
  label,
  labelledBy,
  columns,
  actions,
  children,
}: {
  label?: string;
  labelledBy?: string;
  columns: string[];
  actions?: boolean;
  children: ComponentChildren;
}) {
  return (
    <div class="table-scroll">
      <table class="admin-table" aria-label={label} aria-labelledby={labelledBy}>
        <thead>
          <tr>
            {columns.map((c) => (
              <th scope="col" key={c}>
                {c}
              </th>
            ))}
            {actions ? (
              <th scope="col">
                <span class="visually-hidden">{t("admin.actions")}</span>
              </th>
            ) : null}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

/** The first cell of a pack record (agency, procedure): its name, its id, what is wrong with it. */
export function RecordCell({ name, id, problems }: { name: string | undefined; id: string; problems: string[] }) {
  return (
    <td>
      {name ?? id}
      <div class="hint">
        <code>{id}</code>
      </div>
      {problems.length > 0 ? <div class="error">{problems.join("; ")}</div> : null}
    </td>
  );
}

/** A role to choose and, for the agency role, the agency it acts for. `names` are the two
 * fields' form names; in a table row (`inRow`) the column heads name the fields, so their labels are
 * for screen readers only, and the agency is not required there. */
export function RoleFields({
  role,
  agency,
  onRole,
  onAgency,
  names,
  inRow,
}: {
  role: string;
  agency: string;
  onRole: (role: string) => void;
  onAgency: (agency: string) => void;
  names?: [role: string, agency: string];
  inRow?: boolean;
}) {
  const caption = (text: string) => (inRow ? <span class="visually-hidden">{text}</span> : text);
  return (
    <>
      <label>
        {caption(t("admin.role"))}
        <select name={names?.[0]} value={role} onChange={(e) => onRole(e.currentTarget.value)}>
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {t(`admin.roles.${r}`)}
            </option>
          ))}
        </select>
      </label>
      {role === "agency" ? (
        <label>
          {caption(t("admin.agencyId"))}
          <input
            name={names?.[1]}
            required={!inRow}
            placeholder="urn:ngsi-ld:Organization:…"
            value={agency}
            onInput={(e) => onAgency(e.currentTarget.value)}
          />
        </label>
      ) : null}
    </>
  );
}

/** A form's last line: save, and `onClose` or whatever else the form offers beside it. */
export function SaveBar({ busy, onClose, children }: { busy: boolean; onClose?: () => void; children?: ComponentChildren }) {
  return (
    <div class="action-bar">
      <button type="submit" class="button-primary" disabled={busy}>
        {t("admin.save")}
      </button>
      {onClose ? (
        <button type="button" onClick={onClose}>
          {t("app.close")}
        </button>
      ) : null}
      {children}
    </div>
  );
}

/** A form opened below a long table: scrolled into view with its first field focused. */
export function useRevealed<T extends HTMLElement>() {
  const ref = useRef<T>(null);
  useEffect(() => {
    ref.current?.scrollIntoView({ block: "start" });
    ref.current?.querySelector<HTMLElement>("input, select, textarea")?.focus({ preventScroll: true });
  }, []);
  return ref;
}
