#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (built by `npm ci` through the prepare script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { config as loadDotenv } from 'dotenv';

const exists = (url) => existsSync(fileURLToPath(url));
const entry = new URL('../dist/src/bin/cli.js', import.meta.url);
const oneShot = new URL('../dist/bundle/one-shot-cli.js', import.meta.url);

// `copy` and `run` start from the bundle (dist/bundle/, see bin/build-bundle.mjs): a one-shot command pays
// its start-up every time. Not with PLUGIN_DIR: plugins import apache-arrow from node_modules, and their
// batches must be made by the same Arrow classes as the engine's, which the bundle has its own copy of.
loadDotenv({ quiet: true });
const command = process.argv[2];
if ((command === 'copy' || command === 'run') && !process.env.PLUGIN_DIR?.trim() && exists(oneShot)) {
  await import(oneShot.href);
} else if (exists(entry)) {
  await import(entry.href);
} else {
  process.stderr.write('synqx: dist/ is missing; run `npm ci` (or `npm run build`) first\n');
  process.exit(1);
}
