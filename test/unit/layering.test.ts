import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

// Principle 12 (docs style guide): the layering is checked by this test, not by review. Only relative
// imports are checked (packages are not layers); every problem is listed at once.

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** What each top-level folder of src/ may import, besides itself. `*` = anything (the composition root). */
const RULES: Record<string, readonly string[] | '*'> = {
  core: [],
  platform: ['core'],
  store: ['core', 'platform'],
  // Connectors exchange batches through the data ports, which live in core/data-ports.ts: nothing of
  // the engine is needed, so none is allowed.
  connectors: ['core', 'platform'],
  // The engine reports runs through interfaces it defines; services implement them over the store.
  engine: ['core', 'platform'],
  services: ['core', 'platform', 'store', 'engine', 'connectors'],
  api: ['core', 'platform', 'services'],
  scheduler: ['core', 'platform', 'services'],
  bin: '*',
};

/** Piscina's worker entry loads transforms only (their public types need nothing of core today). */
const WORKERS_MAY_IMPORT = ['src/engine/transforms/'];

interface ImportRef {
  specifier: string;
  line: number;
}

/** Every module a file names: import (also `import type`), export … from, import x = require(…), import(…) and import('…') types. */
function importsOf(fileName: string, text: string): ImportRef[] {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false);
  const out: ImportRef[] = [];
  const add = (node: ts.Node | undefined) => {
    if (node && ts.isStringLiteralLike(node)) out.push({ specifier: node.text, line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1 });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) add(node.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) add(node.moduleReference.expression);
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) add(node.arguments[0]);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node.argument.literal);
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

const inside = (path: string, dir: string) => path === dir || path.startsWith(dir.endsWith('/') ? dir : `${dir}/`);

/** The rule an import breaks, or undefined when it is allowed. Paths are relative to the repository, with `/`. */
function brokenRule(from: string, to: string): string | undefined {
  if (inside(from, 'workers')) {
    if (inside(to, 'workers') || WORKERS_MAY_IMPORT.some((dir) => inside(to, dir))) return undefined;
    return `workers may import only ${WORKERS_MAY_IMPORT.join(', ')}`;
  }
  const layer = from.split('/')[1]!;
  const rule = Object.hasOwn(RULES, layer) ? RULES[layer] : undefined;
  if (rule === undefined || from.split('/').length < 3) return `src/${layer} has no layering rule: add it to RULES in test/unit/layering.test.ts`;
  if (!inside(to, 'src')) return `src may not import from outside src/`;
  const target = to.split('/')[1]!;
  if (target === layer || rule === '*') return undefined;
  if (rule.includes(target)) return undefined;
  return rule.length > 0 ? `${layer} may import only ${rule.join(', ')}` : `${layer} may import nothing else in src`;
}

/** "file:line → imported path (rule)" for every relative import of `files` that breaks a rule. */
function layeringProblems(files: ReadonlyArray<{ path: string; text: string }>): string[] {
  const problems: string[] = [];
  for (const { path, text } of files) {
    for (const { specifier, line } of importsOf(path, text)) {
      if (!specifier.startsWith('.')) continue;
      const to = posix.normalize(posix.join(posix.dirname(path), specifier));
      const rule = brokenRule(path, to);
      if (rule) problems.push(`${path}:${line} → ${to} (${rule})`);
    }
  }
  return problems;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory()) return sourceFiles(path);
    return /\.(c|m)?(t|j)sx?$/.test(e.name) ? [path] : [];
  });
}

const project = () => [...sourceFiles('src'), ...sourceFiles('workers')].map((path) => ({ path, text: readFileSync(join(ROOT, path), 'utf8') }));

test('every relative import in src/ and workers/ follows the layering rules', (t) => {
  const problems = layeringProblems(project());
  t.true(problems.length === 0, `${problems.length} import(s) break the layering (docs style guide):\n${problems.join('\n')}`);
});

test('the check reads every layer and the workers (it cannot pass by reading nothing)', (t) => {
  const files = project().map((f) => f.path);
  for (const layer of Object.keys(RULES)) t.true(files.some((f) => inside(f, `src/${layer}`)), `no file read in src/${layer}`);
  t.true(files.includes('workers/transform-worker.ts'));
});

test('every form of import is seen; comments and strings are not imports', (t) => {
  const text = [
    `import a from './a.js';`,
    `import type { B } from './b.js';`,
    `import './c.js';`,
    `export { d } from './d.js';`,
    `export type * from './e.js';`,
    `const f = await import('./f.js');`,
    `let g: import('./g.js').G;`,
    `import h = require('./h.js');`,
    `// import x from './comment.js';`,
    `const s = "import y from './string.js'";`,
  ].join('\n');
  t.deepEqual(
    importsOf('x.ts', text).map((i) => `${i.line}:${i.specifier}`),
    ['1:./a.js', '2:./b.js', '3:./c.js', '4:./d.js', '5:./e.js', '6:./f.js', '7:./g.js', '8:./h.js'],
  );
});

test('a breaking import is reported with its file, line, target and rule; allowed ones are not', (t) => {
  const problems = layeringProblems([
    { path: 'src/scheduler/x.ts', text: `import { a } from '../services/a.js';\nimport type { Db } from '../store/db.js';` },
    { path: 'src/engine/runtime/y.ts', text: `import { z } from '../plan/z.js';\nconst r = await import('../../store/repos/run-repo.js');` },
    { path: 'src/core/z.ts', text: `export * from '../platform/logger.js';` },
    { path: 'src/bin/w.ts', text: `import { s } from '../store/db.js';` },
    { path: 'src/api/v.ts', text: `import { t } from '../../test/helpers/pg.js';` },
    { path: 'workers/w.ts', text: `import { t } from '../src/engine/transforms/registry.js';\nimport { p } from '../src/engine/runtime/transform-pool.js';` },
    { path: 'src/newlayer/u.ts', text: `import { e } from '../core/errors.js';` },
  ]);
  t.deepEqual(problems, [
    'src/scheduler/x.ts:2 → src/store/db.js (scheduler may import only core, platform, services)',
    'src/engine/runtime/y.ts:2 → src/store/repos/run-repo.js (engine may import only core, platform)',
    'src/core/z.ts:1 → src/platform/logger.js (core may import nothing else in src)',
    'src/api/v.ts:1 → test/helpers/pg.js (src may not import from outside src/)',
    'workers/w.ts:2 → src/engine/runtime/transform-pool.js (workers may import only src/engine/transforms/)',
    'src/newlayer/u.ts:1 → src/core/errors.js (src/newlayer has no layering rule: add it to RULES in test/unit/layering.test.ts)',
  ]);
});
