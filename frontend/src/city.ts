/** The page's live city: one store, one feed and one live stream shared by every page of the
 * app (navigating between them keeps the data). */

import { signal } from "@preact/signals";
import { ApiError } from "./api/client";
import { loadEntities } from "./api/entities";
import { LiveStream } from "./api/live";
import { readableTypes } from "./api/session";
import { Feed } from "./model/feed";
import { LAYERS } from "./model/layers";
import { EntityStore } from "./model/store";

export const CONTEXT_TYPES = ["AdministrativeArea", "Road"];
export const ALL_TYPES = [...LAYERS.flatMap((l) => l.types), ...CONTEXT_TYPES];

export const store = new EntityStore();
export const feed = new Feed();
export const loadState = signal<"idle" | "loading" | "ready" | "error">("idle");
export const lastBatchAt = signal<number | null>(null);

let types: string[] = [];
let reloading: Promise<void> | null = null;

const stream = new LiveStream(
  (batch) => {
    const changes = store.apply(batch.upserts, batch.deletes);
    feed.add(changes);
    lastBatchAt.value = Date.now();
  },
  () => void reload(),
);
export const liveStatus = stream.status;

async function reload(): Promise<void> {
  reloading ??= (async () => {
    try {
      // Per type, in parallel: a type this viewer may not read (an agency user and another
      // agency's incidents, say) must not keep the others off the map.
      const lists = await Promise.all(
        types.map((type) =>
          loadEntities([type]).catch((err: unknown) => {
            if (err instanceof ApiError && (err.status === 403 || err.status === 401)) return [];
            throw err;
          }),
        ),
      );
      store.replace(lists.flat(), ALL_TYPES); // what is no longer readable goes too
      loadState.value = "ready";
    } catch (err) {
      console.error("cityioc: loading entities failed", err);
      loadState.value = "error";
    } finally {
      reloading = null;
    }
  })();
  return reloading;
}

/** Load what this viewer may read and follow its changes; again when the viewer changes. */
export async function connect(): Promise<void> {
  const next = readableTypes(ALL_TYPES);
  if (loadState.value !== "idle" && next.join() === types.join()) return;
  types = next;
  loadState.value = "loading";
  stream.start(types);
  await reload();
}

setInterval(() => store.tick(), 30_000);
