import { defineConfig } from 'vitest/config';
import preact from '@preact/preset-vite';

const here = (p: string) => decodeURIComponent(new URL(p, import.meta.url).pathname);

// The Go server depends on these output names: three entry scripts with stable names
// (served no-cache), one stylesheet at assets/app.css, and every other file carrying a
// hex content hash (served immutable).
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
      },
      output: {
        entryFileNames: 'assets/[name].js',
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
