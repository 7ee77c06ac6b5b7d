/**
 * The web client's build: `npm run build` runs `vite build --config web/vite.config.ts`
 * after tsc. The SDK is bundled from its sources (client/src), so the web
 * client always matches the SDK and the wire definition in shared/.
 * Output: web/dist (index.html, favicon, content-hashed assets/), which the api serves.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  root: here('.'),
  base: '/',
  resolve: {
    alias: { '@parley/client': here('../client/src/index.ts') },
  },
  build: {
    outDir: here('dist'),
    emptyOutDir: true,
    target: 'es2022',
    // The page's CSP allows no inline script: keep everything in files.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
    reportCompressedSize: false,
  },
  server: {
    // `npx vite --config web/vite.config.ts` for development: the api and its
    // /config.json on the local cluster (make up).
    proxy: {
      '/v1': 'http://127.0.0.1:8080',
      '/config.json': 'http://127.0.0.1:8080',
    },
  },
});
