/** The page's copy of the city: entities by id, kept current by the live stream. Listeners get
 * the changed entities of each batch (the map updates only those markers); `version` is a signal
 * that components showing aggregates (KPIs, lists) read. A slow clock re-evaluates staleness. */

import { signal } from "@preact/signals";
import type { Entity } from "./entity";
import { lookOf } from "./layers";
import type { Look } from "./looks";

export interface Change {
  entity: Entity;
  before: Look | null; // null: new to the page
  after: Look;
}

export type Listener = (changes: Change[], deleted: string[]) => void;

export class EntityStore {
  readonly entities = new Map<string, Entity>();
  private readonly looks = new Map<string, Look>();
  private readonly listeners = new Set<Listener>();
  readonly version = signal(0);
  readonly now = signal(Date.now());

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  lookOf(id: string): Look | undefined {
    return this.looks.get(id);
  }

  /** Everything, e.g. after a (re)load: entities not in `list` of these types go away. */
  replace(list: Entity[], types: string[]): void {
    const kept = new Set(list.map((e) => e.id));
    const gone: string[] = [];
    const typeSet = new Set(types);
    for (const [id, e] of this.entities) {
      if (typeSet.has(e.type) && !kept.has(id)) gone.push(id);
    }
    this.apply(list, gone);
  }

  apply(upserts: Entity[], deletes: string[]): Change[] {
    const now = Date.now();
    const changes: Change[] = [];
    for (const entity of upserts) {
      const before = this.looks.get(entity.id) ?? null;
      const after = lookOf(entity, now);
      this.entities.set(entity.id, entity);
      this.looks.set(entity.id, after);
      changes.push({ entity, before, after });
    }
    const deleted = deletes.filter((id) => this.entities.delete(id));
    for (const id of deleted) this.looks.delete(id);
    if (changes.length === 0 && deleted.length === 0) return changes;
    this.notify(changes, deleted);
    this.version.value++;
    return changes;
  }

  /** Re-evaluate every state against the clock (a sensor falls silent without any event). */
  tick(now = Date.now()): void {
    this.now.value = now;
    const changes: Change[] = [];
    for (const [id, entity] of this.entities) {
      const before = this.looks.get(id) ?? null;
      const after = lookOf(entity, now);
      if (before?.state !== after.state || before?.badge !== after.badge) {
        this.looks.set(id, after);
        changes.push({ entity, before, after });
      }
    }
    if (changes.length === 0) return;
    this.notify(changes, []);
    this.version.value++;
  }

  /** One failing view (a map, a chart) must not stop the others or the data. */
  private notify(changes: Change[], deleted: string[]): void {
    for (const listener of this.listeners) {
      try {
        listener(changes, deleted);
      } catch (err) {
        console.error("cityioc: a view failed to update", err);
      }
    }
  }

  ofTypes(types: string[]): Entity[] {
    const wanted = new Set(types);
    const out: Entity[] = [];
    for (const e of this.entities.values()) if (wanted.has(e.type)) out.push(e);
    return out;
  }
}
