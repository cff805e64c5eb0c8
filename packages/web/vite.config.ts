import { defineConfig } from "vite";

// Built into dist/ at `pnpm build`; the API serves it at /ui (packages/api/src/ui/static.ts).
// Nothing inline and nothing from another origin: the API's CSP allows 'self' only.
export default defineConfig({
  root: import.meta.dirname,
  base: "/ui/",
  // Preact's automatic JSX runtime, without a Babel-based preset.
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // No data: URIs for assets; everything is a file under /ui/assets/.
    assetsInlineLimit: 0,
    target: "es2022",
    sourcemap: false,
  },
});
