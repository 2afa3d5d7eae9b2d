/** Entities through the NGSI-LD API, all pages of them (normalized, so readings keep their
 * `observedAt` and `unitCode`). */

import { type Entity, parseEntity } from "../model/entity";
import { api } from "./client";

const PAGE = 1000; // the server's default max_page_size

export async function loadEntities(types: string[], signal?: AbortSignal): Promise<Entity[]> {
  if (types.length === 0) return [];
  const out: Entity[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const params = new URLSearchParams({
      type: types.join(","),
      limit: String(PAGE),
      offset: String(offset),
    });
    const page = await api<Record<string, unknown>[]>(`/ngsi-ld/v1/entities?${params}`, {
      signal,
    });
    for (const raw of page) out.push(parseEntity(raw));
    if (page.length < PAGE) return out;
  }
}

export async function loadEntity(id: string): Promise<Entity> {
  const raw = await api<Record<string, unknown>>(`/ngsi-ld/v1/entities/${encodeURIComponent(id)}`);
  return parseEntity(raw);
}
