/** A server's 400 as errors beside the form's fields. The server words validation problems as
 * "field: message; other: message" and the routing's as "unknown area '…'" (or "unknown procedure '…'", the `sop` field): each goes to its
 * field when the form has it, the rest stays for the top of the form. */

export interface FormErrors {
  fields: Record<string, string>;
  other: string | null;
}

const UNKNOWN = /^unknown (category|area|agency|procedure)\b/;
const FIELD_OF: Record<string, string> = { procedure: "sop" }; // the server's word → the form's field

export function formErrors(detail: string, fields: readonly string[]): FormErrors {
  const known = new Set(fields);
  const out: Record<string, string> = {};
  const rest: string[] = [];
  for (const part of detail.split("; ")) {
    const text = part.trim();
    if (!text) continue;
    const colon = text.indexOf(": ");
    const name = colon > 0 ? text.slice(0, colon).split(".")[0] : "";
    const unknown = UNKNOWN.exec(text)?.[1];
    const field = unknown ? (FIELD_OF[unknown] ?? unknown) : "";
    if (name && known.has(name)) out[name] = text.slice(colon + 2);
    else if (field && known.has(field)) out[field] = text;
    else rest.push(text);
  }
  return { fields: out, other: rest.length ? rest.join("; ") : null };
}
