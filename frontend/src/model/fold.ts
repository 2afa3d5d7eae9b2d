/** Accent-insensitive matching for Vietnamese ("thuan an" finds "Thuận An"), like the server's
 * `cityioc.core.text.fold`: NFD, drop combining marks, đ → d, lower case. */
export function fold(text: string): string {
  return text
    .normalize("NFD")
    .replace(/\p{M}/gu, "")
    .replace(/đ/g, "d")
    .replace(/Đ/g, "D")
    .toLowerCase()
    .trim();
}

/** Every word of the query occurs in the text (both folded). */
export function matches(text: string, query: string): boolean {
  const hay = fold(text);
  return fold(query)
    .split(/\s+/)
    .filter(Boolean)
    .every((word) => hay.includes(word));
}
