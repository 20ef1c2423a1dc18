import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

// Two pages, each its own entry: the patient's bundle never carries the console's code.
export default defineConfig({
  root: here("."),
  base: "/",
  build: {
    outDir: here("dist"),
    emptyOutDir: true,
    // No inline <script> or module preload polyfill: the pages' CSP allows scripts from 'self' only.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    rollupOptions: { input: { join: here("join.html"), console: here("console.html") } },
  },
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
});
