import { defineConfig } from 'vite';

// Served by the API at /ui/ (services/api/src/dashboard): hashed assets under /ui/assets/.
export default defineConfig({
  base: '/ui/',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // n.b. no inline module-preload polyfill or data: URLs: the CSP allows only 'self'
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
    reportCompressedSize: true,
  },
});
