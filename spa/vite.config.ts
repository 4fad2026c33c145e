import { defineConfig } from 'vitest/config';
import preact from '@preact/preset-vite';

const here = (p: string) => decodeURIComponent(new URL(p, import.meta.url).pathname);

// The Go server depends on these output names: five entry scripts with stable names
// (served no-cache), one stylesheet at assets/app.css, and every other file carrying a
// hex content hash (served immutable). The stats page (stats.html) is the only one that
// loads uPlot, in a chunk of its own (assets/uplot-<hash>.js): scripts/budget.mjs checks that
// no other page's first load reaches it.
export default defineConfig({
  plugins: [preact({ prerender: { enabled: false } })],
  build: {
    target: 'es2020',
    manifest: true,
    cssCodeSplit: false,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
    rollupOptions: {
      input: {
        upload: here('index.html'),
        track: here('src/track.tsx'),
        embed: here('src/embed.tsx'),
        set: here('src/set.tsx'),
        stats: here('stats.html'),
      },
      output: {
        entryFileNames: 'assets/[name].js',
        manualChunks: (id) => (id.includes('/node_modules/uplot/') ? 'uplot' : undefined),
        chunkFileNames: 'assets/[name]-[hash].js',
        hashCharacters: 'hex',
        assetFileNames: (info) =>
          (info.names ?? []).some((n) => n.endsWith('.css')) ? 'assets/app.css' : 'assets/[name]-[hash][extname]',
      },
    },
  },
  worker: {
    format: 'es',
    rollupOptions: {
      output: {
        entryFileNames: 'assets/[name]-[hash].js',
        chunkFileNames: 'assets/[name]-[hash].js',
        hashCharacters: 'hex',
      },
    },
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
