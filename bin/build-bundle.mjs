#!/usr/bin/env node
// Builds dist/bundle/: `synqx copy` / `synqx run` and the transform worker as a few ES module files
// (run after tsc by `npm run build`). Start-up of a one-shot command is mostly module loading: the
// bundle loads in about half the time of the separate files (Arrow alone is some 200 modules).
// Packages that locate their own files at run time (Piscina's worker wrapper, pino's transports, PGlite's
// wasm) stay external and load from node_modules as usual.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${root}dist/bundle`;
rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: { 'one-shot-cli': 'src/bin/one-shot-cli.ts', 'transform-worker': 'workers/transform-worker.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  tsconfig: 'tsconfig.build.json',
  external: ['piscina', 'pino', 'pg-native', '@electric-sql/pglite', 'bullmq', 'ioredis', 'koa', 'koa-body', '@koa/router', 'swagger-ui-dist'],
  define: { __SYNQX_BUNDLE__: 'true' },
  // Bundled CommonJS packages (pg, commander) call require() for Node's built-ins.
  banner: { js: "import { createRequire as __synqxRequire } from 'node:module'; const require = __synqxRequire(import.meta.url);" },
  logLevel: 'warning',
  minifyWhitespace: true,
  minifySyntax: true,
});
