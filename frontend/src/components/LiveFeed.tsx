/** The live feed: newest first, state changes one by one, routine updates rolled up; pausable;
 * never moves what the reader is looking at (scrolled down, it holds and offers the newer ones). */

import { useState } from "preact/hooks";
import { feed } from "../city";
import { lang, t, tOr } from "../i18n";
import { formatNumber, formatTime } from "../i18n/format";
import type { FeedItem } from "../model/feed";
import { LAYERS, lookByState } from "../model/layers";
import { LiveStatus, Symbol } from "./common";

interface Props {
  onSelect: (id: string) => void;
  layers: string[];
}

export function LiveFeed({ onSelect, layers }: Props) {
  const [filter, setFilter] = useState("all");
  const [snapshot, setSnapshot] = useState<FeedItem[] | null>(null);
  const paused = feed.paused.value;
  const live = feed.items.value;
  const items = (snapshot ?? live).filter((i) => filter === "all" || i.layer === filter || (i.kind === "updates" && (i.byLayer?.[filter] ?? 0) > 0));
  const newer = snapshot ? live.filter((i) => !snapshot.includes(i)).length : 0;
  const l = lang.value;

  return (
    <section class="feed" aria-labelledby="feed-title">
      <div class="feed-head">
        <h2 id="feed-title">{t("feed.title")}</h2>
        <LiveStatus />
        <button
          type="button"
          class="button-small"
          aria-pressed={paused}
          onClick={() => (paused ? feed.resume() : feed.pause())}
        >
          {paused ? t("feed.resume") : t("feed.pause")}
        </button>
      </div>
      <label class="feed-filter">
        {t("feed.filter")}{" "}
        <select value={filter} onChange={(e) => setFilter((e.currentTarget as HTMLSelectElement).value)}>
          <option value="all">{t("feed.all")}</option>
          {LAYERS.filter((layer) => layers.includes(layer.id)).map((layer) => (
            <option key={layer.id} value={layer.id}>
              {t(`layers.${layer.id}`)}
            </option>
          ))}
        </select>
      </label>
      {paused ? <p class="feed-note">{t("feed.paused", { n: formatNumber(feed.held.value, l) })}</p> : null}
      {newer > 0 ? (
        <button type="button" class="feed-newer" onClick={() => setSnapshot(null)}>
          {t("feed.newer", { n: formatNumber(newer, l) })}
        </button>
      ) : null}
      <div
        class="feed-scroll"
        role="log"
        aria-live="off"
        aria-labelledby="feed-title"
        onScroll={(e) => {
          const scrolled = (e.currentTarget as HTMLElement).scrollTop > 8;
          if (scrolled && !snapshot) setSnapshot(live);
          if (!scrolled && snapshot) setSnapshot(null);
        }}
      >
        <ol class="feed-list">
        {items.length === 0 ? <li class="feed-empty">{t("feed.empty")}</li> : null}
        {items.map((item) => (
          <li key={item.seq} class={`feed-item feed-${item.kind}`} data-kind={item.kind}>
            <time class="feed-time">{formatTime(item.at, l)}</time>
            {item.kind === "change" ? (
              <button type="button" class="feed-open" onClick={() => item.entityId && onSelect(item.entityId)}>
                <Symbol look={lookByState(item.to ?? "")} size={16} />
                <span class="feed-name">{item.name}</span>
                <span class="feed-states">
                  {t("feed.changed", {
                    from: item.from ? tOr(`state.${item.from}`, item.from) : "—",
                    to: tOr(`state.${item.to}`, item.to ?? ""),
                  })}
                </span>
              </button>
            ) : (
              <span class="feed-updates">
                {t("feed.updates", { n: formatNumber(item.count ?? 0, l) })}
                {": "}
                {Object.entries(item.byLayer ?? {})
                  .filter(([layer]) => filter === "all" || layer === filter)
                  .map(([layer, n]) => `${layer ? t(`layers.${layer}`) : "…"} ${formatNumber(n, l)}`)
                  .join(" · ")}
              </span>
            )}
          </li>
        ))}
        </ol>
      </div>
    </section>
  );
}
