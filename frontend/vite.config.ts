// Build: the SPA goes into the Python package (cityioc/web/static/ui), served under /ui/ with
// hashed asset names; `npm run dev` proxies the API to a running `cityioc serve`.
import { fileURLToPath } from "node:url";
import preact from "@preact/preset-vite";
import { defineConfig } from "vitest/config";

const server = process.env.CITYIOC_URL ?? "http://127.0.0.1:8040";
const api = { target: server, changeOrigin: false };

export default defineConfig({
  base: "/ui/",
  plugins: [preact()],
  build: {
    outDir: fileURLToPath(new URL("../cityioc/web/static/ui", import.meta.url)),
    emptyOutDir: true,
    assetsInlineLimit: 0, // fonts and images as files: the server caches them for a year
    chunkSizeWarningLimit: 400,
    sourcemap: false,
  },
  server: {
    proxy: { "/api": api, "/ngsi-ld": api, "/healthz": api },
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});
