// One Vite build for every Linli web client (multi-page): each client is an HTML entry; the
// output goes to gateway/static/web, which the gateway serves under /web/ (assets) and at the
// clients' own addresses (/console/, GraphiQL at /graphql). Nothing is loaded from a CDN.
import { fileURLToPath, URL } from 'node:url'
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

const here = (p) => fileURLToPath(new URL(p, import.meta.url))

export default defineConfig({
  base: '/web/',
  plugins: [vue()],
  resolve: { alias: { '@shared': here('./shared') } },
  define: {
    // vue-i18n's and Vue's production flags (smaller bundles, no devtools hooks)
    __VUE_I18N_FULL_INSTALL__: true,
    __VUE_I18N_LEGACY_API__: false,
    __INTLIFY_PROD_DEVTOOLS__: false,
    __VUE_OPTIONS_API__: true,
    __VUE_PROD_DEVTOOLS__: false,
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: false,
    'process.env.NODE_ENV': JSON.stringify('production'),
  },
  build: {
    outDir: here('../gateway/static/web'),
    emptyOutDir: true,
    manifest: true,
    chunkSizeWarningLimit: 2500, // GraphiQL (React + CodeMirror) is one big lazy page of its own
    reportCompressedSize: false, // `npm run size` measures what matters; saves build time
    rollupOptions: {
      onwarn(warning, warn) {
        // GraphiQL's Radix components carry React Server Components' "use client": meaningless here
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return
        warn(warning)
      },
      input: {
        console: here('./console/index.html'),
        app: here('./app/index.html'),
        dashboard: here('./dashboard/index.html'),
        graphiql: here('./graphiql/index.html'),
      },
    },
  },
  server: {
    // `npm run dev`: the gateway runs on :8000 (linli serve); Vite proxies the API to it
    proxy: {
      '/graphql': { target: 'http://127.0.0.1:8000', ws: true },
      '/web-plugins': 'http://127.0.0.1:8000',
    },
  },
})
