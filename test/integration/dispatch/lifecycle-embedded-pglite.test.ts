import { lifecycleSuite } from './lifecycle-suite.js';

// The laptop default: embedded dispatcher over the embedded PGlite store.
lifecycleSuite('embedded', 'pglite');
