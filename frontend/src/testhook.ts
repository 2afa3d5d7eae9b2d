/** What the browser tests observe (never pixels): the states the map draws, the store's size,
 * the live stream's state. Harmless in production: read-only views. */

import type { MapController } from "./map/controller";

interface TestHook {
  map: MapController | null;
  ready: boolean;
}

export const testHook: TestHook = { map: null, ready: false };

declare global {
  interface Window {
    __cityioc?: unknown;
  }
}
