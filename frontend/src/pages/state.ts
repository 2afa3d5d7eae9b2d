/** Page state kept across visits (visible layers), per page. */

import { useState } from "preact/hooks";

export function useStoredList(key: string, initial: string[]): [string[], (next: string[]) => void] {
  const [value, setValue] = useState<string[]>(() => {
    try {
      const kept = localStorage.getItem(key);
      if (kept) return JSON.parse(kept) as string[];
    } catch {
      // fall back to the default
    }
    return initial;
  });
  const set = (next: string[]) => {
    setValue(next);
    try {
      localStorage.setItem(key, JSON.stringify(next));
    } catch {
      // not kept
    }
  };
  return [value, set];
}
