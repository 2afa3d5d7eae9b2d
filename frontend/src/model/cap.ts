/** The OASIS CAP 1.2 value sets (category, urgency, severity, certainty), so the pages show a
 * value in words (`cap.<field>.<value>` in the message files) and an unknown one as it is. */

export const CAP_VALUES = {
  category: ["Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env", "Transport", "Infra", "CBRNE", "Other"],
  urgency: ["Immediate", "Expected", "Future", "Past", "Unknown"],
  severity: ["Extreme", "Severe", "Moderate", "Minor", "Unknown"],
  certainty: ["Observed", "Likely", "Possible", "Unlikely", "Unknown"],
} as const;

export type CapField = keyof typeof CAP_VALUES;

/** The message key of a CAP value, or null for a value outside the standard's set (CAP values
 * are case-sensitive: "extreme" is not "Extreme"). */
export function capKey(field: CapField, value: string | null | undefined): string | null {
  if (!value) return null;
  return (CAP_VALUES[field] as readonly string[]).includes(value) ? `cap.${field}.${value}` : null;
}
