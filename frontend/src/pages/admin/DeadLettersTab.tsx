/** Dead letters: what ingest could not store, newest first, with filters; a letter's raw payload,
 * replaying it through its ingest path, purging one or every letter the filter matches. */

import { useState } from "preact/hooks";
import {
  type DeadLetter,
  type DeadLetterFilter,
  getDeadLetter,
  listDeadLetters,
  purgeDeadLetter,
  purgeDeadLetters,
  replayDeadLetter,
} from "../../api/admin";
import { ConfirmButton, Done, ErrorLine, useLoaded } from "../../components/adminParts";
import { useAction, When } from "../../components/incidentParts";
import { lang, t } from "../../i18n";
import { formatNumber } from "../../i18n/format";

const KINDS = ["mqtt", "file", "http"];

export function DeadLettersTab() {
  const [filter, setFilter] = useState<DeadLetterFilter>({ status: "new" });
  const { value: page, error, reload: load } = useLoaded(() => listDeadLetters(filter), [JSON.stringify(filter)]);
  const [failed, run, busy] = useAction();
  const [note, setNote] = useState<string | null>(null);
  const l = lang.value;
  const set = (key: keyof DeadLetterFilter) => (e: Event) => {
    const typed = (e.target as HTMLInputElement | HTMLSelectElement).value || undefined;
    setFilter((now) => ({ ...now, [key]: typed })); // the latest filter, not this render's
  };
  const purgeable = filter.status !== "purged";

  return (
    <>
      <form class="filters" aria-label={t("admin.letters.filters")} onSubmit={(e) => e.preventDefault()}>
        <label>
          {t("admin.status")}
          <select name="status" value={filter.status ?? ""} onChange={set("status")}>
            <option value="">{t("alerts.any")}</option>
            {["new", "replayed", "purged"].map((s) => (
              <option key={s} value={s}>
                {t(`admin.letters.statuses.${s}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("admin.letters.kind")}
          <select name="sourceKind" value={filter.sourceKind ?? ""} onChange={set("sourceKind")}>
            <option value="">{t("alerts.any")}</option>
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {t(`admin.letters.kinds.${k}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("admin.letters.reason")}
          <input name="reason" type="search" value={filter.reason ?? ""} onInput={set("reason")} placeholder="malformed_json" />
        </label>
        <label>
          {t("admin.letters.source")}
          <input name="source" type="search" value={filter.source ?? ""} onInput={set("source")} />
        </label>
      </form>
      <ErrorLine error={error ?? failed} />
      {note ? <Done>{note}</Done> : null}
      <div class="action-bar">
        <p class="list-count" aria-live="polite">
          {page ? t("admin.letters.count", { count: page.total, formatted: formatNumber(page.total, l, 0) }) : t("app.loading")}
        </p>
        {purgeable && page && page.total > 0 ? (
          <ConfirmButton
            label={t("admin.letters.purgeAll")}
            question={t("admin.letters.purgeAllQuestion", { count: page.total, formatted: formatNumber(page.total, l, 0) })}
            disabled={busy}
            onConfirm={() =>
              void run(async () => {
                const { purged } = await purgeDeadLetters({ ...filter, status: filter.status || undefined });
                setNote(t("admin.letters.purged", { count: purged, formatted: formatNumber(purged, l, 0) }));
                await load();
              })
            }
          />
        ) : null}
      </div>
      <ul class="letter-list">
        {page?.items.map((d) => (
          <Letter
            key={d.id}
            letter={d}
            onChanged={(message) => {
              setNote(message);
              void load();
            }}
          />
        ))}
      </ul>
    </>
  );
}

function Letter({ letter, onChanged }: { letter: DeadLetter; onChanged: (message: string) => void }) {
  const [full, setFull] = useState<DeadLetter | null>(null);
  const [error, run, busy] = useAction();
  const [problems, setProblems] = useState<string[]>([]);
  const l = lang.value;
  const open = letter.status !== "purged";
  return (
    <li class="letter" data-letter={letter.id} data-status={letter.status}>
      <div class="letter-head">
        <span class="status-badge" data-status={letter.status}>
          {t(`admin.letters.statuses.${letter.status}`)}
        </span>
        <strong>{letter.reason}</strong>
        <span class="row-meta">
          {t(`admin.letters.kinds.${letter.sourceKind}`)} · {letter.source}
          {letter.position !== null ? ` · ${t("admin.letters.position", { n: formatNumber(letter.position, l, 0) })}` : ""} ·{" "}
          <When iso={letter.receivedAt} />
        </span>
      </div>
      <p class="letter-detail">{letter.detail}</p>
      <div class="action-bar">
        <button
          type="button"
          aria-expanded={full !== null}
          onClick={() =>
            full
              ? setFull(null)
              : void run(async () => {
                  setFull(await getDeadLetter(letter.id));
                })
          }
        >
          {full ? t("admin.letters.hidePayload") : t("admin.letters.showPayload")}
        </button>
        {open ? (
          <button
            type="button"
            disabled={busy}
            onClick={() =>
              void run(async () => {
                const outcome = await replayDeadLetter(letter.id);
                setProblems(outcome.problems);
                if (outcome.replayed) onChanged(t("admin.letters.replayed", { n: letter.id, stored: outcome.stored }));
              })
            }
          >
            {t("admin.letters.replay")}
          </button>
        ) : null}
        {open ? (
          <ConfirmButton
            label={t("admin.letters.purge")}
            question={t("admin.letters.purgeQuestion", { n: letter.id })}
            disabled={busy}
            onConfirm={() =>
              void run(async () => {
                await purgeDeadLetter(letter.id);
                onChanged(t("admin.letters.purgedOne", { n: letter.id }));
              })
            }
          />
        ) : null}
      </div>
      <ErrorLine error={error} />
      {problems.length > 0 ? (
        <div class="error" role="alert">
          {t("admin.letters.replayFailed")}
          <ul>
            {problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        </div>
      ) : null}
      {full ? (
        <pre class="payload" tabIndex={0} aria-label={t("admin.letters.payload")}>
          {full.payload ?? full.payloadBase64 ?? ""}
        </pre>
      ) : null}
    </li>
  );
}
