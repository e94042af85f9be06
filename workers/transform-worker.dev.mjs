// The worker entry when SynqX runs from its TypeScript sources (tsx: tests, development).
// Piscina first require()s its entry; tsx would compile transform-worker.ts to CommonJS, and the worker
// would then use apache-arrow's CommonJS build while plugin modules (ESM) import its ESM build — two
// copies whose classes do not mix. Registering tsx's ESM loader here keeps the whole worker ESM, as it
// is in dist/ (where the compiled transform-worker.js is the entry and this file is not used).
import { register } from 'tsx/esm/api';

register();
const { default: handler } = await import('./transform-worker.ts');
export default handler;
