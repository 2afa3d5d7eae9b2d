/** `GET /api/v1/ui/config`: the region, map view, tiles and layers, and who is asking. */

import { api } from "./client";

export interface LayerInfo {
  id: string;
  types: string[];
  public: boolean;
}

export interface UiConfig {
  title: { vi: string; en: string } | null;
  timezone: string;
  locales: string[];
  map: {
    center: [number, number] | null; // lon, lat
    zoom: number | null;
    tilesUrl: string | null;
    tilesAttribution: string | null;
  };
  publicTypes: string[];
  layers: LayerInfo[];
  viewer: { actor: string; role: string | null };
}

export function loadConfig(): Promise<UiConfig> {
  return api<UiConfig>("/api/v1/ui/config");
}
