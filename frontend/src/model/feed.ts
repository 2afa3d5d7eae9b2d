/** The live feed's model: state changes one by one (they matter), routine updates rolled up into
 * one line per few seconds (100 events/s must not become 100 lines/s), capped, pausable. */

import { signal } from "@preact/signals";
import { layerOf } from "./layers";
import type { Change } from "./store";

export interface FeedItem {
  seq: number;
  at: number;
  kind: "change" | "updates";
  layer: string; // layer id ("" for updates spanning layers)
  entityId?: string;
  name?: string;
  type?: string;
  from?: string | null; // state ids
  to?: string;
  level?: number;
  count?: number;
  byLayer?: Record<string, number>;
}

export const MAX_ITEMS = 150;
const ROLLUP_MS = 5000;

export class Feed {
  readonly items = signal<FeedItem[]>([]);
  readonly paused = signal(false);
  readonly held = signal(0); // events that arrived while paused
  private seq = 0;
  private buffer: FeedItem[] = [];

  add(changes: Change[], now = Date.now()): void {
    const fresh: FeedItem[] = [];
    const routine: Record<string, number> = {};
    let routineCount = 0;
    for (const c of changes) {
      const layer = layerOf(c.entity.type)?.id ?? "";
      if (c.before !== null && c.before.state !== c.after.state) {
        fresh.push({
          seq: ++this.seq,
          at: now,
          kind: "change",
          layer,
          entityId: c.entity.id,
          name: c.entity.name,
          type: c.entity.type,
          from: c.before.state,
          to: c.after.state,
          level: c.after.level,
        });
      } else {
        routine[layer] = (routine[layer] ?? 0) + 1;
        routineCount++;
      }
    }
    if (this.paused.value) {
      this.held.value += fresh.length + (routineCount ? 1 : 0);
      this.buffer = merge(this.buffer, fresh, routine, routineCount, now, () => ++this.seq);
      return;
    }
    this.items.value = merge(this.items.value, fresh, routine, routineCount, now, () => ++this.seq);
  }

  pause(): void {
    this.paused.value = true;
    this.buffer = this.items.value;
  }

  resume(): void {
    this.paused.value = false;
    this.items.value = this.buffer;
    this.buffer = [];
    this.held.value = 0;
  }

  clear(): void {
    this.items.value = [];
    this.buffer = [];
  }
}

function merge(
  items: FeedItem[],
  fresh: FeedItem[],
  routine: Record<string, number>,
  routineCount: number,
  now: number,
  nextSeq: () => number,
): FeedItem[] {
  let out = items;
  if (routineCount > 0) {
    // Roll into the newest updates line of the last few seconds, in place (numbers update where
    // the reader sees them; a new object, since components compare by identity).
    const index = out.findIndex((item) => item.kind === "updates");
    const open = index >= 0 && now - out[index].at < ROLLUP_MS ? out[index] : null;
    if (open) {
      const byLayer = { ...open.byLayer };
      for (const [layer, n] of Object.entries(routine)) byLayer[layer] = (byLayer[layer] ?? 0) + n;
      out = out.slice();
      out[index] = { ...open, count: (open.count ?? 0) + routineCount, byLayer };
    } else {
      const item: FeedItem = {
        seq: nextSeq(),
        at: now,
        kind: "updates",
        layer: "",
        count: routineCount,
        byLayer: { ...routine },
      };
      out = [item, ...out];
    }
  }
  if (fresh.length) out = [...fresh.reverse(), ...out];
  return out.length > MAX_ITEMS ? out.slice(0, MAX_ITEMS) : out;
}
