/** An entity's detail: state, readings and attributes with units and times, location, related
 * entities (its relationships, and what points at it), and the chart of its time series. Used in
 * the side panel (compact) and on the entity page. */

import { useEffect, useState } from "preact/hooks";
import { ApiError } from "../api/client";
import { loadEntity } from "../api/entities";
import { store } from "../city";
import { type Lang, lang, t, tOr } from "../i18n";
import { formatDateTime, formatNumber, formatValue } from "../i18n/format";
import { anchor, type Attr, type Entity } from "../model/entity";
import { layerOf, lookOf } from "../model/layers";
import { StateBadge } from "./common";
import { SeriesChart } from "./SeriesChart";

const HIDDEN = new Set(["simulationTags", "dataProvider", "illustrative", "locationKind"]);

export function entityHref(id: string): string {
  return `/entity/${encodeURIComponent(id)}`;
}

function showValue(name: string, attr: Attr, l: Lang): string {
  const v = attr.value;
  if (typeof v === "number") return formatValue(name, v, attr.unitCode, l);
  if (typeof v === "boolean") return t(`values.${v}`);
  if (typeof v === "string") return tOr(`values.${v}`, v);
  if (Array.isArray(v)) return v.map((x) => (typeof x === "string" ? tOr(`values.${x}`, x) : JSON.stringify(x))).join(", ");
  if (v && typeof v === "object") {
    const map = v as Record<string, unknown>;
    if (typeof map[l] === "string") return map[l] as string;
    return JSON.stringify(v);
  }
  return "—";
}

/** The entity, live from the store when it is there, else fetched once. */
export function useEntity(id: string): { entity: Entity | null; error: string | null } {
  void store.version.value;
  const live = store.entities.get(id) ?? null;
  const [fetched, setFetched] = useState<Entity | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setFetched(null);
    setError(null);
    if (store.entities.has(id)) return;
    loadEntity(id)
      .then(setFetched)
      .catch((err: unknown) => setError(err instanceof ApiError && err.status !== 404 && err.status !== 403 ? err.detail : t("detail.notFound")));
  }, [id]);
  return { entity: live ?? fetched, error: live ? null : error };
}

interface Props {
  id: string;
  compact?: boolean;
  onSelect?: (id: string) => void;
}

export function EntityDetail({ id, compact = false, onSelect }: Props) {
  const { entity, error } = useEntity(id);
  const [chartAttr, setChartAttr] = useState<string | undefined>(undefined);
  const l = lang.value;
  if (error) return <p class="error">{error}</p>;
  if (!entity) return <p>{t("app.loading")}</p>;
  const layer = layerOf(entity.type);
  const look = layer ? lookOf(entity, store.now.value) : null;
  const numeric = Object.entries(entity.attrs).filter(([, a]) => typeof a.value === "number" && a.observedAt);
  const primary = layer?.primary && entity.attrs[layer.primary] && typeof entity.attrs[layer.primary].value === "number" ? layer.primary : numeric[0]?.[0];
  const attr = chartAttr && entity.attrs[chartAttr] ? chartAttr : primary;
  const at = anchor(entity.location);
  const relations = Object.entries(entity.attrs).filter(([, a]) => a.kind === "Relationship" && typeof a.value === "string");
  const pointing = [...store.entities.values()].filter((other) =>
    Object.values(other.attrs).some((a) => a.kind === "Relationship" && a.value === entity.id) || other.attrs.alertSource?.value === entity.id,
  );
  const rows = Object.entries(entity.attrs).filter(([name, a]) => !HIDDEN.has(name) && a.kind !== "Relationship" && a.kind !== "GeoProperty");
  const link = (target: string, text: string) =>
    onSelect && store.entities.has(target) ? (
      <button type="button" class="link-button" onClick={() => onSelect(target)}>
        {text}
      </button>
    ) : (
      <a href={entityHref(target)}>{text}</a>
    );

  return (
    <article class={`entity-detail ${compact ? "compact" : ""}`} data-entity-id={entity.id}>
      <p class="entity-type">{tOr(`types.${entity.type}`, entity.type)}</p>
      {compact ? <h2 class="entity-name">{entity.name}</h2> : <h1 class="entity-name">{entity.name}</h1>}
      {look ? <StateBadge look={look} value={look.badge} /> : null}
      {entity.attrs.illustrative?.value === true ? <p class="illustrative">{t("app.illustrative")}</p> : null}

      <section>
        <h3>{t("detail.attributes")}</h3>
        <table class="attr-table">
          <tbody>
            {rows.map(([name, a]) => (
              <tr key={name} data-attr={name}>
                <th scope="row">{tOr(`attrs.${name}`, name)}</th>
                <td>
                  <span class="attr-value">{showValue(name, a, l)}</span>
                  {a.observedAt ? <span class="attr-time">{t("detail.observed", { when: formatDateTime(Date.parse(a.observedAt), l) })}</span> : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>

      {at ? (
        <section>
          <h3>{t("detail.location")}</h3>
          <p>
            {t("detail.coordinates")}: {formatNumber(at[0], l, 5)}, {formatNumber(at[1], l, 5)}
            {typeof entity.attrs.areaServed?.value === "string" ? ` · ${entity.attrs.areaServed.value}` : null}
          </p>
        </section>
      ) : null}

      {relations.length || pointing.length ? (
        <section>
          <h3>{t("detail.related")}</h3>
          <ul class="related">
            {relations.map(([name, a]) => (
              <li key={name}>
                {tOr(`attrs.${name}`, name)}: {link(a.value as string, store.entities.get(a.value as string)?.name ?? (a.value as string))}
              </li>
            ))}
            {pointing.slice(0, 30).map((other) => (
              <li key={other.id}>
                {tOr(`types.${other.type}`, other.type)}: {link(other.id, other.name)}
              </li>
            ))}
          </ul>
        </section>
      ) : null}

      <section>
        <h3>{t("detail.history")}</h3>
        {attr ? (
          <>
            {!compact && numeric.length > 1 ? (
              <label class="chart-attr">
                {t("detail.attribute")}{" "}
                <select value={attr} onChange={(e) => setChartAttr((e.currentTarget as HTMLSelectElement).value)}>
                  {numeric.map(([name]) => (
                    <option key={name} value={name}>
                      {tOr(`attrs.${name}`, name)}
                    </option>
                  ))}
                </select>
              </label>
            ) : null}
            <SeriesChart
              key={`${entity.id}:${attr}`}
              entityId={entity.id}
              attr={attr}
              unitCode={entity.attrs[attr]?.unitCode}
              initialRange={compact ? "24h" : "7d"}
              height={compact ? 160 : 280}
              showRanges={!compact}
            />
          </>
        ) : (
          <p>{t("detail.noNumeric")}</p>
        )}
      </section>
      {compact ? (
        <p>
          <a class="button-link" href={entityHref(entity.id)}>
            {t("detail.openPage")}
          </a>
        </p>
      ) : null}
    </article>
  );
}
