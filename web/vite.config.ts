/**
 * The console's build: web/src → web/dist, served by the Fastify server at /. Everything is
 * bundled (no CDN); nothing is inlined as a data: URL or an inline script, so the pages run
 * under the server's Content-Security-Policy (script-src 'self', style-src 'self').
 */
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';

const root = fileURLToPath(new URL('.', import.meta.url));
const CSP_STYLES = fileURLToPath(new URL('./src/csp/dynamic-css.ts', import.meta.url));

/**
 * Ant Design writes its run-time CSS through @rc-component/util's Dom/dynamicCSS, as <style>
 * elements the CSP refuses; every import of that module (by package path or relative, from any
 * package) is served src/csp/dynamic-css.ts instead, which adopts constructed style sheets.
 */
function cspStyles(): Plugin {
  return {
    name: 'yibao-csp-styles',
    enforce: 'pre',
    async resolveId(source, importer, options) {
      if (!/dynamicCSS(\.js)?$/.test(source)) return null;
      const r = await this.resolve(source, importer, { ...options, skipSelf: true });
      return r && /@rc-component[\\/]util[\\/](es|lib)[\\/]Dom[\\/]dynamicCSS\.js$/.test(r.id) ? CSP_STYLES : null;
    },
  };
}

export default defineConfig({
  root,
  base: '/',
  plugins: [cspStyles(), react()],
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 4000,
    sourcemap: false,
    rolldownOptions: {
      output: {
        manualChunks(id: string) {
          if (id.includes('node_modules/echarts') || id.includes('node_modules/zrender')) return 'echarts';
          if (id.includes('node_modules/')) return 'vendor';
          return undefined;
        },
      },
    },
  },
});
