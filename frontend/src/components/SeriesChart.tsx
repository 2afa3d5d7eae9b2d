/** A time-series chart (uPlot): the hourly/daily/5-minute/1-minute average with its min–max band,
 * from the aggregated temporal API. Range buttons go from an hour to a year; dragging across the
 * chart zooms in (a finer period is fetched), double-click returns to the chosen range. The same
 * numbers are in a table for screen readers and keyboards. */

import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { useEffect, useRef, useState } from "preact/hooks";
import { aggregated, type Series } from "../api/temporal";
import { lang, t, tOr } from "../i18n";
import { formatDateTime, formatNumber, formatTick, isRatio, unitLabel } from "../i18n/format";

export const RANGES: Record<string, number> = {
  "1h": 3_600_000,
  "6h": 6 * 3_600_000,
  "24h": 24 * 3_600_000,
  "7d": 7 * 86_400_000,
  "30d": 30 * 86_400_000,
  "1y": 365 * 86_400_000,
};

interface Props {
  entityId: string;
  attr: string;
  unitCode?: string;
  initialRange?: string;
  height?: number;
  showRanges?: boolean;
}

export function SeriesChart({ entityId, attr, unitCode, initialRange = "24h", height = 220, showRanges = true }: Props) {
  const [range, setRange] = useState(initialRange);
  const [window_, setWindow] = useState<[number, number] | null>(null); // a zoomed-in span
  const [series, setSeries] = useState<(Series & { start: number; end: number }) | null>(null);
  const [error, setError] = useState<string | null>(null);
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const l = lang.value;

  // Fetch when the entity, attribute, range or zoom changes.
  useEffect(() => {
    const abort = new AbortController();
    const end = window_ ? window_[1] : Date.now();
    const start = window_ ? window_[0] : end - RANGES[range];
    setError(null);
    aggregated(entityId, attr, start, end, abort.signal)
      .then((found) => setSeries({ ...found, start, end }))
      .catch((err: unknown) => {
        if (!abort.signal.aborted) setError(String(err));
      });
    return () => abort.abort();
  }, [entityId, attr, range, window_?.[0], window_?.[1]]);

  // (Re)draw when data or language changes.
  useEffect(() => {
    const el = box.current;
    if (!el || !series) return;
    plot.current?.destroy();
    const span = series.end - series.start;
    const opts: uPlot.Options = {
      width: Math.max(el.clientWidth, 240),
      height,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), "Asia/Ho_Chi_Minh"),
      cursor: { drag: { x: true, y: false, setScale: false } },
      // The whole span asked for, even where data is missing: gaps show as gaps.
      scales: { x: { time: true, range: () => [series.start / 1000, series.end / 1000] } },
      legend: { show: false },
      series: [
        {},
        { label: t("detail.avg"), stroke: "#1d4ed8", width: 2, spanGaps: false },
        { label: "min", stroke: "rgba(29,78,216,0.35)", width: 1 },
        { label: "max", stroke: "rgba(29,78,216,0.35)", width: 1 },
      ],
      bands: [{ series: [3, 2], fill: "rgba(29,78,216,0.14)" }],
      axes: [
        { values: (_u, splits) => splits.map((s) => formatTick(s * 1000, l, span)), stroke: "#374151", grid: { stroke: "#e5e7eb" } },
        { values: (_u, splits) => splits.map((s) => formatNumber(s, l, 2)), stroke: "#374151", grid: { stroke: "#e5e7eb" }, size: 56 },
      ],
      hooks: {
        setSelect: [
          (u) => {
            if (u.select.width < 5) return;
            const from = u.posToVal(u.select.left, "x") * 1000;
            const to = u.posToVal(u.select.left + u.select.width, "x") * 1000;
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            if (to - from > 60_000) setWindow([from, to]);
          },
        ],
      },
    };
    const scale = isRatio(attr, unitCode ?? series.unitCode) ? 100 : 1; // ratios as percentages
    const scaled = (v: (number | null)[]) => (scale === 1 ? v : v.map((x) => (x === null ? null : x * scale)));
    const data: uPlot.AlignedData = [series.t, scaled(series.avg), scaled(series.min), scaled(series.max)];
    const u = new uPlot(opts, data, el);
    plot.current = u;
    const reset = () => setWindow(null);
    u.over.addEventListener("dblclick", reset);
    const resize = new ResizeObserver(() => u.setSize({ width: Math.max(el.clientWidth, 240), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.over.removeEventListener("dblclick", reset);
      u.destroy();
      plot.current = null;
    };
  }, [series, l, height]);

  const unit = unitCode ?? series?.unitCode;
  const points = series?.t.length ?? 0;
  return (
    <figure class="series-chart" data-points={points} data-period={series?.period ?? ""} data-attr={attr}>
      <figcaption>
        <strong>{tOr(`attrs.${attr}`, attr)}</strong>
        {unitLabel(attr, unit, l) ? ` (${unitLabel(attr, unit, l)})` : null}
        {series ? <span class="chart-period"> · {t("detail.period", { period: t(`periods.${series.period}`) })}</span> : null}
      </figcaption>
      {showRanges ? (
        <div class="chart-ranges" role="group" aria-label={t("detail.range")}>
          {Object.keys(RANGES).map((key) => (
            <button
              type="button"
              key={key}
              aria-pressed={range === key && !window_}
              onClick={() => {
                setWindow(null);
                setRange(key);
              }}
            >
              {t(`ranges.${key}`)}
            </button>
          ))}
        </div>
      ) : null}
      <div ref={box} class="chart-box" style={{ minHeight: `${height}px` }} />
      {error ? <p class="error">{error}</p> : null}
      {series && points === 0 ? <p class="chart-empty">{t("detail.noHistory")}</p> : null}
      {showRanges ? <p class="hint">{t("detail.zoomHint")}</p> : null}
      {series && points > 0 ? (
        <details class="chart-table">
          <summary>
            {t("detail.table")} ({formatNumber(points, l)})
          </summary>
          <table>
            <thead>
              <tr>
                <th scope="col">{t("time.local")}</th>
                <th scope="col">{t("detail.avg")}</th>
                <th scope="col">{t("detail.minmax")}</th>
              </tr>
            </thead>
            <tbody>
              {series.t.slice(-200).map((ts, i, arr) => {
                const k = series.t.length - arr.length + i;
                const fmt = (v: number | null) => (v === null ? "—" : formatNumber(v, l, 2));
                return (
                  <tr key={ts}>
                    <td>{formatDateTime(ts * 1000, l)}</td>
                    <td>{fmt(series.avg[k])}</td>
                    <td>
                      {fmt(series.min[k])} – {fmt(series.max[k])}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </details>
      ) : null}
    </figure>
  );
}
