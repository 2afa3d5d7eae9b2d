/** A CAP field's value in words (Vietnamese or English), the standard's value as its tooltip;
 * a value outside the CAP 1.2 set is shown as it is, a missing one as "—". */

import { Fragment } from "preact";
import { t } from "../i18n";
import { type CapField, capKey } from "../model/cap";

/** The words for a CAP value; the value itself when it is not one of the standard's. */
export function capText(field: CapField, value: string): string {
  const key = capKey(field, value);
  return key ? t(key) : value;
}

export function CapValue({ field, value }: { field: CapField; value: string | null | undefined }) {
  if (!value) return <span>—</span>;
  const key = capKey(field, value);
  return key ? (
    <span class="cap-value" title={value} data-cap={value}>
      {t(key)}
    </span>
  ) : (
    <span data-cap={value}>{value}</span>
  );
}

/** Where an alert or an incident keeps each CAP field (and the `alerts.*` key of its label). */
const PROPERTY = { category: "capCategory", severity: "capSeverity", urgency: "capUrgency", certainty: "capCertainty" } as const;

/** An alert's or incident's CAP fields, in `order`, as the term and value pairs of a `<dl>`. */
export function CapFields({
  of,
  order,
}: {
  of: { [P in (typeof PROPERTY)[CapField]]?: string | null };
  order: CapField[];
}) {
  return (
    <>
      {order.map((field) => (
        <Fragment key={field}>
          <dt>{t(`alerts.${PROPERTY[field]}`)}</dt>
          <dd data-field={PROPERTY[field]}>
            <CapValue field={field} value={of[PROPERTY[field]]} />
          </dd>
        </Fragment>
      ))}
    </>
  );
}
